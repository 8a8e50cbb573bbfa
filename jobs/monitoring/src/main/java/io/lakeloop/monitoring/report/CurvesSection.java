package io.lakeloop.monitoring.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report page's section of ROC, precision-recall and calibration curves of the latest labeled
 * window.
 */
final class CurvesSection {
  private CurvesSection() {}

  static void render(StringBuilder sb, ReportData d, ReportSettings s) {
    sb.append("<section id=\"curves\"><h2>ROC, precision-recall and calibration</h2>");
    if (d.curves().isEmpty() || d.curves().get().versions().isEmpty()) {
      sb.append("<p class=\"note\">")
          .append(
              d.classLabels().size() == 2
                  ? "No labeled predictions in the report's history yet."
                  : "Curves are drawn for binary models.")
          .append("</p></section>");
      return;
    }
    ReportData.Curves c = d.curves().get();
    sb.append("<p class=\"sub\">Labeled predictions of ")
        .append(c.day())
        .append(" (UTC), positive class <b>")
        .append(Html.escape(c.positiveClass()))
        .append("</b>, thresholds every 1/")
        .append(c.bins())
        .append(" of the score.</p><div class=\"grid\">");
    List<String> versions = new ArrayList<>(ReportText.allVersions(d));
    versions.sort(ReportText::versionOrder);
    List<Svg.Series> roc = new ArrayList<>();
    List<Svg.Series> pr = new ArrayList<>();
    List<Svg.Series> cal = new ArrayList<>();
    StringBuilder aucs = new StringBuilder();
    for (ReportData.VersionBins v : c.versions()) {
      String color = ReportText.color(versions, v.version());
      String name = "v" + v.version();
      List<double[]> r = CurveMath.roc(v.positives(), v.negatives());
      List<double[]> p = CurveMath.precisionRecall(v.positives(), v.negatives());
      List<double[]> k =
          CurveMath.calibration(v.positives(), v.negatives(), v.scoreSums(), s.calibrationBins());
      if (!r.isEmpty()) {
        roc.add(new Svg.Series(name + " (AUC " + Html.number(CurveMath.area(r)) + ")", color, r));
      }
      if (!p.isEmpty()) {
        pr.add(
            new Svg.Series(
                name + " (AP " + Html.number(CurveMath.averagePrecision(p)) + ")", color, p));
      }
      cal.add(calibration(name, color, k));
      aucs.append(pill(v, name, r));
    }
    charts(sb, s, roc, pr, cal);
    sb.append("</div><p class=\"note\">").append(aucs).append("</p></section>");
  }

  /** A version's reliability curve, each point with its rows in the tooltip. */
  private static Svg.Series calibration(String name, String color, List<double[]> k) {
    List<String> tips =
        k.stream()
            .map(
                q ->
                    name
                        + ": mean score "
                        + Html.number(q[0])
                        + ", observed "
                        + Html.number(q[1])
                        + ", "
                        + Html.number(q[2])
                        + " rows")
            .toList();
    return new Svg.Series(
        name,
        color,
        k.stream().map(q -> new double[] {q[0], q[1]}).toList(),
        List.of(),
        tips,
        false);
  }

  /** A version's counts, its ROC-AUC in a data attribute. */
  private static String pill(ReportData.VersionBins v, String name, List<double[]> roc) {
    return String.format(
        Locale.ROOT,
        "<span class=\"pill\" data-version=\"%s\" data-roc-auc=\"%s\">%s: %s positives, %s negatives</span> ",
        Html.escape(v.version()),
        roc.isEmpty() ? "" : Double.toString(CurveMath.area(roc)),
        name,
        Html.number(CurveMath.sum(v.positives())),
        Html.number(CurveMath.sum(v.negatives())));
  }

  /** The three charts over the unit square. */
  private static void charts(
      StringBuilder sb,
      ReportSettings s,
      List<Svg.Series> roc,
      List<Svg.Series> pr,
      List<Svg.Series> cal) {
    double[] unit = {0, 1, 0, 1};
    sb.append("<figure id=\"roc\">")
        .append(
            Svg.lineChart(
                "curve-chart",
                "ROC curve",
                "false positive rate",
                "true positive rate",
                Svg.XAxis.NUMBER,
                roc,
                List.of(),
                unit,
                true))
        .append("</figure><figure id=\"pr\">")
        .append(
            Svg.lineChart(
                "curve-chart",
                "Precision-recall curve",
                "recall",
                "precision",
                Svg.XAxis.NUMBER,
                pr,
                List.of(),
                unit,
                false))
        .append("</figure><figure id=\"calibration\">")
        .append(
            Svg.lineChart(
                "curve-chart",
                "Calibration (" + s.calibrationBins() + " score bins)",
                "mean predicted probability",
                "observed positive rate",
                Svg.XAxis.NUMBER,
                cal,
                List.of(),
                unit,
                true))
        .append("</figure>");
  }
}
