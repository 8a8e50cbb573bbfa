package io.lakeloop.monitoring.report;

import io.lakeloop.monitoring.report.Html.Cell;
import java.util.ArrayList;
import java.util.List;

/**
 * The report page's section of data-quality constraint checks: those of the windows containing the
 * model's latest checked day (the day and its longer windows), failed first.
 */
final class DataQualitySection {
  private DataQualitySection() {}

  static void render(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"data-quality\"><h2>Data quality</h2>");
    List<ReportData.ConstraintCheck> checks = d.constraintChecks();
    if (checks.isEmpty()) {
      sb.append(
              "<p class=\"note\">No constraint checks: suggest constraints from the drift baseline"
                  + " with <code>bin/lakeloop constraints suggest</code>, then <code>bin/lakeloop")
          .append(" drift</code> checks them on every window.</p></section>");
      return;
    }
    long failed = checks.stream().filter(c -> !c.passed()).count();
    sb.append("<p class=\"sub\">")
        .append(failed)
        .append(" of ")
        .append(checks.size())
        .append(" constraint checks failed in the windows containing ")
        .append(
            checks.stream()
                .filter(c -> c.granularity().equals(ReportReader.DAY))
                .map(c -> c.windowStart().toString())
                .findFirst()
                .orElse(checks.get(0).windowStart().toString()))
        .append(" (failed first; each failure is an alert of kind data_quality).</p>");
    List<List<Cell>> rows = new ArrayList<>();
    for (ReportData.ConstraintCheck c : checks) {
      rows.add(
          List.of(
              Cell.text(c.name()).rowClass(c.passed() ? null : "failed"),
              Cell.text(c.kind()),
              Cell.num(c.observed()),
              Cell.num(c.bound()),
              Cell.num((double) c.rows()),
              Cell.html(c.passed() ? "yes" : "<span class=\"pill bad\">failed</span>"),
              Cell.text(c.granularity() + " from " + c.windowStart()),
              Cell.text(c.version() == null ? "all" : "v" + c.version())));
    }
    sb.append(
        Html.table(
            "constraint-checks",
            List.of(
                "constraint", "kind", "observed", "bound", "rows", "passed", "window", "version"),
            rows,
            "failed"));
    sb.append("</section>");
  }
}
