package io.lakeloop.monitoring.report;

import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.monitoring.report.ReportData.MetricPoint;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The report page's section of the four cards: champion, latest labeled day, last gate decision,
 * open alerts.
 */
final class HeadlineSection {
  private HeadlineSection() {}

  static void render(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"headline\"><h2>Headline</h2><div class=\"cards\">");
    champion(sb, d);
    latestQuality(sb, d);
    lastGate(sb, d);
    openAlerts(sb, d);
    qualityAlerts(sb, d);
    sb.append("</div></section>");
  }

  private static void champion(StringBuilder sb, ReportData d) {
    sb.append("<div class=\"card\" id=\"champion\"><h3>Champion</h3>");
    Optional<ModelRegistry.Entry> champion = d.champion();
    if (champion.isPresent()) {
      ModelRegistry.Entry c = champion.get();
      sb.append("<div class=\"big\">")
          .append(Html.escape(c.ref()))
          .append("</div><div>")
          .append(Html.escape(c.status()))
          .append(" ")
          .append(ReportText.TIME.format(c.createdAt()))
          .append(" · ")
          .append(Html.escape(c.format()))
          .append(" · ")
          .append(Html.bytes(c.sizeBytes()))
          .append("</div>");
      if (c.compression() != null && c.compression().bits() != null) {
        sb.append("<div>compressed: ")
            .append(Html.percent(ReportText.orZero(c.compression().sparsity())))
            .append(" of weights pruned, int")
            .append(c.compression().bits())
            .append(", ")
            .append(
                String.format(Locale.ROOT, "%.1f×", ReportText.orZero(c.compression().sizeRatio())))
            .append(" smaller than ")
            .append(c.parentVersion() == null ? "its parent" : "v" + c.parentVersion())
            .append("</div>");
      }
      Double acc = c.metrics().get("holdout.accuracy");
      if (acc != null) {
        sb.append("<div class=\"note\">held-out accuracy ")
            .append(Html.number(acc))
            .append("</div>");
      }
    } else {
      sb.append("<div class=\"big\">none</div><div class=\"note\">no champion alias is set for ")
          .append(Html.escape(d.model()))
          .append(" (bin/lakeloop registry list)</div>");
    }
    sb.append("</div>");
  }

  private static void latestQuality(StringBuilder sb, ReportData d) {
    sb.append("<div class=\"card\" id=\"latest-quality\"><h3>Latest labeled day</h3>");
    List<MetricPoint> overall =
        d.metrics().stream()
            .filter(p -> p.granularity().equals(ReportReader.DAY) && p.sliceKey().equals("*"))
            .toList();
    Optional<LocalDate> day = ReportData.latestLabeledDay(d.metrics());
    if (day.isPresent()) {
      sb.append("<div class=\"big\">").append(day.get()).append("</div><ul class=\"reasons\">");
      for (MetricPoint p : overall) {
        if (p.window().equals(day.get())
            && (p.metric().equals("accuracy") || p.metric().equals("roc_auc"))) {
          sb.append("<li>v")
              .append(Html.escape(p.version()))
              .append(" ")
              .append(Html.escape(ReportText.name(p.metric())))
              .append(" <b>")
              .append(Html.number(p.value()))
              .append("</b>")
              .append(ReportText.interval(p))
              .append(", n = ")
              .append(Html.number((double) p.n()))
              .append("</li>");
        }
      }
      sb.append("</ul>");
    } else {
      sb.append(
              "<div class=\"big\">–</div><div class=\"note\">no labeled predictions evaluated yet")
          .append(" (bin/lakeloop evaluate)</div>");
    }
    sb.append("</div>");
  }

  private static void lastGate(StringBuilder sb, ReportData d) {
    sb.append("<div class=\"card\" id=\"last-gate\"><h3>Last gate decision</h3>");
    if (d.gate().isEmpty()) {
      sb.append("<div class=\"big\">–</div><div class=\"note\">no gate decision yet (bin/lakeloop")
          .append(" train or compress)</div>");
    } else {
      String run = d.gate().get(0).runId();
      List<ReportData.GateCheck> checks =
          d.gate().stream().filter(g -> g.runId().equals(run)).toList();
      Optional<ReportData.GateCheck> winner =
          checks.stream().filter(ReportData.GateCheck::winner).findFirst();
      sb.append("<div class=\"big ")
          .append(winner.isPresent() ? "ok" : "bad")
          .append("\">")
          .append(
              winner
                  .map(
                      w ->
                          "blessed: "
                              + w.candidate()
                              + (w.candidateVersion() == null
                                  ? ""
                                  : " (v" + w.candidateVersion() + ")"))
                  .map(Html::escape)
                  .orElse("nothing blessed"))
          .append("</div><div class=\"note\">run <code>")
          .append(Html.escape(run))
          .append("</code>")
          .append(checks.get(0).date() == null ? "" : " for " + checks.get(0).date())
          .append(", against ")
          .append(Html.escape(checks.get(0).champion()))
          .append("</div><ul class=\"reasons\">");
      int shown = 0;
      for (ReportData.GateCheck g : checks) {
        if (g.reason() == null || shown >= 10) {
          continue;
        }
        shown++;
        sb.append("<li class=\"")
            .append(Boolean.FALSE.equals(g.passed()) ? "bad" : "")
            .append("\">")
            .append(Html.escape(g.candidate()))
            .append(": ")
            .append(Html.escape(g.reason()))
            .append("</li>");
      }
      sb.append("</ul>");
    }
    sb.append("</div>");
  }

  private static void openAlerts(StringBuilder sb, ReportData d) {
    sb.append("<div class=\"card\" id=\"open-alerts\"><h3>Open alerts</h3>");
    sb.append("<div class=\"big ")
        .append(d.alerts().isEmpty() ? "ok" : "bad")
        .append("\">")
        .append(d.alerts().size())
        .append("</div>");
    if (d.alerts().isEmpty()) {
      sb.append("<div class=\"note\">no drift alert in the days before ")
          .append(d.asOf())
          .append("</div>");
    } else {
      sb.append("<ul class=\"reasons\">");
      for (ReportData.Alert a : d.alerts()) {
        sb.append("<li>")
            .append(a.windowStart().format(ReportText.DAY))
            .append(" · ")
            .append(Html.escape(a.granularity() + " " + a.comparison()))
            .append(a.version() == null ? "" : " · v" + Html.escape(a.version()))
            .append(": <b>")
            .append(Html.escape(String.join(", ", a.columns())))
            .append("</b> (")
            .append(Html.percent(a.share()))
            .append(" of columns")
            .append(a.datasetDrifted() ? ", dataset drifted" : "")
            .append(")</li>");
      }
      sb.append("</ul>");
    }
    sb.append("</div>");
  }

  /**
   * Quality alerts: windows x slices that broke a rule (lakeloop.models.<name>.quality) or left the
   * band of their own history (anomalies).
   */
  private static void qualityAlerts(StringBuilder sb, ReportData d) {
    sb.append("<div class=\"card\" id=\"quality-alerts\"><h3>Quality alerts</h3>");
    sb.append("<div class=\"big ")
        .append(d.qualityAlerts().isEmpty() ? "ok" : "bad")
        .append("\">")
        .append(d.qualityAlerts().size())
        .append("</div>");
    if (d.qualityAlerts().isEmpty()) {
      sb.append("<div class=\"note\">no quality rule broken in the days before ")
          .append(d.asOf())
          .append("</div>");
    } else {
      sb.append("<ul class=\"reasons\">");
      for (ReportData.QualityAlert a : d.qualityAlerts()) {
        sb.append("<li>")
            .append(a.windowStart().format(ReportText.DAY))
            .append(" · ")
            .append(Html.escape(a.granularity()))
            .append(a.version() == null ? "" : " · v" + Html.escape(a.version()))
            .append(" · ")
            .append(
                Html.escape(
                    a.sliceKey().equals("*") ? "all rows" : a.sliceKey() + " = " + a.sliceValue()))
            .append(": <b>")
            .append(Html.escape(a.rule()))
            .append("</b> — ")
            .append(Html.escape(a.reason()))
            .append("</li>");
      }
      sb.append("</ul>");
    }
    sb.append("</div>");
  }

  // ---------------------------------------------------------------- quality over time
}
