package io.lakeloop.monitoring.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.commons.math3.stat.descriptive.rank.Median;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class AnomaliesTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant LATE = Instant.parse("2027-01-01T00:00:00Z");

  private static QualityRules.MetricRow day(int i, String metric, double value, long n) {
    Instant s = START.plusSeconds(86_400L * i);
    return new QualityRules.MetricRow(
        "1", "1 day", s, s.plusSeconds(86_400), "*", "*", metric, value, null, null, n);
  }

  private static AnomalySettings settings(int history, boolean weekly) {
    return new AnomalySettings(
        List.of("accuracy", "log_loss"), List.of("1 day"), history, 7, 4, weekly);
  }

  /** Median and MAD by Commons Math, the band as the class documents it. */
  private static double lowerBound(double[] history, double k) {
    double median = new Median().evaluate(history);
    double mad =
        new Median().evaluate(Arrays.stream(history).map(v -> Math.abs(v - median)).toArray());
    return median - k * 1.4826 * mad;
  }

  @Test
  void aDropBelowTheRobustBandIsAnAnomalyAndItsBoundMatchesCommonsMath() {
    double[] values = {0.85, 0.86, 0.84, 0.85, 0.87, 0.83, 0.86, 0.85, 0.84, 0.86};
    List<QualityRules.MetricRow> rows = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      rows.add(day(i, "accuracy", values[i], 500));
    }
    rows.add(day(10, "accuracy", 0.74, 500));
    QualityRules.Judgement j =
        Anomalies.judge(
            settings(28, false), 100, rows, Set.of(START.plusSeconds(86_400L * 10)), LATE);
    assertThat(j.breaches())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.kind()).isEqualTo(QualityCheck.ANOMALY);
              assertThat(b.bound()).isCloseTo(lowerBound(values, 4), Offset.offset(1e-12));
              assertThat(b.reference())
                  .isCloseTo(new Median().evaluate(values), Offset.offset(1e-12));
            });
    assertThat(j.counts().get(Anomalies.ruleName("accuracy", settings(28, false))))
        .containsExactly(1, 0, 0);
    // a value inside the band, and a rise of accuracy (the better direction), are not anomalies
    for (double v : new double[] {0.82, 0.99}) {
      rows.set(10, day(10, "accuracy", v, 500));
      assertThat(
              Anomalies.judge(
                      settings(28, false), 100, rows, Set.of(START.plusSeconds(86_400L * 10)), LATE)
                  .breaches())
          .isEmpty();
    }
  }

  @Test
  void aCustomMetricIsWatchedInItsOwnDirection() {
    double[] values = {100, 104, 98, 101, 99, 103, 100, 102, 97, 101};
    List<QualityRules.MetricRow> rows = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      rows.add(day(i, "revenue_at_risk", values[i], 500));
    }
    rows.add(day(10, "revenue_at_risk", 160, 500));
    Set<Instant> judged = Set.of(START.plusSeconds(86_400L * 10));
    AnomalySettings lower =
        new AnomalySettings(
            List.of("revenue_at_risk"),
            List.of("1 day"),
            28,
            7,
            4,
            false,
            Set.of("revenue_at_risk"));
    AnomalySettings higher =
        new AnomalySettings(List.of("revenue_at_risk"), List.of("1 day"), 28, 7, 4, false);
    // a rise of a lower-is-better metric is an anomaly above median + k robust sd; of a
    // higher-is-better one it is not
    assertThat(Anomalies.judge(lower, 100, rows, judged, LATE).breaches())
        .singleElement()
        .satisfies(
            b ->
                assertThat(b.bound())
                    .isCloseTo(
                        2 * new Median().evaluate(values) - lowerBound(values, 4),
                        Offset.offset(1e-9)));
    assertThat(Anomalies.judge(higher, 100, rows, judged, LATE).breaches()).isEmpty();
  }

  @Test
  void lossesAlertOnARiseHistoryIsCappedAndShortHistoriesAreNotJudged() {
    List<QualityRules.MetricRow> rows = new ArrayList<>();
    // an old level of 0.9 outside the last 8 windows must not count
    for (int i = 0; i < 5; i++) {
      rows.add(day(i, "log_loss", 0.9, 500));
    }
    double[] recent = {0.40, 0.41, 0.39, 0.40, 0.42, 0.38, 0.40, 0.41};
    for (int i = 0; i < recent.length; i++) {
      rows.add(day(5 + i, "log_loss", recent[i], 500));
    }
    rows.add(day(13, "log_loss", 0.55, 500));
    QualityRules.Judgement j =
        Anomalies.judge(
            settings(8, false), 100, rows, Set.of(START.plusSeconds(86_400L * 13)), LATE);
    double median = new Median().evaluate(recent);
    double mad =
        new Median().evaluate(Arrays.stream(recent).map(v -> Math.abs(v - median)).toArray());
    assertThat(j.breaches())
        .singleElement()
        .satisfies(
            b -> assertThat(b.bound()).isCloseTo(median + 4 * 1.4826 * mad, Offset.offset(1e-12)));
    // day 6 has only 6 usable windows before it (min-history 7): counted, not judged
    QualityRules.Judgement early =
        Anomalies.judge(
            settings(8, false), 100, rows, Set.of(START.plusSeconds(86_400L * 6)), LATE);
    assertThat(early.breaches()).isEmpty();
    assertThat(early.counts().get(Anomalies.ruleName("log_loss", settings(8, false))))
        .containsExactly(0, 0, 1);
  }

  @Test
  void aWeeklySeasonComparesTheSameWeekdayAndFewRowsAreLeftOut() {
    List<QualityRules.MetricRow> rows = new ArrayList<>();
    // every 7th day is a weak weekday (0.70), the others 0.85: with a weekly season the weak day
    // is normal for itself
    for (int i = 0; i < 63; i++) {
      rows.add(
          day(i, "accuracy", i % 7 == 0 ? 0.70 + 0.001 * (i % 3) : 0.85 + 0.001 * (i % 5), 500));
    }
    Set<Instant> judged = Set.of(START.plusSeconds(86_400L * 56));
    assertThat(Anomalies.judge(settings(8, true), 100, rows, judged, LATE).breaches()).isEmpty();
    assertThat(Anomalies.judge(settings(8, false), 100, rows, judged, LATE).breaches()).hasSize(1);
    // a window resting on too few rows is neither judged nor history
    rows.set(56, day(56, "accuracy", 0.70, 50));
    assertThat(Anomalies.judge(settings(8, false), 100, rows, judged, LATE).counts().values())
        .allSatisfy(c -> assertThat(c[QualityRules.Judgement.JUDGED]).isZero());
  }
}
