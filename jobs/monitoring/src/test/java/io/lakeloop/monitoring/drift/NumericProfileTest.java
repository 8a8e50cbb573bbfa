package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.junit.jupiter.api.Test;

/** Binning as NumPy's searchsorted(side='right'), exact merges, stored-field round trips. */
class NumericProfileTest {
  private static final double[] EDGES = {-1, 0, 1};

  /** The bin by definition: how many edges are ≤ v (a linear scan, not the profile's search). */
  static int binByDefinition(double[] edges, double v) {
    int k = 0;
    for (double e : edges) {
      if (e <= v) {
        k++;
      }
    }
    return k;
  }

  private static NumericProfile copy(NumericProfile p) {
    return new NumericProfile(
        p.edges(),
        p.count(),
        p.nullCount(),
        p.nanCount(),
        p.posInfCount(),
        p.negInfCount(),
        p.finiteCount(),
        p.sum(),
        p.sumSquares(),
        p.min(),
        p.max(),
        p.binCounts(),
        p.binSums());
  }

  private static void assertSameFields(NumericProfile actual, NumericProfile expected) {
    assertThat(actual.edges()).isEqualTo(expected.edges());
    assertThat(actual.count()).as("count").isEqualTo(expected.count());
    assertThat(actual.nullCount()).as("nullCount").isEqualTo(expected.nullCount());
    assertThat(actual.nanCount()).as("nanCount").isEqualTo(expected.nanCount());
    assertThat(actual.posInfCount()).as("posInfCount").isEqualTo(expected.posInfCount());
    assertThat(actual.negInfCount()).as("negInfCount").isEqualTo(expected.negInfCount());
    assertThat(actual.finiteCount()).as("finiteCount").isEqualTo(expected.finiteCount());
    assertThat(actual.sum()).as("sum").isEqualTo(expected.sum());
    assertThat(actual.sumSquares()).as("sumSquares").isEqualTo(expected.sumSquares());
    assertThat(actual.min()).as("min").isEqualTo(expected.min());
    assertThat(actual.max()).as("max").isEqualTo(expected.max());
    assertThat(actual.binCounts()).as("binCounts").isEqualTo(expected.binCounts());
    assertThat(actual.binSums()).as("binSums").isEqualTo(expected.binSums());
  }

  @Test
  void aValueGoesToTheBinOfTheEdgesAtOrBelowIt() {
    double[] edges = {-2.5, -1, 0, 0.25, 3};
    NumericProfile p = new NumericProfile(edges);
    long[] counts = new long[edges.length + 1];
    double[] sums = new double[edges.length + 1];
    Random r = new Random(11);
    List<Double> values = new ArrayList<>(List.of(-2.5, -1.0, 0.0, 0.25, 3.0, -1e300, 1e300));
    for (int i = 0; i < 500; i++) {
      values.add(Math.round(r.nextGaussian() * 8) / 4.0); // many values land on an edge
    }
    for (double v : values) {
      p.add(v);
      int k = binByDefinition(edges, v);
      counts[k]++;
      sums[k] += v;
    }
    assertThat(p.binCounts()).isEqualTo(counts);
    assertThat(p.binSums()).isEqualTo(sums);
    // an edge opens its bin: [e(k-1), e(k))
    NumericProfile one = new NumericProfile(EDGES);
    one.add(0.0);
    one.add(-1.0);
    one.add(Math.nextDown(-1.0));
    assertThat(one.binCounts()).containsExactly(1, 1, 1, 0);
  }

