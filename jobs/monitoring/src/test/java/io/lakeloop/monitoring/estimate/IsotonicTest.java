package io.lakeloop.monitoring.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.apache.commons.math3.analysis.interpolation.LinearInterpolator;
import org.apache.commons.math3.analysis.polynomials.PolynomialSplineFunction;
import org.junit.jupiter.api.Test;

class IsotonicTest {

  /**
   * A map's value is Commons Math's linear interpolation through its knots, clipped to the end
   * values outside them, wherever the value falls: between knots, on a knot, on the edge of one of
   * the cells apply starts its search from, in a cell with many knots or none, and outside [0, 1].
   */
  @Test
  void appliesLinearInterpolationThroughItsKnotsClippedOutside() {
    Random random = new Random(7);
    for (int knots : new int[] {1, 2, 3, 50, 20_000}) {
      double[] x = new double[knots];
      double[] y = new double[knots];
      for (int i = 0; i < knots; i++) {
        x[i] = knots == 1 ? 0.4 : -0.1 + 1.2 * random.nextDouble();
        y[i] = random.nextDouble();
      }
      x = Arrays.stream(x).distinct().sorted().toArray();
      y = Arrays.stream(Arrays.copyOf(y, x.length)).sorted().toArray();
      Isotonic map = new Isotonic(x, y);
      PolynomialSplineFunction line =
          x.length > 1 ? new LinearInterpolator().interpolate(x, y) : null;
      double[] probes = new double[30_000];
      for (int i = 0; i < probes.length; i++) {
        probes[i] =
            switch (i % 3) {
              case 0 -> -0.2 + 1.4 * random.nextDouble();
              case 1 -> x[random.nextInt(x.length)];
              default -> random.nextInt(4097) / 4096.0;
            };
      }
      for (double v : probes) {
        double expected = v <= x[0] ? y[0] : v >= x[x.length - 1] ? y[x.length - 1] : line.value(v);
        assertThat(map.apply(v))
            .as("%d knots at %s", x.length, v)
            .isCloseTo(expected, within(1e-12));
      }
    }
  }

  /** Pool adjacent violators on a known case: the violating pair is pooled to its weighted mean. */
  @Test
  void fitPoolsAdjacentViolatorsToTheirWeightedMean() {
    Isotonic map =
        Isotonic.fit(
            new double[] {0.1, 0.2, 0.3, 0.4},
            new double[] {0.0, 0.6, 0.3, 0.9},
            new double[] {1, 1, 2, 1});
    assertThat(map.x()).containsExactly(0.1, 0.2, 0.3, 0.4);
    assertThat(map.y()[1]).isCloseTo(0.4, within(1e-15));
    assertThat(map.y()[2]).isCloseTo(0.4, within(1e-15));
    assertThat(map.apply(0.25)).isCloseTo(0.4, within(1e-15));
    assertThat(map.apply(0.05)).isZero();
    assertThat(map.apply(0.45)).isEqualTo(0.9);
  }
}
