package io.lakeloop.monitoring.report;

import io.lakeloop.monitoring.drift.ColumnHistogram;
import io.lakeloop.monitoring.report.Html.Cell;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The report page's section of drift statistics (drifted first) and the histograms of the drifted
 * columns.
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
    ReportData.DriftRow w = d.drift().get(0);
    long drifted = d.drift().stream().filter(r -> Boolean.TRUE.equals(r.drifted())).count();
    sb.append("<p class=\"sub\">Window of ")
        .append(Html.escape(w.granularity()))
        .append(" starting ")
        .append(w.windowStart())
        .append(": BASELINE compares it with the baseline profile, CONSECUTIVE with the window")
        .append(" before. ")
        .append(drifted)
        .append(" of ")
        .append(d.drift().size())
        .append(" statistics over their threshold.</p>");
    sb.append("<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-drifted\"> only")
        .append(" drifted</label><span class=\"note\">click a header to sort</span></div>");
    List<List<Cell>> rows = new ArrayList<>();
    // drifted statistics first, so the table answers "what moved" without a click
    List<ReportData.DriftRow> ordered = new ArrayList<>(d.drift());
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
    sb.append(
        Html.table(
            "drift-table",
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
    histograms(sb, d, w);
    sb.append("</section>");
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
