package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.testing.ProjectFiles;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Multivariate drift (PCA reconstruction error from summed moments) against a direct row-by-row
 * computation with Commons Math's SVD of the standardized baseline rows; a correlation that flips
 * while every marginal stays the same is found by it and by no per-column statistic; stable windows
 * are called drifted at about the false-alarm rate.
 */
class MultivariateDriftTest {
  private static final int BASELINE_ROWS = 20_000;
  private static final int CHUNKS = 32;

  /** Three features: x0 and x1 correlated by {@code rho}, x2 independent on another scale. */
  private static double[][] rows(Random rng, int n, double rho) {
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      double a = rng.nextGaussian();
      double b = rho * a + Math.sqrt(1 - rho * rho) * rng.nextGaussian();
      out[i] = new double[] {a, b * 3 + 10, 50_000 + 12_000 * rng.nextGaussian()};
    }
    return out;
  }

  private static final double[] PIVOTS = {0, 10, 50_000};

  private static Moments moments(double[][] rows, int chunks) {
    Moments m = new Moments(3, chunks);
    double[] y = new double[3];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < 3; j++) {
        y[j] = rows[i][j] - PIVOTS[j];
      }
      m.add(i % chunks, y);
    }
    return m;
  }

  @Test
  void theErrorFromSummedMomentsEqualsARowByRowPcaOfTheSameRows() {
    Random rng = new Random(7);
    double[][] baseline = rows(rng, BASELINE_ROWS, 0.8);
    MultivariateDrift fit = MultivariateDrift.fit(moments(baseline, CHUNKS), 0.65).orElseThrow();
    // eigenvalues of the correlation near 1.8, 1, 0.2: (1.8 + 1) / 3 is the first share > 0.65
    assertThat(fit.components()).isEqualTo(2);
    for (double rho : new double[] {0.8, 0.0, -0.8}) {
      double[][] window = rows(rng, 3_000, rho);
      double expected = PcaReference.error(baseline, window, 0.65);
      assertThat(fit.error(moments(window, 1))).isCloseTo(expected, within(1e-9 * expected));
    }
    // the baseline's own error: its rows against its own PCA
    assertThat(fit.baselineError())
        .isCloseTo(PcaReference.error(baseline, baseline, 0.65), within(1e-9));
    // less variance kept, more discarded: one component (1.8 / 3 = 0.6 > 0.5)
    MultivariateDrift one = MultivariateDrift.fit(moments(baseline, CHUNKS), 0.5).orElseThrow();
    assertThat(one.components()).isEqualTo(1);
    double[][] window = rows(rng, 3_000, -0.8);
    double expected = PcaReference.error(baseline, window, 0.5);
    assertThat(one.error(moments(window, 1))).isCloseTo(expected, within(1e-9 * expected));
  }

  @Test
  void aFlippedCorrelationIsFoundByTheErrorAndByNoPerColumnStatistic() {
    DriftSettings settings =
        DriftSettings.from(
            ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), List.of()));
    Random rng = new Random(11);
    double[][] baseline = rows(rng, BASELINE_ROWS, 0.8);
    double[][] flipped = rows(rng, 2_000, -0.8);
    MultivariateDrift fit = MultivariateDrift.fit(moments(baseline, CHUNKS), 0.65).orElseThrow();
    MultivariateDrift.Judgement j = fit.judge(moments(flipped, 1), 0.01).orElseThrow();
    assertThat(j.drifted()).isTrue();
    assertThat(j.pValue()).isLessThan(1e-6);
    assertThat(j.error()).isGreaterThan(j.threshold());
    // every marginal is judged as drift judges it, with size-aware thresholds: none fires
    NullThresholds thresholds = new NullThresholds(settings);
    for (int c = 0; c < 3; c++) {
      double[] base = column(baseline, c);
      Baseline.Edges edges =
          Baseline.exactEdges(base, settings.fineQuantiles(), settings.psiBins());
      NumericProfile ref = profile(edges, base);
      NumericProfile cur = profile(edges, column(flipped, c));
      Map<String, Double> limits =
          thresholds.numeric(
              "x" + c, ref, ref.count(), cur.count(), true, ref.std(), edges.psiIndex());
      for (DriftStatistics.Statistic s :
          DriftStatistics.numeric(ref, cur, ref.std(), edges.psiIndex())) {
        Double limit = limits.getOrDefault(s.name(), settings.threshold(s.name()));
        assertThat(DriftSettings.drifted(s.name(), s.value(), s.pValue(), limit))
            .as("x%d %s = %s (threshold %s)", c, s.name(), s.value(), limit)
            .isNotEqualTo(Boolean.TRUE);
      }
    }
  }

  @Test
  void stableWindowsAreCalledDriftedAtAboutTheFalseAlarmRate() {
    Random rng = new Random(3);
    MultivariateDrift fit =
        MultivariateDrift.fit(moments(rows(rng, BASELINE_ROWS, 0.8), CHUNKS), 0.65).orElseThrow();
    for (int size : new int[] {100, 2_000}) {
      int windows = 1_000;
      int alarms = 0;
      for (int w = 0; w < windows; w++) {
        if (fit.judge(moments(rows(rng, size, 0.8), 1), 0.01).orElseThrow().drifted()) {
          alarms++;
        }
      }
      // 1 % expected; at most 2 % over 1,000 windows (the spread is estimated from 32 chunks)
      assertThat(alarms).as("false alarms of %d-row windows", size).isLessThanOrEqualTo(20);
    }
    // and a weaker change at 2,000 rows is still found most of the time
    int found = 0;
    for (int w = 0; w < 200; w++) {
      if (fit.judge(moments(rows(rng, 2_000, 0.6), 1), 0.01).orElseThrow().drifted()) {
        found++;
      }
    }
    assertThat(found).isGreaterThan(180);
  }

  @Test
  void nothingToJudgeWithoutTwoVaryingFeaturesOrEnoughChunks() {
    Moments constant = new Moments(2, CHUNKS);
    for (int i = 0; i < 1_000; i++) {
      constant.add(i % CHUNKS, new double[] {i, 5});
    }
    assertThat(MultivariateDrift.fit(constant, 0.65)).isEmpty();
    Moments oneChunk = moments(rows(new Random(1), 1_000, 0.5), 1);
    assertThat(MultivariateDrift.fit(oneChunk, 0.65)).isEmpty();
    assertThat(
            MultivariateDrift.fit(moments(rows(new Random(1), 1_000, 0.5), 8), 0.65)
                .orElseThrow()
                .judge(new Moments(3, 1), 0.01))
        .isEmpty();
  }

  private static double[] column(double[][] rows, int c) {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i][c];
    }
    return out;
  }

  private static NumericProfile profile(Baseline.Edges edges, double[] values) {
    NumericProfile p = new NumericProfile(edges.fine());
    for (double v : values) {
      p.add(v);
    }
    return p;
  }
}
