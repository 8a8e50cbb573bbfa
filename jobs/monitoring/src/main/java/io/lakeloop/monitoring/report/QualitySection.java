package io.lakeloop.monitoring.report;

import io.lakeloop.common.schema.Metrics;
import io.lakeloop.monitoring.quality.QualityRules;
import io.lakeloop.monitoring.report.ReportData.MetricPoint;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The report page's section of quality over time: one chart and table per granularity x slice view,
 * versions in their colors.
 */
final class QualitySection {
  private QualitySection() {}

  static void render(StringBuilder sb, ReportData d, ReportSettings s) {
    sb.append("<section id=\"quality\"><h2>Quality over time</h2>");
    Map<String, List<MetricPoint>> views = views(d);
    if (views.isEmpty()) {
      sb.append(
          "<p class=\"note\">No evaluation yet: run <code>bin/lakeloop evaluate</code>.</p></section>");
      return;
    }
    sb.append("<div class=\"controls\"><label>Window and slice <select id=\"quality-view\"")
        .append(" data-views=\"quality\">");
    for (String v : views.keySet()) {
      sb.append("<option value=\"")
          .append(Html.escape(v))
          .append("\">")
          .append(Html.escape(ReportText.viewLabel(views.get(v).get(0))))
          .append("</option>");
    }
    sb.append("</select></label><span class=\"note\">lines: model versions; bands: bootstrap")
        .append(" confidence interval; dashed lines: estimated without labels (CBPE), their band")
        .append(
            " the range the realized value is expected in; level lines: a quality rule's bound;")
        .append(" vertical dashed lines: where a")
        .append(" version first served</span></div>");
    List<String> versions = new ArrayList<>(new TreeSet<>(ReportText.allVersions(d)));
    versions.sort(ReportText::versionOrder);
    boolean first = true;
    for (Map.Entry<String, List<MetricPoint>> v : views.entrySet()) {
      sb.append("<div class=\"grid\" data-view-group=\"quality\" data-view=\"")
          .append(Html.escape(v.getKey()))
          .append('"')
          .append(first ? "" : " hidden")
          .append('>');
      first = false;
      view(sb, s, v.getValue(), versions, d.bounds());
      sb.append("</div>");
    }
    sb.append("</section>");
  }

  /** The views: granularity x slice, in data order ('*' first within a granularity). */
  private static Map<String, List<MetricPoint>> views(ReportData d) {
    Map<String, List<MetricPoint>> views = new LinkedHashMap<>();
    d.metrics().stream()
        .sorted(
            Comparator.comparing(MetricPoint::granularity, ReportText::granularityOrder)
                .thenComparing(p -> p.sliceKey().equals("*") ? "" : p.sliceKey())
                .thenComparing(MetricPoint::sliceValue))
        .forEach(p -> views.computeIfAbsent(ReportText.viewKey(p), k -> new ArrayList<>()).add(p));
    return views;
  }

  /** One view's charts: a chart per configured metric, a line per version. */
  private static void view(
      StringBuilder sb,
      ReportSettings s,
      List<MetricPoint> points,
      List<String> versions,
      List<QualityRules.Bound> bounds) {
    Map<String, Map<String, List<MetricPoint>>> byMetric = new LinkedHashMap<>();
    Map<String, Map<String, List<MetricPoint>>> estimated = new LinkedHashMap<>();
    for (String m : s.metrics()) {
      byMetric.put(m, new TreeMap<>(ReportText::versionOrder));
      estimated.put(m, new TreeMap<>(ReportText::versionOrder));
    }
    for (MetricPoint p : points) {
      String m = p.metric();
      Map<String, Map<String, List<MetricPoint>>> into = byMetric;
      if (m.startsWith(Metrics.ESTIMATED)) {
        m = m.substring(Metrics.ESTIMATED.length());
        into = estimated;
      }
      if (into.containsKey(m)) {
        into.get(m).computeIfAbsent(p.version(), k -> new ArrayList<>()).add(p);
      }
    }
    List<Svg.Marker> markers = versionMarkers(points);
    for (Map.Entry<String, Map<String, List<MetricPoint>>> m : byMetric.entrySet()) {
      List<Svg.Series> series = new ArrayList<>();
      for (Map.Entry<String, List<MetricPoint>> ver : m.getValue().entrySet()) {
        series(ver.getKey(), "", ver.getValue(), versions, false).ifPresent(series::add);
      }
      for (Map.Entry<String, List<MetricPoint>> ver : estimated.get(m.getKey()).entrySet()) {
        series(ver.getKey(), " estimated", ver.getValue(), versions, true).ifPresent(series::add);
      }
      if (series.isEmpty()) {
        continue;
      }
      series.addAll(boundLines(bounds, points.get(0), m.getKey(), series));
      sb.append("<figure data-metric=\"")
          .append(Html.escape(m.getKey()))
          .append("\">")
          .append(
              Svg.lineChart(
                  "quality-chart",
                  ReportText.name(m.getKey()) + " — " + ReportText.viewLabel(points.get(0)),
                  "window start (UTC)",
                  ReportText.axis(m.getKey()),
                  Svg.XAxis.DATE,
                  series,
                  markers,
                  null,
                  false));
      String missed = missed(m.getValue(), estimated.get(m.getKey()));
      if (!missed.isEmpty()) {
        sb.append("<figcaption class=\"note\">")
            .append(Html.escape(missed))
            .append("</figcaption>");
      }
      sb.append("</figure>");
    }
  }

