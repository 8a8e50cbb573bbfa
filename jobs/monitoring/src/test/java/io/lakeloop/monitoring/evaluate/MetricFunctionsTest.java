package io.lakeloop.monitoring.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.window.Granularity;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.apache.commons.math3.distribution.PoissonDistribution;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;
import org.junit.jupiter.api.Test;

/** The pure-Java pieces of the evaluation, against independent references (Commons Math). */
class MetricFunctionsTest {

  /**
   * Replicates sum only the partials marked bootstrap; a headline metric that read another would
   * get NaN in every replicate and lose its interval. Checks every task's headline metrics come out
   * the same when the unmarked partials are NaN.
   */
  @Test
  void headlineMetricsReadOnlyBootstrappedPartials() {
    Random r = new Random(3);
    ScoreHistogram h = new ScoreHistogram();
    for (int bin = 0; bin < 50; bin++) {
      h.add(bin, 1 + r.nextInt(20), 1 + r.nextInt(20));
    }
    for (MetricSet set :
        List.of(
            new ClassificationMetrics(Task.BINARY, List.of("no", "yes")),
            new ClassificationMetrics(Task.MULTICLASS, List.of("a", "b", "c")),
            new RegressionMetrics())) {
      Map<String, Double> values = new HashMap<>();
      Set<String> bootstrapped = new HashSet<>(Set.of(MetricSet.N_LABELED));
      for (MetricSet.Partial p : set.partials()) {
        values.put(p.name(), (double) (10 + r.nextInt(90)));
        if (p.bootstrap()) {
          bootstrapped.add(p.name());
        }
      }
      values.put("y2_sum", 1e6); // a positive total sum of squares: R^2 defined
      values.put(MetricSet.N_ALL, 5000.0);
      values.put(MetricSet.N_VALID, 4000.0);
      values.put(MetricSet.N_LABELED, 3000.0);
      Map<String, Double> full = headline(set, values::get, h);
      Map<String, Double> reduced =
          headline(set, n -> bootstrapped.contains(n) ? values.get(n) : Double.NaN, h);
      assertThat(full.values()).as(set.getClass().getSimpleName()).doesNotContainNull();
      assertThat(full).hasSizeGreaterThanOrEqualTo(3);
      assertThat(reduced).as(set.getClass().getSimpleName()).isEqualTo(full);
    }
  }

  private static Map<String, Double> headline(
      MetricSet set, Function<String, Double> get, ScoreHistogram h) {
    Map<String, Double> out = new HashMap<>();
    for (MetricSet.MetricValue m :
        set.compute(
            new MetricSet.State() {
              @Override
              public double get(String name) {
                Double v = get.apply(name);
                if (v == null) {
                  throw new IllegalStateException("no partial " + name);
                }
                return v;
              }

              @Override
              public ScoreHistogram histogram(int k) {
                return h;
              }
            })) {
      if (set.headline(m.name())) {
        out.put(m.name(), m.value());
      }
    }
    return out;
  }

  @Test
  void poissonWeightTableIsPoissonOneWithin2ToTheMinus16() {
    PoissonDistribution poisson = new PoissonDistribution(1.0);
    long[] counts = new long[16];
    for (byte w : PoissonWeights.TABLE) {
      counts[w]++;
    }
    for (int k = 0; k < counts.length; k++) {
      assertThat(counts[k] / 65536.0)
          .as("P(weight = %d)", k)
          .isCloseTo(poisson.probability(k), within(1.0 / 65536));
    }
  }

