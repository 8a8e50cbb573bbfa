package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.testing.ProjectFiles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Size-aware thresholds: on drift-free windows drawn from the generating distribution (not from the
 * stored histogram the thresholds sample), every statistic is called drifted at about the
 * configured rate at 100 and 1,000 rows — where the fixed thresholds fire far more often — a real
 * shift is still found, and at large sizes the thresholds agree with the statistics' asymptotic
 * laws computed by Commons Math (χ² for PSI and Jensen-Shannon, Kolmogorov for KS).
 */
class NullThresholdsTest {
  private static final int BASELINE_ROWS = 20_000;
  private static final int WINDOWS = 1_000;
  private static final List<String> CATEGORIES = new ArrayList<>();
  private static final double[] CATEGORY_WEIGHTS = new double[30];

  private static DriftSettings settings;
  private static NumericProfile baseNumeric;
  private static CategoricalProfile baseCategorical;
  private static int[] psiIndex;
  private static List<String> kept;

  @BeforeAll
  static void baseline() {
    settings = settings();
    double total = 0;
    for (int i = 0; i < CATEGORY_WEIGHTS.length; i++) {
      CATEGORIES.add(String.format("v%02d", i));
      CATEGORY_WEIGHTS[i] = 1.0 / (i + 1);
      total += CATEGORY_WEIGHTS[i];
    }
    for (int i = 0; i < CATEGORY_WEIGHTS.length; i++) {
      CATEGORY_WEIGHTS[i] /= total;
    }
    Random rng = new Random(20261205);
    double[] values = new double[BASELINE_ROWS];
    for (int i = 0; i < values.length; i++) {
      values[i] = numeric(rng, 0);
    }
    Baseline.Edges edges =
        Baseline.exactEdges(values, settings.fineQuantiles(), settings.psiBins());
    psiIndex = edges.psiIndex();
    baseNumeric = new NumericProfile(edges.fine());
    for (double v : values) {
      baseNumeric.add(Double.isNaN(v) ? null : v);
    }
    baseCategorical = new CategoricalProfile();
    for (int r = 0; r < BASELINE_ROWS; r++) {
      baseCategorical.add(category(rng, 0));
    }
    kept = baseCategorical.top(settings.topKCategories());
  }