  /**
   * A dashed level line across the chart for each rule that judges this view's metric, at the bound
   * it holds the view's windows to.
   */
  private static List<Svg.Series> boundLines(
      List<QualityRules.Bound> bounds, MetricPoint view, String metric, List<Svg.Series> series) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Svg.Series line : series) {
      for (double[] p : line.points()) {
        lo = Math.min(lo, p[0]);
        hi = Math.max(hi, p[0]);
      }
    }
    List<Svg.Series> out = new ArrayList<>();
    for (QualityRules.Bound b : bounds) {
      QualityRules.ReferenceKey v = b.view();
      if (v.metric().equals(metric)
          && v.granularity().equals(view.granularity())
          && v.sliceKey().equals(view.sliceKey())
          && v.sliceValue().equals(view.sliceValue())) {
        out.add(
            new Svg.Series(
                ReportText.BOUND + b.rule(),
                ReportText.BOUND_COLOR,
                List.of(new double[] {lo, b.value()}, new double[] {hi, b.value()}),
                List.of(),
                List.of(),
                true));
      }
    }
    return out;
  }

  /**
   * In words, the windows whose realized value left its estimate's range (empty when none): there
   * the scores no longer mean what they meant in the reference period, which the estimate cannot
   * see (a changed relation between inputs and labels, concept drift, or inputs moved to where the
   * model is calibrated differently).
   */
  private static String missed(
      Map<String, List<MetricPoint>> realized, Map<String, List<MetricPoint>> estimates) {
    TreeSet<String> days = new TreeSet<>();
    estimates.forEach(
        (version, points) -> {
          Map<LocalDate, MetricPoint> byWindow = new LinkedHashMap<>();
          realized.getOrDefault(version, List.of()).forEach(p -> byWindow.put(p.window(), p));
          for (MetricPoint e : points) {
            MetricPoint r = byWindow.get(e.window());
            if (r != null
                && r.value() != null
                && e.ciLow() != null
                && e.ciHigh() != null
                && (r.value() < e.ciLow() || r.value() > e.ciHigh())) {
              days.add("v" + version + " " + e.window());
            }
          }
        });
    if (days.isEmpty()) {
      return "";
    }
    return "The realized value left the estimate's range on "
        + String.join(", ", days)
        + ": there the scores no longer mean what they meant in the reference period (the"
        + " relation between inputs and labels changed — concept drift — or the inputs moved to"
        + " where the model is calibrated differently), which the estimate, seeing only the"
        + " scores, cannot know; the gap itself is the signal.";
  }

  /** A version's line with its interval band and tooltips; none when it has no finite value. */
  private static Optional<Svg.Series> series(
      String version,
      String suffix,
      List<MetricPoint> points,
      List<String> versions,
      boolean dashed) {
    List<double[]> pts = new ArrayList<>();
    List<double[]> band = new ArrayList<>();
    List<String> tips = new ArrayList<>();
    for (MetricPoint p : points) {
      if (p.value() == null || !Double.isFinite(p.value())) {
        continue;
      }
      double x = p.window().toEpochDay();
      pts.add(new double[] {x, p.value()});
      if (p.ciLow() != null && p.ciHigh() != null) {
        band.add(new double[] {x, p.ciLow(), p.ciHigh()});
      }
      tips.add(
          "v"
              + p.version()
              + suffix
              + " · "
              + p.window()
              + ": "
              + Html.number(p.value())
              + ReportText.intervalText(p)
              + " · n = "
              + Html.number((double) p.n()));
    }
    if (band.size() != pts.size()) {
      band = List.of();
    }
    return pts.isEmpty()
        ? Optional.empty()
        : Optional.of(
            new Svg.Series(
                "v" + version + suffix,
                ReportText.color(versions, version),
                pts,
                band,
                tips,
                dashed));
  }

  /** A dashed line where each version after the first served its first window of the view. */
  private static List<Svg.Marker> versionMarkers(List<MetricPoint> points) {
    Map<String, LocalDate> first = new TreeMap<>(ReportText::versionOrder);
    for (MetricPoint p : points) {
      first.merge(p.version(), p.window(), (a, b) -> a.isBefore(b) ? a : b);
    }
    LocalDate earliest = first.values().stream().min(LocalDate::compareTo).orElse(null);
    List<Svg.Marker> out = new ArrayList<>();
    first.forEach(
        (v, day) -> {
          if (!day.equals(earliest)) {
            out.add(new Svg.Marker(day.toEpochDay(), "v" + v));
          }
        });
    return out;
  }
}