  @Test
  void poissonWeightsAreDeterministicIndependentAndMeanOneVarianceOne() {
    int replicates = 103; // not a multiple of the four lanes per draw
    double[] w = new double[replicates + 1];
    double sum = 0;
    double sq = 0;
    double cross = 0; // neighbouring replicates of one draw and across draws
    int rows = 20_000;
    for (int i = 0; i < rows; i++) {
      long idHash = PoissonWeights.mix(i * 31L + 7);
      PoissonWeights.weights(idHash, w);
      assertThat(w[0]).isEqualTo(1.0);
      for (int b = 1; b <= replicates; b++) {
        assertThat(PoissonWeights.weight(idHash, b)).isEqualTo((int) w[b]);
        sum += w[b];
        sq += w[b] * w[b];
        if (b > 1) {
          cross += (w[b] - 1) * (w[b - 1] - 1);
        }
      }
    }
    double n = (double) rows * replicates;
    assertThat(sum / n).isCloseTo(1.0, within(0.005));
    assertThat(sq / n - (sum / n) * (sum / n)).isCloseTo(1.0, within(0.01));
    assertThat(cross / (rows * (replicates - 1.0))).isCloseTo(0.0, within(0.01));
  }

  @Test
  void histogramAucIsWithinItsBoundOfTheExactRankAuc() {
    Random r = new Random(7);
    int n = 3000;
    double[] pos = new double[n];
    double[] neg = new double[n];
    for (int bins : new int[] {100, 10_000}) {
      ScoreHistogram h = new ScoreHistogram();
      for (int i = 0; i < n; i++) {
        pos[i] = 1 / (1 + Math.exp(-(r.nextGaussian() + 0.8)));
        neg[i] = 1 / (1 + Math.exp(-r.nextGaussian()));
        h.add(Math.min((long) (pos[i] * bins), bins - 1), 1, 0);
        h.add(Math.min((long) (neg[i] * bins), bins - 1), 0, 1);
      }
      // exact AUC = U / (n1 n2) from the Mann-Whitney statistic
      double u = new MannWhitneyUTest().mannWhitneyU(pos, neg);
      double exact = Math.max(u, (double) n * n - u) / ((double) n * n);
      double auc = h.rocAuc();
      assertThat(Math.abs(auc - exact)).isLessThanOrEqualTo(h.rocAucErrorBound() + 1e-12);
      if (bins == 10_000) {
        assertThat(h.rocAucErrorBound()).isLessThan(1e-4);
        assertThat(Math.abs(auc - exact)).isLessThan(1e-3);
      }
    }
  }

  @Test
  void histogramEdgeCases() {
    assertThat(new ScoreHistogram().add(3, 5, 0).rocAuc()).isNaN();
    assertThat(new ScoreHistogram().add(3, 0, 5).averagePrecision()).isNaN();
    // perfect ranking; all in one bin = coin flip, with the bound saying so
    ScoreHistogram perfect = new ScoreHistogram().add(9, 4, 0).add(1, 0, 6);
    assertThat(perfect.rocAuc()).isEqualTo(1.0);
    assertThat(perfect.averagePrecision()).isEqualTo(1.0);
    ScoreHistogram tied = new ScoreHistogram().add(5, 2, 3);
    assertThat(tied.rocAuc()).isEqualTo(0.5);
    assertThat(tied.rocAucErrorBound()).isEqualTo(0.5);
    assertThat(tied.averagePrecision()).isEqualTo(0.4);
  }

  @Test
  void granularitiesAlignToUtcDaysAndMondayWeeks() {
    Granularity day = Granularity.parse("1 day", "k");
    Granularity week = Granularity.parse("1 week", "k");
    Granularity hours = Granularity.parse("6 hours", "k");
    Instant t = Instant.parse("2026-01-08T13:45:00Z"); // a Thursday
    assertThat(day.start(t)).isEqualTo(Instant.parse("2026-01-08T00:00:00Z"));
    assertThat(week.start(t)).isEqualTo(Instant.parse("2026-01-05T00:00:00Z"));
    assertThat(week.end(week.start(t))).isEqualTo(Instant.parse("2026-01-12T00:00:00Z"));
    assertThat(hours.start(t)).isEqualTo(Instant.parse("2026-01-08T12:00:00Z"));
    assertThat(day.start(Instant.parse("1969-12-31T23:00:00Z")))
        .isEqualTo(Instant.parse("1969-12-31T00:00:00Z"));
    assertThatThrownBy(() -> Granularity.parse("1 fortnight", "lakeloop.evaluate.granularities"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.evaluate.granularities")
        .hasMessageContaining("1 week");
  }
}
