package io.lakeloop.monitoring.report;

/**
 * The report as one self-contained HTML page: headline, quality over time, curves, drift, training
 * and compression, lineage. A pure function of {@link ReportData}: the same data gives the same
 * bytes (no wall-clock time), so a rerun of a report run rewrites an identical file.
 */
final class ReportPage {
  private ReportPage() {}

  static String render(ReportData d, ReportSettings s) {
    StringBuilder sb = new StringBuilder(1 << 16);
    sb.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(Html.escape(d.model() + " — lakeloop report " + d.asOf()))
        .append("</title><style>")
        .append(Html.STYLE)
        .append("</style></head><body>");
    sb.append("<header><h1>")
        .append(Html.escape(d.model()))
        .append(" — model health</h1><div class=\"sub\">as of ")
        .append(d.asOf())
        .append(" · report run <code>")
        .append(Html.escape(d.runId()))
        .append("</code></div><nav>")
        .append("<a href=\"#headline\">Headline</a><a href=\"#quality\">Quality</a>")
        .append("<a href=\"#curves\">Curves</a><a href=\"#drift\">Drift</a>")
        .append(
            "<a href=\"#training\">Training</a><a href=\"#lineage\">Lineage</a></nav></header><main>");
    HeadlineSection.render(sb, d);
    QualitySection.render(sb, d, s);
    CurvesSection.render(sb, d, s);
    DriftSection.render(sb, d);
    TrainingSection.render(sb, d);
    LineageSection.render(sb, d);
    sb.append(
            "</main><footer class=\"note\">Written by <code>lakeloop report</code> from the Delta")
        .append(" tables listed under Lineage; self-contained (inline SVG and script, no network).")
        .append("</footer><script>")
        .append(Html.SCRIPT)
        .append("</script></body></html>\n");
    return sb.toString();
  }
}
