package io.lakeloop.monitoring.quality;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Anomalies in metric history, without hand-picked thresholds: each watched metric of each model
 * version, granularity and slice is compared with a robust band from its own recent windows — the
 * median of the last {@code history} windows (with a weekly season: only those a whole number of
 * weeks earlier) ± k robust standard deviations (1.4826 x the median absolute deviation, which
 * estimates the standard deviation of normal noise while one outlier in the history moves it
 * little). Only the worse direction counts (a drop for metrics where higher is better, a rise for
 * losses and errors). A zero spread (a constant history) never flags on its own: the window's own
 * bootstrap half-width is used as the spread when larger. Pure; runs on the driver.
 */
public final class Anomalies {
  /** Scales a median absolute deviation to a standard deviation under normal noise. */
  static final double MAD_TO_SD = 1.4826;

  private Anomalies() {}

  /** The name alerts give the band, e.g. {@code accuracy: median ± 4 robust sd of 28 windows}. */
  static String ruleName(String metric, AnomalySettings s) {
    return String.format(
        Locale.ROOT,
        "%s: median ± %s robust sd of %d%s windows",
        metric,
        QualityRule.trim(s.k()),
        s.history(),
        s.weekly() ? " same-weekday" : "");
  }

  /**
   * The anomalies among {@code judged} windows (window starts), each compared with the windows of
   * {@code rows} before it. Rows with fewer than {@code minRows} rows behind them are neither
   * judged nor history.
   *
   * @return the breaches (kind anomaly), and per metric: judged, too few rows, too little history
   */
  public static QualityRules.Judgement judge(
      AnomalySettings s,
      long minRows,
      List<QualityRules.MetricRow> rows,
      Set<Instant> judged,
      Instant provisionalAfter) {
    Map<String, List<QualityRules.MetricRow>> series = new LinkedHashMap<>();
    for (QualityRules.MetricRow r : rows) {
      if (s.metrics().contains(r.metric())
          && s.granularities().contains(r.granularity())
          && r.value() != null
          && r.n() >= minRows) {
        series
            .computeIfAbsent(
                String.join(
                    "\u0000",
                    r.version(),
                    r.granularity(),
                    r.sliceKey(),
                    r.sliceValue(),
                    r.metric()),
                k -> new ArrayList<>())
            .add(r);
      }
    }
    List<QualityRules.Breach> breaches = new ArrayList<>();
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (String m : s.metrics()) {
      counts.put(ruleName(m, s), new int[3]);
    }
    for (List<QualityRules.MetricRow> one : series.values()) {
      one.sort(Comparator.comparing(QualityRules.MetricRow::windowStart));
      for (int i = 0; i < one.size(); i++) {
        QualityRules.MetricRow r = one.get(i);
        if (!judged.contains(r.windowStart())) {
          continue;
        }
        int[] c = counts.get(ruleName(r.metric(), s));
        double[] history = history(one, i, s);
        if (history.length < s.minHistory()) {
          c[QualityRules.Judgement.NO_REFERENCE]++;
          continue;
        }
        c[QualityRules.Judgement.JUDGED]++;
        double median = median(history);
        double[] deviations = Arrays.stream(history).map(v -> Math.abs(v - median)).toArray();
        double spread = MAD_TO_SD * median(deviations);
        if (r.ciLow() != null && r.ciHigh() != null) {
          spread = Math.max(spread, (r.ciHigh() - r.ciLow()) / 2 / 1.96);
        }
        boolean lowerIsBetter = s.lowerIsBetter(r.metric());
        double bound = lowerIsBetter ? median + s.k() * spread : median - s.k() * spread;
        boolean broken = lowerIsBetter ? r.value() > bound : r.value() < bound;
        if (broken && spread > 0) {
          QualityRule rule =
              new QualityRule(
                  ruleName(r.metric(), s),
                  r.metric(),
                  lowerIsBetter ? QualityRule.Kind.MAX : QualityRule.Kind.MIN,
                  bound,
                  false,
                  List.of(r.granularity()),
                  List.of("*"));
          boolean provisional = r.windowEnd().isAfter(provisionalAfter);
          breaches.add(
              new QualityRules.Breach(
                  QualityCheck.ANOMALY,
                  rule,
                  r,
                  median,
                  bound,
                  false,
                  provisional,
                  String.format(
                      Locale.ROOT,
                      "%s %.4g is %s the band of its last %d windows: median %.4g %s %s x %.4g"
                          + " (robust sd) = %.4g; %d rows%s",
                      r.metric(),
                      r.value(),
                      lowerIsBetter ? "above" : "below",
                      history.length,
                      median,
                      lowerIsBetter ? "+" : "-",
                      QualityRule.trim(s.k()),
                      spread,
                      bound,
                      r.n(),
                      provisional
                          ? "; provisional: the window is inside the label delay, labels are"
                              + " still arriving"
                          : "")));
        }
      }
    }
    return new QualityRules.Judgement(breaches, counts);
  }

  /** The values of up to {@code history} usable windows before index i (same weekday if weekly). */
  static double[] history(List<QualityRules.MetricRow> one, int i, AnomalySettings s) {
    Instant at = one.get(i).windowStart();
    List<Double> out = new ArrayList<>();
    for (int j = i - 1; j >= 0 && out.size() < s.history(); j--) {
      Duration back = Duration.between(one.get(j).windowStart(), at);
      if (!s.weekly() || back.toSeconds() % (7 * 86_400L) == 0) {
        out.add(one.get(j).value());
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
