package io.lakeloop.monitoring.report;

import io.lakeloop.monitoring.report.ReportData.MetricPoint;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    // views: granularity x slice, in data order ('*' first within a granularity)
    Map<String, List<MetricPoint>> views = new LinkedHashMap<>();
    d.metrics().stream()
        .sorted(
            Comparator.comparing(MetricPoint::granularity, ReportText::granularityOrder)
                .thenComparing(p -> p.sliceKey().equals("*") ? "" : p.sliceKey())
                .thenComparing(MetricPoint::sliceValue))
        .forEach(p -> views.computeIfAbsent(ReportText.viewKey(p), k -> new ArrayList<>()).add(p));
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
        .append(" confidence interval; dashed lines: where a version first served</span></div>");
    boolean first = true;
    for (Map.Entry<String, List<MetricPoint>> v : views.entrySet()) {
      sb.append("<div class=\"grid\" data-view-group=\"quality\" data-view=\"")
          .append(Html.escape(v.getKey()))
          .append('"')
          .append(first ? "" : " hidden")
          .append('>');
      first = false;
      Map<String, Map<String, List<MetricPoint>>> byMetric = new LinkedHashMap<>();
      for (String m : s.metrics()) {
        byMetric.put(m, new TreeMap<>(ReportText::versionOrder));
      }
      for (MetricPoint p : v.getValue()) {
        if (byMetric.containsKey(p.metric())) {
          byMetric.get(p.metric()).computeIfAbsent(p.version(), k -> new ArrayList<>()).add(p);
        }
      }
      List<Svg.Marker> markers = versionMarkers(v.getValue());
      List<String> versions = new ArrayList<>(new TreeSet<>(ReportText.allVersions(d)));
      versions.sort(ReportText::versionOrder);
      for (Map.Entry<String, Map<String, List<MetricPoint>>> m : byMetric.entrySet()) {
        if (m.getValue().isEmpty()) {
          continue;
        }
        List<Svg.Series> series = new ArrayList<>();
        for (Map.Entry<String, List<MetricPoint>> ver : m.getValue().entrySet()) {
          List<double[]> pts = new ArrayList<>();
          List<double[]> band = new ArrayList<>();
          List<String> tips = new ArrayList<>();
          for (MetricPoint p : ver.getValue()) {
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
          if (!pts.isEmpty()) {
            series.add(
                new Svg.Series(
                    "v" + ver.getKey(),
                    ReportText.color(versions, ver.getKey()),
                    pts,
                    band,
                    tips,
                    false));
          }
        }
        if (series.isEmpty()) {
          continue;
        }
        sb.append("<figure data-metric=\"")
            .append(Html.escape(m.getKey()))
            .append("\">")
            .append(
                Svg.lineChart(
                    "quality-chart",
                    ReportText.name(m.getKey()) + " — " + ReportText.viewLabel(v.getValue().get(0)),
                    "window start (UTC)",
                    ReportText.axis(m.getKey()),
                    Svg.XAxis.DATE,
                    series,
                    markers,
                    null,
                    false))
            .append("</figure>");
      }
      sb.append("</div>");
    }
    sb.append("</section>");
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
