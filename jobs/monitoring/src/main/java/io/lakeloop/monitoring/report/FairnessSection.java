package io.lakeloop.monitoring.report;

import io.lakeloop.monitoring.evaluate.Measures;
import io.lakeloop.monitoring.report.Html.Cell;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report page's section of fairness: per granularity, grouping and model version of the latest
 * window, a table of each group's disparities against the grouping's reference, with their paired
 * bootstrap intervals; the "*" row is the group farthest from parity.
 */
final class FairnessSection {
  private FairnessSection() {}

  static void render(StringBuilder sb, ReportData d) {
    if (d.fairness().isEmpty()) {
      return; // the model has no fairness grouping (or evaluate has not run with one)
    }
    sb.append("<section id=\"fairness\"><h2>Fairness</h2>")
        .append("<p class=\"sub\">Each group against the grouping's reference group (the named")
        .append(" one, or per disparity the most favourable group); brackets: paired bootstrap")
        .append(" interval (the same replicate weights for both groups); *: the group farthest")
        .append(" from parity.</p>");
    // one table per granularity x grouping x version, rows = groups in data order
    Map<String, Map<String, Map<String, ReportData.MetricPoint>>> tables = new LinkedHashMap<>();
    for (ReportData.MetricPoint p : d.fairness()) {
      String table =
          p.granularity() + "|" + p.sliceKey() + "|" + p.version() + "|" + p.window().toString();
      tables
          .computeIfAbsent(table, k -> new LinkedHashMap<>())
          .computeIfAbsent(p.sliceValue(), k -> new LinkedHashMap<>())
          .put(p.metric(), p);
    }
    int i = 0;
    for (Map.Entry<String, Map<String, Map<String, ReportData.MetricPoint>>> t :
        tables.entrySet()) {
      String[] k = t.getKey().split("\\|", -1);
      sb.append("<h3>")
          .append(Html.escape(k[1]))
          .append(" — version ")
          .append(Html.escape(k[2]))
          .append(", window of ")
          .append(Html.escape(k[0]))
          .append(" from ")
          .append(Html.escape(k[3]))
          .append("</h3>");
      List<List<Cell>> rows = new ArrayList<>();
      for (Map.Entry<String, Map<String, ReportData.MetricPoint>> g : t.getValue().entrySet()) {
        List<Cell> row = new ArrayList<>();
        row.add(Cell.text(g.getKey()));
        long n = 0;
        for (String m : Measures.DISPARITIES) {
          ReportData.MetricPoint p = g.getValue().get(m);
          row.add(
              p == null || p.value() == null
                  ? Cell.text("–")
                  : new Cell(
                      Html.number(p.value()) + ReportText.interval(p), p.value(), true, null));
          if (p != null && m.equals(Measures.PARITY_DIFFERENCE)) {
            n = p.n();
          }
        }
        row.add(Cell.num((double) n));
        rows.add(row);
      }
      List<String> headers = new ArrayList<>();
      headers.add("group");
      headers.addAll(Measures.DISPARITIES);
      headers.add("rows");
      sb.append(Html.table("fairness-" + i++, headers, rows, null));
    }
    sb.append("</section>");
  }
}