  private static DriftSettings settings(String... sets) {
    return DriftSettings.from(
        ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), List.of(sets)));
  }

  /** Log-normal with 2 % nulls; {@code shift} moves the log's mean. */
  private static double numeric(Random rng, double shift) {
    return rng.nextDouble() < 0.02 ? Double.NaN : Math.exp(rng.nextGaussian() * 0.6 + shift);
  }

  /** Zipf-like over 30 values (the top 20 kept) with 1 % nulls; {@code shift} moves share. */
  private static String category(Random rng, double shift) {
    if (rng.nextDouble() < 0.01) {
      return null;
    }
    double u = rng.nextDouble();
    if (u < shift) {
      return CATEGORIES.get(5);
    }
    u = rng.nextDouble();
    for (int i = 0; i < CATEGORY_WEIGHTS.length; i++) {
      u -= CATEGORY_WEIGHTS[i];
      if (u < 0) {
        return CATEGORIES.get(i);
      }
    }
    return CATEGORIES.get(CATEGORY_WEIGHTS.length - 1);
  }

  /** Per statistic, the windows of {@code rows} rows called drifted with the given thresholds. */
  private static Map<String, Integer> drifted(
      int rows, double shift, DriftSettings s, NullThresholds sizeAware, long seed) {
    Random rng = new Random(seed);
    Map<String, Integer> out = new HashMap<>();
    for (int w = 0; w < WINDOWS; w++) {
      NumericProfile n = new NumericProfile(baseNumeric.edges());
      CategoricalProfile c = new CategoricalProfile();
      for (int r = 0; r < rows; r++) {
        double v = numeric(rng, shift);
        n.add(Double.isNaN(v) ? null : v);
        c.add(category(rng, shift));
      }
      List<DriftStatistics.Statistic> stats = new ArrayList<>();
      stats.addAll(
          DriftStatistics.numeric(baseNumeric, n, baseNumeric.std(), psiIndex).stream()
              .map(x -> rename(x, "numeric "))
              .toList());
      stats.addAll(
          DriftStatistics.categorical(baseCategorical, c, kept).stream()
              .map(x -> rename(x, "categorical "))
              .toList());
      Map<String, Double> limits = new HashMap<>();
      if (sizeAware != null) {
        sizeAware
            .numeric(
                "n", baseNumeric, baseNumeric.count(), n.count(), true, baseNumeric.std(), psiIndex)
            .forEach((k, v) -> limits.put("numeric " + k, v));
        sizeAware
            .categorical("c", baseCategorical, kept, baseCategorical.count(), c.count(), true)
            .forEach((k, v) -> limits.put("categorical " + k, v));
      }
      for (DriftStatistics.Statistic x : stats) {
        String name = x.name().substring(x.name().indexOf(' ') + 1);
        Double limit = sizeAware != null ? limits.get(x.name()) : s.threshold(name);
        if (name.equals(DriftSettings.UNSEEN_SHARE) || s.threshold(name) == null) {
          continue;
        }
        assertThat(limit).as(x.name()).isNotNull();
        if (DriftSettings.drifted(name, x.value(), x.pValue(), limit)) {
          out.merge(x.name(), 1, Integer::sum);
        } else {
          out.putIfAbsent(x.name(), 0);
        }
      }
    }
    return out;
  }

  private static DriftStatistics.Statistic rename(DriftStatistics.Statistic x, String prefix) {
    return new DriftStatistics.Statistic(prefix + x.name(), x.value(), x.pValue(), x.errorBound());
  }

  @Test
  void driftFreeWindowsAreCalledDriftedAtAboutTheConfiguredRateWhereFixedThresholdsAreNoise() {
    NullThresholds thresholds = new NullThresholds(settings);
    // α = 1 %; the thresholds' own noise (2,000 replicates) and this test's (1,000 windows) stay
    // well inside twice that, while a threshold at the 95th or 98th percentile would not
    int allowed = 2 * WINDOWS / 100;
    for (int rows : new int[] {100, 1_000}) {
      Map<String, Integer> sizeAware = drifted(rows, 0, settings, thresholds, rows);
      assertThat(sizeAware).as("statistics judged at %d rows", rows).hasSize(11);
      sizeAware.forEach(
          (statistic, n) ->
              assertThat(n)
                  .as("%s at %d rows: drift-free windows flagged", statistic, rows)
                  .isLessThanOrEqualTo(allowed));
    }
    Map<String, Integer> fixed = drifted(100, 0, settings, null, 100);
    // the problem the size-aware thresholds solve: fixed ones flag a large share of 100-row windows
    assertThat(fixed.get("numeric js_distance")).isGreaterThan(WINDOWS / 5);
    assertThat(fixed.get("numeric ks")).isGreaterThan(WINDOWS / 5);
  }

  @Test
  void aRealShiftIsStillFound() {
    NullThresholds thresholds = new NullThresholds(settings);
    Map<String, Integer> found = drifted(1_000, 0.15, settings, thresholds, 7);
    assertThat(found.get("numeric psi")).isGreaterThan(WINDOWS * 9 / 10);
    assertThat(found.get("numeric ks")).isGreaterThan(WINDOWS * 9 / 10);
    assertThat(found.get("categorical chi_square")).isGreaterThan(WINDOWS * 9 / 10);
    // the same shift against fixed thresholds: PSI 0.2 misses most of it
    assertThat(drifted(1_000, 0.15, settings, null, 7).get("numeric psi"))
        .isLessThan(found.get("numeric psi"));
  }

  @Test
  void atLargeSizesTheThresholdsFollowTheAsymptoticLaws() {
    long rows = 100_000;
    // a two-sample statistic's law at the effective size nm/(n+m)
    double k = (double) BASELINE_ROWS * rows / (BASELINE_ROWS + rows);
    Map<String, Double> t =
        new NullThresholds(settings)
            .numeric("n", baseNumeric, BASELINE_ROWS, rows, true, baseNumeric.std(), psiIndex);
    // PSI ≈ χ²/k and JS divergence (bits) ≈ χ²/(8 k ln 2) with one fewer degree of freedom than
    // the PSI bins (10 quantile bins and the null bin)
    double chi = new ChiSquaredDistribution(psiIndex.length + 1).inverseCumulativeProbability(0.99);
    assertThat(t.get("psi")).isCloseTo(chi / k, within(0.15 * chi / k));
    double js = Math.sqrt(chi / (8 * k * Math.log(2)));
    assertThat(t.get("js_distance")).isCloseTo(js, within(0.08 * js));
    // KS: √k·D tends to the Kolmogorov law; its 99 % point by bisection of Commons Math's CDF
    KolmogorovSmirnovTest ks = new KolmogorovSmirnovTest();
    double lo = 0.5;
    double hi = 3;
    for (int i = 0; i < 60; i++) {
      double mid = (lo + hi) / 2;
      if (ks.ksSum(mid, 1e-15, 100_000) < 0.99) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    double d = lo / Math.sqrt(k);
    assertThat(t.get("ks")).isCloseTo(d, within(0.08 * d));
  }

  @Test
  void thresholdsAreTheSameOnARerunAndShrinkWithTheWindow() {
    Map<String, Double> a =
        new NullThresholds(settings).categorical("c", baseCategorical, kept, 20_000, 500, true);
    Map<String, Double> b =
        new NullThresholds(settings).categorical("c", baseCategorical, kept, 20_000, 500, true);
    assertThat(a).isEqualTo(b);
    Map<String, Double> larger =
        new NullThresholds(settings).categorical("c", baseCategorical, kept, 20_000, 5_000, true);
    assertThat(larger.get("psi")).isLessThan(a.get("psi"));
  }

  @Test
  void settingsNameTheModeAndTooFewReplicates() {
    assertThat(settings.sizeAware()).isTrue();
    assertThat(settings("lakeloop.drift.threshold-mode=fixed").sizeAware()).isFalse();
    assertThatThrownBy(() -> settings("lakeloop.drift.threshold-mode=auto"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.drift.threshold-mode must be \"size-aware\" or \"fixed\"");
    assertThatThrownBy(() -> settings("lakeloop.drift.null-replicates=500"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("use at least " + NullThresholds.replicatesNeeded(0.01));
  }
}
