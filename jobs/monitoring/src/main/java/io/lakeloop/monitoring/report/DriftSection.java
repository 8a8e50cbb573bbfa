package io.lakeloop.monitoring.report;

import io.lakeloop.monitoring.drift.ColumnHistogram;
import io.lakeloop.monitoring.report.Html.Cell;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The report page's section of drift statistics (drifted first; all rows, and with drift per slice
 * each slice in a table of its own behind a selector), the histograms of the drifted columns and
 * the multivariate drift over time.
 */
final class DriftSection {
  private DriftSection() {}

  static void render(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"drift\"><h2>Drift</h2>");
    if (d.drift().isEmpty()) {
      sb.append(
          "<p class=\"note\">No drift statistics yet: run <code>bin/lakeloop drift</code>.</p></section>");
      return;
    }
    List<ReportData.DriftRow> all =
        d.drift().stream().filter(ReportData.DriftRow::allRows).toList();
    Map<String, List<ReportData.DriftRow>> slices = new TreeMap<>();
    d.drift().stream()
        .filter(r -> !r.allRows())
        .forEach(r -> slices.computeIfAbsent(r.slice(), k -> new ArrayList<>()).add(r));
    ReportData.DriftRow w = all.isEmpty() ? d.drift().get(0) : all.get(0);
    long drifted = all.stream().filter(r -> Boolean.TRUE.equals(r.drifted())).count();
    sb.append("<p class=\"sub\">Window of ")
        .append(Html.escape(w.granularity()))
        .append(" starting ")
        .append(w.windowStart())
        .append(": BASELINE compares it with the baseline profile, CONSECUTIVE with the window")
        .append(" before. ")
        .append(drifted)
        .append(" of ")
        .append(all.size())
        .append(" statistics of all rows over their threshold")
        .append(
            slices.isEmpty()
                ? "."
                : "; drift per slice: "
                    + slices.values().stream()
                        .filter(l -> l.stream().anyMatch(r -> Boolean.TRUE.equals(r.drifted())))
                        .count()
                    + " of "
                    + slices.size()
                    + " slices with a drifted statistic (against their own baseline rows).")
        .append("</p>");
    sb.append("<div class=\"controls\">");
    if (!slices.isEmpty()) {
      sb.append("<label>rows <select id=\"drift-slice\" data-views=\"drift-slice\">")
          .append("<option value=\"*\">all rows</option>");
      slices.forEach(
          (slice, rows) ->
              sb.append("<option value=\"")
                  .append(Html.escape(slice))
                  .append("\">")
                  .append(Html.escape(slice))
                  .append(
                      rows.stream().anyMatch(r -> Boolean.TRUE.equals(r.drifted()))
                          ? " (drifted)"
                          : "")
                  .append("</option>"));
      sb.append("</select></label>");
    }
    sb.append("<label><input type=\"checkbox\" id=\"only-drifted\"> only")
        .append(" drifted</label><span class=\"note\">click a header to sort</span></div>");
    table(sb, "drift-table", "*", all, !slices.isEmpty());
    int i = 0;
    for (Map.Entry<String, List<ReportData.DriftRow>> e : slices.entrySet()) {
      table(sb, "drift-table-" + (++i), e.getKey(), e.getValue(), true);
    }
    histograms(sb, d, w);
    multivariate(sb, d);
    sb.append("</section>");
  }

  /**
   * One table of drift statistics, drifted first; with {@code inView}, wrapped as the view of
   * {@code slice} that the slice selector shows.
   */
  private static void table(
      StringBuilder sb,
      String id,
      String slice,
      List<ReportData.DriftRow> statistics,
      boolean inView) {
    List<List<Cell>> rows = new ArrayList<>();
    // drifted statistics first, so the table answers "what moved" without a click
    List<ReportData.DriftRow> ordered = new ArrayList<>(statistics);
    ordered.sort(
        Comparator.comparing((ReportData.DriftRow r) -> !Boolean.TRUE.equals(r.drifted())));
    for (ReportData.DriftRow r : ordered) {
      boolean isDrifted = Boolean.TRUE.equals(r.drifted());
      rows.add(
          List.of(
              Cell.text(r.column()).rowClass(isDrifted ? "drifted" : null),
              Cell.text(r.kind()),
              Cell.text(r.statistic()),
              Cell.num(r.value()),
              Cell.num(r.pValue()),
              Cell.num(r.threshold()),
              Cell.html(
                  r.drifted() == null
                      ? "–"
                      : isDrifted ? "<span class=\"pill bad\">drifted</span>" : "no"),
              Cell.text(r.comparison()),
              Cell.text(r.version() == null ? "all" : "v" + r.version())));
    }
    if (inView) {
      sb.append("<div data-view-group=\"drift-slice\" data-view=\"")
          .append(Html.escape(slice))
          .append("\">");
    }
    sb.append(
        Html.table(
            id,
            List.of(
                "column",
                "kind",
                "statistic",
                "value",
                "p-value",
                "threshold",
                "drifted",
                "comparison",
                "version"),
            rows,
            "drifted"));
    if (inView) {
      sb.append("</div>");
    }
  }

  /**
   * The PCA reconstruction error of each day against the baseline with its threshold, per model
   * version: the multivariate drift over time.
   */
  private static void multivariate(StringBuilder sb, ReportData d) {
    if (d.multivariate().isEmpty()) {
      return;
    }
    Map<String, List<ReportData.DriftRow>> byVersion = new TreeMap<>();
    d.multivariate()
        .forEach(
            r ->
                byVersion
                    .computeIfAbsent(
                        r.version() == null ? "all" : "v" + r.version(), k -> new ArrayList<>())
                    .add(r));
    List<Svg.Series> series = new ArrayList<>();
    String[] colors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"};
    int c = 0;
    for (Map.Entry<String, List<ReportData.DriftRow>> e : byVersion.entrySet()) {
      List<double[]> values = new ArrayList<>();
      List<double[]> thresholds = new ArrayList<>();
      List<String> tips = new ArrayList<>();
      for (ReportData.DriftRow r : e.getValue()) {
        if (r.value() == null) {
          continue;
        }
        double x = r.windowStart().toEpochDay();
        values.add(new double[] {x, r.value()});
        tips.add(
            r.windowStart()
                + ": "
                + Html.number(r.value())
                + (Boolean.TRUE.equals(r.drifted()) ? " (drifted)" : ""));
        if (r.threshold() != null) {
          thresholds.add(new double[] {x, r.threshold()});
        }
      }
      String color = colors[c++ % colors.length];
      series.add(new Svg.Series(e.getKey(), color, values, List.of(), tips, false));
      if (!thresholds.isEmpty()) {
        series.add(
            new Svg.Series(
                e.getKey() + " threshold", color, thresholds, List.of(), List.of(), true));
      }
    }
    sb.append("<h3>Multivariate drift over time</h3><figure data-chart=\"multivariate\">")
        .append(
            Svg.lineChart(
                "multivariate-chart",
                "PCA reconstruction error of each day against the baseline",
                "window start (UTC)",
                "mean squared error",
                Svg.XAxis.DATE,
                series,
                List.of(),
                null,
                false))
        .append("<figcaption class=\"note\">The features' joint behaviour: the error of")
        .append(" reconstructing a day's standardized features from the baseline's principal")
        .append(" components; above the dashed threshold the day drifted.</figcaption></figure>");
  }

  /** Baseline and current shares of each drifted column's bins, titled with its PSI. */
  private static void histograms(StringBuilder sb, ReportData d, ReportData.DriftRow w) {
    if (!d.histograms().isEmpty()) {
      sb.append("<h3>Baseline vs current, on the bins drift compares</h3><div class=\"grid\">");
      for (ColumnHistogram h : d.histograms()) {
        Optional<ReportData.DriftRow> psi =
            d.drift().stream()
                .filter(
                    r ->
                        r.column().equals(h.column())
                            && r.comparison().equals("BASELINE")
                            && r.statistic().equals("psi"))
                .findFirst();
        String title =
            h.column()
                + psi.map(
                        r ->
                            " — PSI "
                                + Html.number(r.value())
                                + (Boolean.TRUE.equals(r.drifted()) ? " (drifted)" : ""))
                    .orElse("");
        sb.append("<figure data-column=\"")
            .append(Html.escape(h.column()))
            .append("\">")
            .append(
                Svg.barChart(
                    "histogram",
                    title,
                    "share of rows",
                    h.bins(),
                    List.of("baseline", "current " + w.windowStart()),
                    new double[][] {shares(h.baseline()), shares(h.current())},
                    true))
            .append("</figure>");
      }
      sb.append("</div>");
    }
  }

  private static double[] shares(long[] counts) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    double[] out = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = total == 0 ? 0 : (double) counts[i] / total;
    }
    return out;
  }
}
