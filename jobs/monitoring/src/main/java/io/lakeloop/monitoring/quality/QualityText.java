package io.lakeloop.monitoring.quality;

import java.util.List;
import java.util.Map;

/** The CLI's lines about a run's quality rules: what was judged, and each alert. Pure. */
public final class QualityText {
  /** Alerts listed one per line at most; the rest are counted, with the query that lists them. */
  static final int MAX_LINES = 20;

  private QualityText() {}

  /** Empty when the model has no rules. */
  public static String render(
      QualitySettings settings, QualityRules.Judgement j, long alertsVersion) {
    if (settings.rules().isEmpty()) {
      return "";
    }
    int judged = 0, few = 0, noRef = 0;
    for (int[] c : j.counts().values()) {
      judged += c[QualityRules.Judgement.JUDGED];
      few += c[QualityRules.Judgement.FEW_LABELS];
      noRef += c[QualityRules.Judgement.NO_REFERENCE];
    }
    List<QualityRules.Breach> breaches = j.breaches();
    StringBuilder out =
        new StringBuilder(
            String.format(
                "quality: %d rule(s) judged %d window x slice metric(s)%s%s; %d quality alert(s)"
                    + " in alerts v%d",
                settings.rules().size(),
                judged,
                few == 0
                    ? ""
                    : String.format(
                        ", %d not judged (fewer than %d labeled rows)", few, settings.minLabeled()),
                noRef == 0
                    ? ""
                    : String.format(
                        ", %d without a reference value (evaluate the reference period %s..%s"
                            + " first, e.g. with --since)",
                        noRef,
                        settings.referenceFrom().map(Object::toString).orElse("?"),
                        settings.referenceUntil().map(Object::toString).orElse("?")),
                breaches.size(),
                alertsVersion));
    for (Map.Entry<String, int[]> e : j.counts().entrySet()) {
      if (e.getValue()[QualityRules.Judgement.JUDGED] == 0) {
        out.append(
            String.format(
                "%n  rule '%s' judged nothing: no window x slice had its metric with enough rows",
                e.getKey()));
      }
    }
    for (int i = 0; i < breaches.size() && i < MAX_LINES; i++) {
      QualityRules.Breach b = breaches.get(i);
      QualityRules.MetricRow r = b.row();
      out.append(
          String.format(
              "%n  ALERT %s %s v%s slice %s=%s: rule '%s': %s",
              r.granularity(),
              r.windowStart().toString().substring(0, 10),
              r.version(),
              r.sliceKey(),
              r.sliceValue(),
              b.rule().name(),
              b.reason()));
    }
    if (breaches.size() > MAX_LINES) {
      out.append(
          String.format(
              "%n  ... and %d more: bin/lakeloop query \"select * from alerts where kind ="
                  + " 'quality' and run_id = '<run id>'\"",
              breaches.size() - MAX_LINES));
    }
    return out.toString();
  }
}
