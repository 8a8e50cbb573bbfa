package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Profiles merge exactly; every edge case of the statistics has its documented result. */
class DriftStatisticsTest {
  private static final double[] EDGES = {-1, 0, 1};

  private static Map<String, DriftStatistics.Statistic> numeric(
      NumericProfile b, NumericProfile c) {
    Map<String, DriftStatistics.Statistic> out = new HashMap<>();
    for (DriftStatistics.Statistic s : DriftStatistics.numeric(b, c, b.std(), new int[] {1})) {
      assertThat(s.value()).as(s.name()).isFinite();
      out.put(s.name(), s);
    }
    return out;
  }

  @Test
  void kolmogorovTailMatchesScipy() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/drift-reference/kolmogorov.csv")) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      for (int i = 1; i < lines.length; i++) {
        String[] cells = lines[i].split(",");
        double x = Double.parseDouble(cells[0]);
        double sf = Double.parseDouble(cells[1]);
        assertThat(DriftStatistics.kolmogorovSf(x))
            .as("kstwobign.sf(%s)", x)
            .isCloseTo(sf, within(1e-12 * sf + 1e-15));
      }
    }
  }

  @Test
  void aMergeOfPartsIsTheProfileOfTheWhole() {
    Random r = new Random(3);
    NumericProfile whole = new NumericProfile(EDGES);
    NumericProfile a = new NumericProfile(EDGES);
    NumericProfile b = new NumericProfile(EDGES);
    Map<String, Long> ca = new HashMap<>();
    Map<String, Long> cb = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      double v =
          i % 97 == 0
              ? Double.NaN
              : i % 89 == 0 ? Double.POSITIVE_INFINITY : Math.round(r.nextGaussian() * 8) / 4.0;
      whole.add(v);
      (i % 3 == 0 ? a : b).add(v);
      (i % 3 == 0 ? ca : cb).merge("v" + (i % 7), 1L, Long::sum);
    }
    a.merge(b);
    assertThat(a.count()).isEqualTo(whole.count()).isEqualTo(1000);
    assertThat(a.nullCount()).isEqualTo(whole.nullCount()).isEqualTo(11);
    assertThat(a.nanCount()).isEqualTo(11);
    assertThat(a.posInfCount()).isEqualTo(whole.posInfCount()).isEqualTo(11);
    assertThat(a.binCounts()).isEqualTo(whole.binCounts());
    assertThat(a.binSums()).containsExactly(whole.binSums(), within(1e-9));
    assertThat(a.min()).isEqualTo(whole.min());
    assertThat(a.max()).isEqualTo(whole.max());
    assertThat(a.sum()).isCloseTo(whole.sum(), within(1e-9));
    // a value on an edge belongs to the bin it opens: [e(k-1), e(k))
    NumericProfile edge = new NumericProfile(EDGES);
    edge.add(0.0);
    assertThat(edge.binCounts()).containsExactly(0, 0, 1, 0);
    CategoricalProfile x = new CategoricalProfile(334, 0, ca);
    x.merge(new CategoricalProfile(666, 0, cb));
    assertThat(x.count()).isEqualTo(1000);
    assertThat(x.counts().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1000);
    assertThatThrownBy(() -> a.merge(new NumericProfile(new double[] {0})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("different edges");
  }

  @Test
  void emptyAllNullAndConstantColumnsGiveDefinedResults() {
    NumericProfile empty = new NumericProfile(EDGES);
    NumericProfile some = new NumericProfile(EDGES);
    for (double v : new double[] {-2, -0.5, 0.5, 2}) {
      some.add(v);
    }
    // an empty side: nothing to compare, no rows
    assertThat(DriftStatistics.numeric(some, empty, some.std(), new int[] {1})).isEmpty();
    assertThat(DriftStatistics.numeric(empty, some, Double.NaN, new int[] {1})).isEmpty();
    // all-null current: PSI/JS/null rate only
    NumericProfile nulls = new NumericProfile(EDGES);
    for (int i = 0; i < 5; i++) {
      nulls.addNull();
    }
    Map<String, DriftStatistics.Statistic> s = numeric(some, nulls);
    assertThat(s).containsOnlyKeys("psi", "js_distance", "null_rate_change");
    assertThat(s.get("null_rate_change").value()).isEqualTo(1.0);
    assertThat(s.get("js_distance").value()).isEqualTo(1.0, within(1e-12));
    // a constant baseline (std 0): no wasserstein_norm; infinities only in PSI's outer bins
    NumericProfile constant = new NumericProfile(new double[] {3});
    NumericProfile shifted = new NumericProfile(new double[] {3});
    for (int i = 0; i < 10; i++) {
      constant.add(3);
      shifted.add(i == 0 ? 4 : 3);
    }
    shifted.add(Double.POSITIVE_INFINITY);
    Map<String, DriftStatistics.Statistic> c = new HashMap<>();
    DriftStatistics.numeric(constant, shifted, constant.std(), new int[] {0})
        .forEach(x -> c.put(x.name(), x));
    assertThat(c).containsKeys("psi", "ks", "wasserstein").doesNotContainKey("wasserstein_norm");
    assertThat(c.get("wasserstein").value()).isCloseTo(0.1, within(1e-12));
    assertThat(c.get("ks").errorBound()).isEqualTo(1.0);
    // identical profiles: zero drift
    Map<String, DriftStatistics.Statistic> same = numeric(some, some);
    assertThat(same.get("psi").value()).isZero();
    assertThat(same.get("ks").value()).isZero();
    assertThat(same.get("ks").pValue()).isEqualTo(1.0);
    assertThat(same.get("wasserstein").value()).isZero();
  }

  @Test
  void categoriesNeverSeenAndSingleBinTablesAreDefined() {
    CategoricalProfile base = new CategoricalProfile(10, 0, Map.of("a", 10L));
    CategoricalProfile cur = new CategoricalProfile(10, 2, Map.of("a", 4L, "z", 4L));
    Map<String, DriftStatistics.Statistic> s = new HashMap<>();
    DriftStatistics.categorical(base, cur, base.top(20)).forEach(x -> s.put(x.name(), x));
    assertThat(s.get("unseen_share").value()).isEqualTo(0.5);
    assertThat(s.get("null_rate_change").value()).isEqualTo(0.2);
    assertThat(s.get("linf").value()).isCloseTo(0.6, within(1e-12));
    assertThat(s.get("total_variation").value()).isCloseTo(0.6, within(1e-12));
    // one non-empty bin on both sides: identical distributions, statistic 0, p-value 1
    Map<String, DriftStatistics.Statistic> one = new HashMap<>();
    DriftStatistics.categorical(base, base, base.top(20)).forEach(x -> one.put(x.name(), x));
    assertThat(one.get("chi_square").value()).isZero();
    assertThat(one.get("chi_square").pValue()).isEqualTo(1.0);
    // all-null current: no unseen_share (no values)
    CategoricalProfile nulls = new CategoricalProfile(4, 4, Map.of());
    assertThat(DriftStatistics.categorical(base, nulls, base.top(20)))
        .extracting(DriftStatistics.Statistic::name)
        .doesNotContain("unseen_share")
        .contains("psi", "chi_square", "null_rate_change");
    assertThat(base.top(20)).isEqualTo(List.of("a"));
  }
}
