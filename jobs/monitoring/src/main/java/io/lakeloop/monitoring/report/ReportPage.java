package io.lakeloop.monitoring.report;

import java.util.Map;

/**
 * The report as one self-contained HTML page: headline, quality over time, curves, drift, training
 * and compression, lineage. A pure function of {@link ReportData}: the same data gives the same
 * bytes (no wall-clock time), so a rerun of a report run rewrites an identical file. The skeleton
 * ({@code page.html}), stylesheet and script are resources of this package; each section is
 * rendered by its own class.
 */
final class ReportPage {
  private ReportPage() {}

  /** The page skeleton, its stylesheet and its script, read once from this package's resources. */
  private static final Template PAGE = Template.markup("page.html");

  private static final String STYLE = Template.resource("report.css");
  private static final String SCRIPT = Template.resource("report.js");

  static String render(ReportData d, ReportSettings s) {
    StringBuilder sections = new StringBuilder(1 << 16);
    HeadlineSection.render(sections, d);
    QualitySection.render(sections, d, s);
    FairnessSection.render(sections, d);
    CurvesSection.render(sections, d, s);
    DriftSection.render(sections, d);
    DataQualitySection.render(sections, d);
    TrainingSection.render(sections, d);
    LineageSection.render(sections, d);
    return PAGE.fill(
            Map.of(
                "title", Html.escape(d.model() + " — lakeloop report " + d.asOf()),
                "style", STYLE,
                "model", Html.escape(d.model()),
                "as-of", d.asOf().toString(),
                "run-id", Html.escape(d.runId()),
                "sections", sections.toString(),
                "script", SCRIPT))
        + "\n";
  }
}
