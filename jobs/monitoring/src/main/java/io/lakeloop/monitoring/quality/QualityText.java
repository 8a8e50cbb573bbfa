package io.lakeloop.monitoring.quality;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CLI's lines about a run's quality rules and anomaly bands: what was judged, and each alert.
 * Pure.
 */
public final class QualityText {
  /** Alerts listed one per line at most; the rest are counted, with the query that lists them. */
  static final int MAX_LINES = 20;

  private QualityText() {}

  /** Empty when the model has no rules and watches no metric. */
  public static String render(
      QualitySettings settings, QualityRules.Judgement j, long alertsVersion) {
    AnomalySettings a = settings.anomaly();
    if (settings.rules().isEmpty() && a.metrics().isEmpty()) {
      return "";
    }
    Set<String> bands =
        a.metrics().stream().map(m -> Anomalies.ruleName(m, a)).collect(Collectors.toSet());
    int[] rules = new int[3];
    int[] anomalies = new int[3];
    for (Map.Entry<String, int[]> e : j.counts().entrySet()) {
      int[] into = bands.contains(e.getKey()) ? anomalies : rules;
      for (int i = 0; i < 3; i++) {
        into[i] += e.getValue()[i];
      }
    }
    List<QualityRules.Breach> breaches = j.breaches();
    long ofRules = breaches.stream().filter(b -> b.kind().equals(QualityCheck.QUALITY)).count();
    long estimated =
        breaches.stream().filter(b -> b.kind().equals(QualityCheck.ESTIMATED_QUALITY)).count();
    long anomalous = breaches.stream().filter(b -> b.kind().equals(QualityCheck.ANOMALY)).count();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "quality: %d rule(s) judged %d window x slice metric(s)%s%s; %d quality alert(s)%s",
            settings.rules().size(),
            rules[QualityRules.Judgement.JUDGED],
            rules[QualityRules.Judgement.FEW_LABELS] == 0
                ? ""
                : String.format(
                    ", %d not judged (fewer than %d labeled rows)",
                    rules[QualityRules.Judgement.FEW_LABELS], settings.minLabeled()),
            rules[QualityRules.Judgement.NO_REFERENCE] == 0
                ? ""
                : String.format(
                    ", %d without a reference value (evaluate the reference period %s..%s"
                        + " first, e.g. with --since)",
                    rules[QualityRules.Judgement.NO_REFERENCE],
                    settings.referenceFrom().map(Object::toString).orElse("?"),
                    settings.referenceUntil().map(Object::toString).orElse("?")),
            ofRules,
            estimated == 0
                ? ""
                : String.format(
                    " and %d estimated-quality alert(s) (windows inside the label delay, judged"
                        + " on their estimate)",
                    estimated)));
    if (!a.metrics().isEmpty()) {
      out.append(
          String.format(
              "; anomalies: %d window x slice metric(s) judged against their last %d windows%s,"
                  + " %d with too little history (< %d windows); %d anomaly alert(s)",
              anomalies[QualityRules.Judgement.JUDGED],
              a.history(),
              a.weekly() ? " of the same weekday" : "",
              anomalies[QualityRules.Judgement.NO_REFERENCE],
              a.minHistory(),
              anomalous));
    }
    out.append(String.format(" (alerts v%d)", alertsVersion));
    for (String rule : settings.rules().stream().map(QualityRule::name).toList()) {
      int[] c = j.counts().get(rule);
      if (c != null && c[QualityRules.Judgement.JUDGED] == 0) {
        out.append(
            String.format(
                "%n  rule '%s' judged nothing: no window x slice had its metric with enough rows",
                rule));
      }
    }
    for (int i = 0; i < breaches.size() && i < MAX_LINES; i++) {
      QualityRules.Breach b = breaches.get(i);
      QualityRules.MetricRow r = b.row();
      out.append(
          String.format(
              "%n  %s %s %s v%s slice %s=%s: %s'%s': %s",
              switch (b.kind()) {
                case QualityCheck.QUALITY -> "ALERT";
                case QualityCheck.ESTIMATED_QUALITY -> "ESTIMATED ALERT";
                default -> "ANOMALY";
              },
              r.granularity(),
              r.windowStart().toString().substring(0, 10),
              r.version(),
              r.sliceKey(),
              r.sliceValue(),
              b.kind().equals(QualityCheck.QUALITY) ? "rule " : "",
              b.rule().name(),
              b.reason()));
    }
    if (breaches.size() > MAX_LINES) {
      out.append(
          String.format(
              "%n  ... and %d more: bin/lakeloop query \"select * from alerts where kind in"
                  + " ('quality', 'anomaly', 'estimated_quality') and run_id = '<run id>'\"",
              breaches.size() - MAX_LINES));
    }
    return out.toString();
  }
}
