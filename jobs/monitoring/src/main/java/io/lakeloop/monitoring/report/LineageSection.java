package io.lakeloop.monitoring.report;

import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.report.Html.Cell;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The report page's section of lineage: the runs behind the numbers and the table versions they
 * read and wrote.
 */
final class LineageSection {
  private LineageSection() {}

  static void render(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"lineage\"><h2>Lineage</h2>");
    sb.append("<p class=\"sub\">This report read ")
        .append(
            d.tablesRead().entrySet().stream()
                // job_runs grows with every run, this report's own included: naming its version
                // would make a rerun of the same report differ by that number alone
                .filter(e -> !e.getKey().equals(Tables.JOB_RUNS))
                .map(e -> "<code>" + Html.escape(e.getKey()) + "@v" + e.getValue() + "</code>")
                .collect(Collectors.joining(", ")))
        .append(" (Delta versions; <code>versionAsOf</code> reads them again) and job_runs for")
        .append(" the table below.</p>");
    Map<String, Set<String>> producedBy = producedBy(d);
    List<List<Cell>> rows = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (ReportData.Run r : d.runs()) {
      seen.add(r.runId());
      rows.add(
          List.of(
              Cell.text(r.runId()),
              Cell.text(r.job()),
              Cell.text(r.date() == null ? "" : r.date().toString()),
              Cell.text(r.status()).rowClass("SUCCEEDED".equals(r.status()) ? null : "drifted"),
              Cell.text(r.finishedAt() == null ? "" : ReportText.TIME.format(r.finishedAt())),
              Cell.html(versions(r.inputs())),
              Cell.html(versions(r.outputs())),
              Cell.text(String.join(", ", producedBy.getOrDefault(r.runId(), Set.of())))));
    }
    producedBy.forEach(
        (run, what) -> {
          if (!seen.contains(run)) {
            rows.add(
                List.of(
                    Cell.text(run),
                    Cell.text("?"),
                    Cell.text(""),
                    Cell.text("not in job_runs"),
                    Cell.text(""),
                    Cell.text(""),
                    Cell.text(""),
                    Cell.text(String.join(", ", what))));
          }
        });
    sb.append(
        Html.table(
            "lineage-table",
            List.of(
                "run",
                "job",
                "logical date",
                "status",
                "finished",
                "read",
                "wrote",
                "numbers shown here"),
            rows,
            null));
    trainingData(sb, d);
    sb.append("</section>");
  }

  /** Which run produced which of the numbers shown, by run id. */
  private static Map<String, Set<String>> producedBy(ReportData d) {
    Map<String, Set<String>> producedBy = new LinkedHashMap<>();
    d.metrics()
        .forEach(
            p ->
                producedBy.computeIfAbsent(p.runId(), k -> new TreeSet<>()).add("quality metrics"));
    d.drift()
        .forEach(
            r ->
                producedBy
                    .computeIfAbsent(r.runId(), k -> new TreeSet<>())
                    .add("drift statistics"));
    d.alerts()
        .forEach(a -> producedBy.computeIfAbsent(a.runId(), k -> new TreeSet<>()).add("alerts"));
    d.registry()
        .forEach(
            e ->
                producedBy
                    .computeIfAbsent(e.runId(), k -> new TreeSet<>())
                    .add("model " + e.ref()));
    d.gate()
        .forEach(
            g -> producedBy.computeIfAbsent(g.runId(), k -> new TreeSet<>()).add("gate decisions"));
    return producedBy;
  }

  /** The Delta versions each registered version was trained on. */
  private static void trainingData(StringBuilder sb, ReportData d) {
    if (!d.registry().isEmpty()) {
      sb.append("<h3>Training data of each version</h3><ul>");
      for (ModelRegistry.Entry e : d.registry()) {
        sb.append("<li><b>")
            .append(Html.escape(e.ref()))
            .append("</b> (run <code>")
            .append(Html.escape(e.runId()))
            .append("</code>): ")
            .append(
                e.trainingData().isEmpty()
                    ? "–"
                    : e.trainingData().stream()
                        .map(
                            l ->
                                "<code>"
                                    + Html.escape(l.table())
                                    + "@v"
                                    + (l.versionFrom() == l.versionTo()
                                        ? Long.toString(l.versionTo())
                                        : l.versionFrom() + "–" + l.versionTo())
                                    + "</code>")
                        .collect(Collectors.joining(", ")))
            .append("</li>");
      }
      sb.append("</ul>");
    }
  }

  private static String versions(Map<String, Long> tables) {
    return tables.entrySet().stream()
        .map(e -> "<code>" + Html.escape(e.getKey()) + "@v" + e.getValue() + "</code>")
        .collect(Collectors.joining(" "));
  }
}
