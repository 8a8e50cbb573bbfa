package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** The index's bin equals the definition (how many edges are ≤ v) for every kind of edge set. */
class EdgeIndexTest {
  private static int binByDefinition(double[] edges, double v) {
    return NumericProfileTest.binByDefinition(edges, v);
  }

  private static double[] edges(int n, DoubleSupplier draw) {
    TreeSet<Double> set = new TreeSet<>();
    while (set.size() < n) {
      set.add(draw.getAsDouble());
    }
    return set.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** Every edge, its neighbouring doubles, midpoints, values outside the range and random ones. */
  private static void assertMatchesDefinition(double[] edges, Random random) {
    EdgeIndex index = EdgeIndex.of(edges);
    double span = edges[edges.length - 1] - edges[0];
    for (int i = 0; i < edges.length; i++) {
      double e = edges[i];
      for (double v : new double[] {e, Math.nextUp(e), Math.nextDown(e)}) {
        assertThat(index.bin(v)).as("v=%s", v).isEqualTo(binByDefinition(edges, v));
      }
      if (i > 0) {
        double mid = edges[i - 1] + (e - edges[i - 1]) / 2;
        assertThat(index.bin(mid)).as("v=%s", mid).isEqualTo(binByDefinition(edges, mid));
      }
    }
    double[] outside = {
      -Double.MAX_VALUE,
      Double.MAX_VALUE,
      edges[0] - span,
      edges[edges.length - 1] + span,
      0.0,
      -0.0
    };
    for (double v : outside) {
      assertThat(index.bin(v)).as("v=%s", v).isEqualTo(binByDefinition(edges, v));
    }
    for (int k = 0; k < 20_000; k++) {
      double v = edges[0] - span * 0.1 + random.nextDouble() * span * 1.2;
      assertThat(index.bin(v)).as("v=%s", v).isEqualTo(binByDefinition(edges, v));
    }
  }

  @Test
  void matchesTheDefinitionOnEvenSkewedAndExtremeEdges() {
    Random random = new Random(7);
    assertMatchesDefinition(edges(999, random::nextGaussian), random);
    assertMatchesDefinition(edges(999, () -> Math.exp(3 * random.nextGaussian())), random);
    assertMatchesDefinition(edges(999, () -> Math.pow(10, 30 * random.nextDouble())), random);
    assertMatchesDefinition(edges(300, () -> Math.floor(random.nextDouble() * 1000)), random);
    assertMatchesDefinition(edges(40, () -> 1e300 * random.nextGaussian()), random); // no table
    assertMatchesDefinition(new double[] {-Double.MAX_VALUE, 0, Double.MAX_VALUE}, random);
    assertMatchesDefinition(edges(5, random::nextDouble), random);
    double[] tiny = new double[64]; // adjacent doubles: the narrowest span there is
    tiny[0] = 1.0;
    for (int i = 1; i < tiny.length; i++) {
      tiny[i] = Math.nextUp(tiny[i - 1]);
    }
    assertMatchesDefinition(tiny, random);
  }

  @Test
  void spansTooWideForArithmeticFallBackToABinarySearch() {
    double[] wide = new double[32];
    for (int i = 0; i < wide.length; i++) {
      wide[i] = -Double.MAX_VALUE + i * (Double.MAX_VALUE / 8);
    }
    Arrays.sort(wide);
    assertMatchesDefinition(wide, new Random(3));
  }

  @Test
  void profilesBinThroughTheIndexAsByDefinition() {
    Random random = new Random(11);
    double[] edges = edges(999, () -> Math.exp(random.nextGaussian()));
    NumericProfile shared = new NumericProfile(EdgeIndex.of(edges));
    NumericProfile own = new NumericProfile(edges);
    long[] expected = new long[edges.length + 1];
    for (int k = 0; k < 50_000; k++) {
      double v = Math.exp(random.nextGaussian() * 1.2);
      shared.add(v);
      own.add(v);
      expected[binByDefinition(edges, v)]++;
    }
    assertThat(shared.binCounts()).containsExactly(expected);
    assertThat(own.binCounts()).containsExactly(expected);
  }
}
