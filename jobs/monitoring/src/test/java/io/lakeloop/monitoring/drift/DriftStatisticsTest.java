package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Every edge case of the class comment's table has its documented result, and the error bounds of
 * {@code ks} and {@code wasserstein} hold against brute-force exact values on many random samples
 * (continuous, tied, shifted, outside the baseline's range, tiny). SciPy's values are checked in
 * DriftStatisticsReferenceTest.
 */
class DriftStatisticsTest {
  private static final double[] EDGES = {-1, 0, 1};
  private static final int[] PSI = {1};

  private static NumericProfile profile(double[] edges, double... values) {
    NumericProfile p = new NumericProfile(edges);
    for (double v : values) {
      p.add(v);
    }
    return p;
  }

  /** The statistics by name, checking what every row must satisfy. */
  private static Map<String, DriftStatistics.Statistic> byName(List<DriftStatistics.Statistic> l) {
    Map<String, DriftStatistics.Statistic> out = new LinkedHashMap<>();
    for (DriftStatistics.Statistic s : l) {
      assertThat(s.value()).as(s.name()).isFinite();
      if (s.pValue() != null) {
        assertThat(s.pValue()).as(s.name() + " p-value").isBetween(0.0, 1.0);
      }
      if (s.errorBound() != null) {
        assertThat(s.errorBound()).as(s.name() + " bound").isFinite().isGreaterThanOrEqualTo(0);
      }
      assertThat(out.put(s.name(), s)).as("one " + s.name() + " row").isNull();
    }
    return out;
  }

  private static Map<String, DriftStatistics.Statistic> numeric(
      NumericProfile b, NumericProfile c, int[] psi) {
    return byName(DriftStatistics.numeric(b, c, b.std(), psi));
  }

  @Test
  void ksPValuesMatchScipyOnEveryBranchFarTailsIncluded() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/drift-reference/ks_pvalues.csv")) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      assertThat(lines.length).isGreaterThan(60);
      int tail = 0;
      for (int i = 1; i < lines.length; i++) {
        String[] cells = lines[i].split(",");
        long n = Long.parseLong(cells[0]);
        long m = Long.parseLong(cells[1]);
        double d = Double.parseDouble(cells[2]);
        double p = Double.parseDouble(cells[3]);
        tail += p < 1e-30 ? 1 : 0;
        // relative: a p-value of 1e-200 must keep its digits, not just be near 0
        assertThat(KolmogorovSmirnov.pValue(d, n, m))
            .as("ks_2samp p-value of D = %s at n = %d, m = %d", d, n, m)
            .isCloseTo(p, within(1e-7 * p + 1e-300));
      }
      assertThat(tail).as("far-tail points").isGreaterThan(5);
    }
    assertThat(KolmogorovSmirnov.pValue(0, 100, 100)).isEqualTo(1.0);
    assertThat(KolmogorovSmirnov.pValue(1e-9, 100_000, 100_000)).isEqualTo(1.0);
  }

  @Test
  void anEmptySideGivesNoRows() {
    NumericProfile some = profile(EDGES, -2, -0.5, 0.5, 2);
    NumericProfile empty = new NumericProfile(EDGES);
    assertThat(DriftStatistics.numeric(some, empty, some.std(), PSI)).isEmpty();
    assertThat(DriftStatistics.numeric(empty, some, Double.NaN, PSI)).isEmpty();
    CategoricalProfile values = new CategoricalProfile(3, 1, Map.of("a", 2L));
    assertThat(DriftStatistics.categorical(values, new CategoricalProfile(), List.of("a")))
        .isEmpty();
    assertThat(DriftStatistics.categorical(new CategoricalProfile(), values, List.of())).isEmpty();
  }

  @Test
  void withoutEdgesOnlyTheNullRateIsCompared() {
    NumericProfile base = new NumericProfile(new double[0]);
    base.addNull();
    base.addNull();
    NumericProfile cur = profile(new double[0], 1, 2, 3);
    cur.addNull();
    Map<String, DriftStatistics.Statistic> s = numeric(base, cur, new int[0]);
    assertThat(s).containsOnlyKeys("null_rate_change");
    assertThat(s.get("null_rate_change").value()).isEqualTo(-0.75);
  }

  @Test
  void aSideWithoutFiniteValuesHasNoKsOrWasserstein() {
    NumericProfile some = profile(EDGES, -2, -0.5, 0.5, 2);
    NumericProfile nulls = new NumericProfile(EDGES);
    for (int i = 0; i < 5; i++) {
      nulls.addNull();
    }
    Map<String, DriftStatistics.Statistic> s = numeric(some, nulls, PSI);
    assertThat(s).containsOnlyKeys("psi", "js_distance", "null_rate_change");
    assertThat(s.get("null_rate_change").value()).isEqualTo(1.0);
    assertThat(s.get("js_distance").value()).isCloseTo(1.0, within(1e-12)); // disjoint bins
    // PSI with ε for the empty shares: 2 value bins of 1/2 each vs the null bin, by hand
    double expectedPsi = 2 * (1e-4 - 0.5) * Math.log(1e-4 / 0.5) + (1 - 1e-4) * Math.log(1 / 1e-4);
    assertThat(s.get("psi").value()).isCloseTo(expectedPsi, within(1e-12));
    // only infinities in the reference (e.g. the previous window): binned, but not comparable
    NumericProfile infinite = profile(EDGES, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
    assertThat(numeric(infinite, some, PSI))
        .containsOnlyKeys("psi", "js_distance", "null_rate_change");
    // both all null: the same distribution
    Map<String, DriftStatistics.Statistic> both = numeric(nulls, nulls, PSI);
    assertThat(both.get("psi").value()).isZero();
    assertThat(both.get("js_distance").value()).isZero();
    assertThat(both.get("null_rate_change").value()).isZero();
  }

  @Test
  void aConstantBaselineHasNoNormalisedWassersteinAndAnHonestKsBound() {
    double[] one = {3};
    NumericProfile constant = profile(one);
    NumericProfile shifted = profile(one);
    for (int i = 0; i < 10; i++) {
      constant.add(3);
      shifted.add(i == 0 ? 4 : 3);
    }
    shifted.add(Double.POSITIVE_INFINITY);
    Map<String, DriftStatistics.Statistic> s =
        byName(DriftStatistics.numeric(constant, shifted, constant.std(), new int[] {0}));
    assertThat(constant.std()).isZero();
    assertThat(s).containsOnlyKeys("psi", "js_distance", "ks", "wasserstein", "null_rate_change");
    // W1 = 0.1 exactly: the baseline sits on the bin's left edge, so the CDFs cannot cross
    assertThat(s.get("wasserstein").value()).isCloseTo(0.1, within(1e-15));
    assertThat(s.get("wasserstein").errorBound()).isZero();
    // the grid sees nothing (3 and 4 share the bin [3, inf)); exact D = 0.1, and from counts and
    // sums alone the current values might all sit just above 3, so D could be 1
    assertThat(s.get("ks").value()).isZero();
    assertThat(s.get("ks").pValue()).isEqualTo(1.0);
    assertThat(s.get("ks").errorBound()).isEqualTo(1.0);
    // fewer than two finite baseline values: std NaN, no wasserstein_norm either
    NumericProfile single = profile(one, 3);
    assertThat(numeric(single, shifted, new int[] {0})).doesNotContainKey("wasserstein_norm");
    // a positive std gives both, the bound scaled alike
    Map<String, DriftStatistics.Statistic> scaled =
        byName(DriftStatistics.numeric(shifted, constant, 0.5, new int[] {0}));
    assertThat(scaled.get("wasserstein_norm").value())
        .isEqualTo(scaled.get("wasserstein").value() / 0.5);
    assertThat(scaled.get("wasserstein_norm").errorBound())
        .isEqualTo(scaled.get("wasserstein").errorBound() / 0.5);
  }

  @Test
  void tiesOnTheBaselineValuesAreExact() {
    double[] edges = {0, 1, 2, 3};
    NumericProfile b = profile(edges, 0, 0, 1, 1, 1, 2, 3, 3);
    NumericProfile c = profile(edges, 0, 1, 2, 2, 2, 3);
    Map<String, DriftStatistics.Statistic> s = numeric(b, c, new int[] {1, 2});
    double[] bv = {0, 0, 1, 1, 1, 2, 3, 3};
    double[] cv = {0, 1, 2, 2, 2, 3};
    assertThat(s.get("ks").value()).isCloseTo(exactKs(bv, cv), within(1e-15));
    assertThat(s.get("ks").errorBound()).isZero();
    assertThat(s.get("wasserstein").value()).isCloseTo(exactW1(bv, cv), within(1e-15));
    assertThat(s.get("wasserstein").errorBound()).isZero();
  }

  @Test
  void identicalProfilesShowNoDrift() {
    NumericProfile some = profile(EDGES, -2, -0.5, 0.5, 2, 2, Double.NaN);
    Map<String, DriftStatistics.Statistic> s = numeric(some, some, PSI);
    for (String name : List.of("psi", "js_distance", "ks", "wasserstein", "null_rate_change")) {
      assertThat(s.get(name).value()).as(name).isZero();
    }
    assertThat(s.get("ks").pValue()).isEqualTo(1.0);
    assertThat(s.get("ks").errorBound()).isPositive(); // equal bins need not mean equal values
  }

  @Test
  void valuesBeyondTheDoubleRangeDropTheRowsTheyOverflow() {
    double[] edges = {0};
    NumericProfile b = profile(edges, -1e308, -1e308, 1e308, 1e308);
    NumericProfile c = profile(edges, -1e308, 1e308, 1e308, 1e308);
    Map<String, DriftStatistics.Statistic> s = numeric(b, c, new int[] {0});
    assertThat(s).containsOnlyKeys("psi", "js_distance", "ks", "null_rate_change");
    assertThat(s.get("ks").value()).isEqualTo(0.25);
  }

  @Test
  void programmingErrorsAreRejected() {
    NumericProfile a = profile(EDGES, 1);
    NumericProfile b = profile(new double[] {-1, 0, 2}, 1);
    assertThatThrownBy(() -> DriftStatistics.numeric(a, b, 1, PSI))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("same edges");
    assertThatThrownBy(() -> DriftStatistics.numeric(a, a, 1, new int[] {2, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("strictly ascending");
  }

  @Test
  void categoricalEdgeCases() {
    CategoricalProfile base = new CategoricalProfile(10, 0, Map.of("a", 10L));
    CategoricalProfile cur = new CategoricalProfile(10, 2, Map.of("a", 4L, "z", 4L));
    Map<String, DriftStatistics.Statistic> s =
        byName(DriftStatistics.categorical(base, cur, base.top(20)));
    assertThat(s.keySet())
        .containsExactly(
            "psi",
            "js_distance",
            "chi_square",
            "linf",
            "total_variation",
            "unseen_share",
            "null_rate_change");
    assertThat(s.get("unseen_share").value()).isEqualTo(0.5);
    assertThat(s.get("null_rate_change").value()).isEqualTo(0.2);
    assertThat(s.get("linf").value()).isCloseTo(0.6, within(1e-12));
    assertThat(s.get("total_variation").value()).isCloseTo(0.6, within(1e-12));
    // one non-empty bin on both sides: the same distribution, statistic 0, p-value 1
    Map<String, DriftStatistics.Statistic> one =
        byName(DriftStatistics.categorical(base, base, base.top(20)));
    assertThat(one.get("chi_square").value()).isZero();
    assertThat(one.get("chi_square").pValue()).isEqualTo(1.0);
    // all null on both sides: nothing moved, and there is no value to be unseen
    CategoricalProfile nulls = new CategoricalProfile(4, 4, Map.of());
    Map<String, DriftStatistics.Statistic> allNull =
        byName(DriftStatistics.categorical(nulls, nulls, nulls.top(20)));
    assertThat(allNull).doesNotContainKey("unseen_share");
    for (String name :
        List.of(
            "psi", "js_distance", "chi_square", "linf", "total_variation", "null_rate_change")) {
      assertThat(allNull.get(name).value()).as(name).isZero();
    }
    assertThat(allNull.get("chi_square").pValue()).isEqualTo(1.0);
    // no kept values: every value is __other__, so only the null rate can differ
    Map<String, DriftStatistics.Statistic> noKept =
        byName(DriftStatistics.categorical(base, cur, List.of()));
    assertThat(noKept.get("linf").value()).isCloseTo(0.2, within(1e-12));
    // unseen is counted before folding: x was seen, y was not, though both land in __other__
    CategoricalProfile seen = new CategoricalProfile(10, 0, Map.of("a", 5L, "x", 5L));
    CategoricalProfile later = new CategoricalProfile(10, 0, Map.of("a", 5L, "x", 2L, "y", 3L));
    Map<String, DriftStatistics.Statistic> folded =
        byName(DriftStatistics.categorical(seen, later, List.of("a")));
    assertThat(folded.get("unseen_share").value()).isCloseTo(0.3, within(1e-15));
    assertThat(folded.get("linf").value()).isZero();
  }

  // ---- brute force: the exact statistics from the raw values ----

  /** sup_x |F_B(x) − F_C(x)| over the data points (right-continuous CDFs), as SciPy's ks_2samp. */
  private static double exactKs(double[] b, double[] c) {
    double[] sb = b.clone();
    double[] sc = c.clone();
    Arrays.sort(sb);
    Arrays.sort(sc);
    double d = 0;
    for (double[] side : new double[][] {sb, sc}) {
      for (double x : side) {
        d = Math.max(d, Math.abs(atMost(sb, x) / sb.length - atMost(sc, x) / sc.length));
      }
    }
    return d;
  }

  /** ∫|F_B − F_C| dx, summed over the gaps between consecutive data points. */
  private static double exactW1(double[] b, double[] c) {
    double[] sb = b.clone();
    double[] sc = c.clone();
    Arrays.sort(sb);
    Arrays.sort(sc);
    double[] all = new double[sb.length + sc.length];
    System.arraycopy(sb, 0, all, 0, sb.length);
    System.arraycopy(sc, 0, all, sb.length, sc.length);
    Arrays.sort(all);
    double w = 0;
    for (int i = 0; i + 1 < all.length; i++) {
      double gap = all[i + 1] - all[i];
      if (gap > 0) {
        w += gap * Math.abs(atMost(sb, all[i]) / sb.length - atMost(sc, all[i]) / sc.length);
      }
    }
    return w;
  }

  private static double atMost(double[] sorted, double x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Edges as the baseline's: distinct inverted-CDF quantiles at i/bins of the finite values. */
  private static double[] quantileEdges(double[] values, int bins) {
    double[] s = values.clone();
    Arrays.sort(s);
    return IntStream.range(1, bins)
        .mapToDouble(i -> s[(int) Math.ceil((double) i * s.length / bins) - 1])
        .distinct()
        .toArray();
  }

  @Test
  void theBoundsHoldAgainstExactValuesOnRandomSamples() {
    Random r = new Random(20261123);
    for (int trial = 0; trial < 400; trial++) {
      int kind = trial % 5;
      double shift = r.nextInt(3) * 0.5;
      double scale = 0.5 + r.nextDouble();
      DoubleSupplier base;
      DoubleSupplier cur;
      switch (kind) {
        case 0 -> { // continuous, shifted and scaled
          base = r::nextGaussian;
          cur = () -> shift + scale * r.nextGaussian();
        }
        case 1 -> { // ties: small integers, the current with a new value above the baseline's
          base = () -> r.nextInt(4);
          cur = () -> r.nextInt(5 + (int) (2 * shift));
        }
        case 2 -> { // half steps in both, current partly off the baseline's values
          base = () -> Math.round(2 * r.nextGaussian()) / 2.0;
          cur = () -> Math.round(4 * (shift + r.nextGaussian())) / 4.0;
        }
        case 3 -> { // a mixture: an atom plus a continuous part
          base = () -> r.nextBoolean() ? 1.0 : r.nextGaussian();
          cur = () -> r.nextInt(3) == 0 ? 1.0 : shift + r.nextGaussian();
        }
        default -> { // tiny samples
          base = () -> Math.floor(3 * r.nextDouble());
          cur = () -> r.nextDouble() * 3;
        }
      }
      double[] bv = new double[kind == 4 ? 1 + r.nextInt(4) : 20 + r.nextInt(400)];
      double[] cv = new double[kind == 4 ? 1 + r.nextInt(4) : 20 + r.nextInt(400)];
      for (int i = 0; i < bv.length; i++) {
        bv[i] = base.getAsDouble();
      }
      for (int i = 0; i < cv.length; i++) {
        cv[i] = cur.getAsDouble();
      }
      double[] edges = quantileEdges(bv, new int[] {2, 10, 100}[r.nextInt(3)]);
      if (edges.length == 0) {
        edges = new double[] {bv[0]};
      }
      NumericProfile b = profile(edges, bv);
      NumericProfile c = profile(edges, cv);
      c.add(Double.POSITIVE_INFINITY); // binned for PSI, ignored by KS and W1
      b.addNull();
      Map<String, DriftStatistics.Statistic> s = numeric(b, c, new int[] {0});
      String what = "trial " + trial + " (kind " + kind + ", " + edges.length + " edges)";
      double ks = exactKs(bv, cv);
      assertThat(s.get("ks").value()).as(what + " grid KS ≤ exact").isLessThanOrEqualTo(ks + 1e-12);
      assertThat(ks - s.get("ks").value())
          .as(what + " exact KS within the bound")
          .isLessThanOrEqualTo(s.get("ks").errorBound() + 1e-12);
      double w = exactW1(bv, cv);
      double tol = 1e-9 * (1 + w);
      assertThat(s.get("wasserstein").value())
          .as(what + " W1 ≤ exact")
          .isLessThanOrEqualTo(w + tol);
      assertThat(w - s.get("wasserstein").value())
          .as(what + " exact W1 within the bound")
          .isLessThanOrEqualTo(s.get("wasserstein").errorBound() + tol);
      // the KS bound never exceeds the largest share both sides have in one bin
      double smallerShare = 0;
      for (int k = 0; k <= edges.length; k++) {
        smallerShare =
            Math.max(
                smallerShare,
                Math.min(
                    (double) b.binCounts()[k] / bv.length, (double) c.binCounts()[k] / cv.length));
      }
      assertThat(s.get("ks").errorBound()).as(what).isLessThanOrEqualTo(smallerShare + 1e-15);
    }
  }
}