  @Test
  void nullsNanAndInfinitiesAreCountedApartAndInfinitiesLandInTheOuterPsiBins() {
    NumericProfile p = new NumericProfile(new double[] {0, 1, 2, 3, 4});
    p.add((Double) null);
    p.addNull();
    p.add(Double.NaN);
    p.add(Double.valueOf(Double.NaN));
    p.add(Double.POSITIVE_INFINITY);
    p.add(Double.NEGATIVE_INFINITY);
    p.add(Double.NEGATIVE_INFINITY);
    for (double v : new double[] {-0.5, 0.5, 1, 2.5, 3, 7}) {
      p.add(Double.valueOf(v));
    }
    assertThat(p.count()).isEqualTo(13);
    assertThat(p.nullCount()).isEqualTo(4);
    assertThat(p.nanCount()).isEqualTo(2);
    assertThat(p.posInfCount()).isEqualTo(1);
    assertThat(p.negInfCount()).isEqualTo(2);
    assertThat(p.finiteCount()).isEqualTo(6);
    assertThat(p.min()).isEqualTo(-0.5);
    assertThat(p.max()).isEqualTo(7);
    assertThat(p.sum()).isEqualTo(13.5);
    // PSI edges 1 and 3 (fine indexes 1, 3): (-inf, 1), [1, 3), [3, inf), null
    assertThat(p.psiCounts(new int[] {1, 3})).containsExactly(2 + 2, 2, 2 + 1, 4);
    assertThat(p.psiCounts(new int[] {})).containsExactly(9, 4);
    assertThat(p.psiCounts(new int[] {0, 1, 2, 3, 4})).containsExactly(1 + 2, 1, 1, 1, 1, 1 + 1, 4);
    assertThatThrownBy(() -> p.psiCounts(new int[] {3, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[3, 1]");
    assertThatThrownBy(() -> p.psiCounts(new int[] {5}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5 fine edges");
  }

  @Test
  void theMergeOfPartsIsTheProfileOfTheWholeInEveryField() {
    Random r = new Random(3);
    double[] edges = {-1.5, -0.25, 0, 0.75, 2};
    NumericProfile whole = new NumericProfile(edges);
    NumericProfile[] parts = {
      new NumericProfile(edges), new NumericProfile(edges), new NumericProfile(edges)
    };
    for (int i = 0; i < 3000; i++) {
      // quarter steps: every partial sum is exact, so any merge order gives the same doubles
      double v = Math.round(r.nextGaussian() * 8) / 4.0;
      Double x =
          i % 97 == 0
              ? null
              : i % 89 == 0
                  ? Double.NaN
                  : i % 83 == 0
                      ? Double.POSITIVE_INFINITY
                      : i % 79 == 0 ? Double.NEGATIVE_INFINITY : v;
      whole.add(x);
      parts[r.nextInt(3)].add(x);
    }
    NumericProfile merged = new NumericProfile(edges).merge(parts[2]).merge(parts[0]);
    merged.merge(copy(parts[1])); // a part read back from its stored fields
    assertSameFields(merged, whole);
    assertThat(whole.negInfCount()).isPositive();
    assertThat(whole.nanCount()).isPositive().isLessThan(whole.nullCount());
    assertSameFields(copy(whole), whole);
    // merging an empty profile changes nothing, min and max included
    assertSameFields(copy(whole).merge(new NumericProfile(edges)), whole);
  }

  @Test
  void profilesOnDifferentEdgesDoNotMerge() {
    NumericProfile p = new NumericProfile(EDGES);
    assertThatThrownBy(() -> p.merge(new NumericProfile(new double[] {-1, 0.5, 1})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("edge 1 is 0.0 vs 0.5");
    assertThatThrownBy(() -> p.merge(new NumericProfile(new double[] {-1, 0})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 vs 2 edges");
    // equal edges in another array are the same edges
    assertThat(p.merge(new NumericProfile(EDGES.clone())).count()).isZero();
  }

  @Test
  void badEdgesAndInconsistentFieldsAreRejectedWithTheOffendingValue() {
    assertThatThrownBy(() -> new NumericProfile(new double[] {0, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0.0 before 0.0");
    assertThatThrownBy(() -> new NumericProfile(new double[] {Double.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("edge 0 is NaN");
    assertThatThrownBy(() -> new NumericProfile(new double[] {0, Double.POSITIVE_INFINITY}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("edge 1 is Infinity");
    long[] counts = {1, 2, 0, 0};
    double[] sums = {-2, 1, 0, 0};
    // count 5 = 1 null + 1 +inf + 0 -inf + 3 finite: fine
    assertThat(new NumericProfile(EDGES, 5, 1, 1, 1, 0, 3, -1, 4.5, -2, 0.5, counts, sums).count())
        .isEqualTo(5);
    assertThatThrownBy(
            () -> new NumericProfile(EDGES, 6, 1, 1, 1, 0, 3, -1, 4.5, -2, 0.5, counts, sums))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("count=6");
    assertThatThrownBy(
            () -> new NumericProfile(EDGES, 5, 1, 1, 0, 0, 4, -1, 4.5, -2, 0.5, counts, sums))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sum of the bin counts (3)");
    assertThatThrownBy(
            () -> new NumericProfile(EDGES, 5, 1, 2, 1, 0, 3, -1, 4.5, -2, 0.5, counts, sums))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nanCount=2");
    assertThatThrownBy(
            () -> new NumericProfile(EDGES, 5, 1, 1, 1, 0, 3, -1, 4.5, -2, 0.5, new long[3], sums))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4 bins; got 3 counts");
  }

  @Test
  void momentsMatchCommonsMathAndAConstantColumnHasStdExactlyZero() {
    Random r = new Random(5);
    NumericProfile p = new NumericProfile(EDGES);
    double[] values = new double[1000];
    for (int i = 0; i < values.length; i++) {
      values[i] = 10 + 2 * r.nextGaussian();
      p.add(values[i]);
    }
    assertThat(p.std()).isCloseTo(new StandardDeviation(true).evaluate(values), within(1e-12));
    assertThat(p.mean()).isCloseTo(10, within(0.2));
    // 0.1 is not a binary fraction: without the min == max rule, rounding in the sums leaves a
    // variance of about 1e-17 instead of 0
    NumericProfile constant = new NumericProfile(EDGES);
    for (int i = 0; i < 1000; i++) {
      constant.add(0.1);
    }
    assertThat(constant.std()).isZero();
    NumericProfile single = new NumericProfile(EDGES);
    single.add(1.0);
    assertThat(single.std()).isNaN();
    assertThat(new NumericProfile(EDGES).mean()).isNaN();
  }
}
