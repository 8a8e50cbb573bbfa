package io.lakeloop.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Int8QuantizerTest {
  private static final int ROWS = 200;
  private static final int COLS = 6;

  /**
   * Columns: Gaussian, skewed positive (log-normal), half pruned to exactly 0, all zero, one huge
   * outlier among small weights, tiny (1e-6) weights.
   */
  private static float[] matrix(long seed) {
    Random rnd = new Random(seed);
    float[] w = new float[ROWS * COLS];
    for (int r = 0; r < ROWS; r++) {
      w[r * COLS] = (float) rnd.nextGaussian();
      w[r * COLS + 1] = (float) Math.exp(rnd.nextGaussian());
      w[r * COLS + 2] = r % 2 == 0 ? 0f : (float) rnd.nextGaussian() * 3;
      w[r * COLS + 3] = 0f;
      w[r * COLS + 4] = r == 7 ? 50f : (float) rnd.nextGaussian() * 0.1f;
      w[r * COLS + 5] = (float) (rnd.nextGaussian() * 1e-6);
    }
    return w;
  }

  /** The column's max |w| computed in double: an independent value for the symmetric scale. */
  private static double maxAbs(float[] w, int c) {
    double m = 0;
    for (int r = 0; r < ROWS; r++) {
      m = Math.max(m, Math.abs((double) w[r * COLS + c]));
    }
    return m;
  }

  @Test
  void everyWeightIsWithinHalfAScaleAndPrunedWeightsStayExactlyZero() {
    for (boolean asymmetric : new boolean[] {false, true}) {
      for (long seed = 1; seed <= 5; seed++) {
        float[] w = matrix(seed);
        Int8Quantizer.Quantized q = Int8Quantizer.quantize(w, ROWS, COLS, asymmetric, null);
        float[] d = q.dequantize();
        for (int i = 0; i < w.length; i++) {
          int c = i % COLS;
          double bound = q.scales()[c] / 2.0 * (1 + 1e-5) + 1e-12;
          assertThat((double) Math.abs(w[i] - d[i]))
              .as("asymmetric=%s seed=%d element %d", asymmetric, seed, i)
              .isLessThanOrEqualTo(bound);
          if (w[i] == 0f) {
            assertThat(d[i]).isEqualTo(0f);
          }
          assertThat((int) q.values()[i]).isBetween(asymmetric ? -128 : -127, 127);
        }
        assertThat(q.symmetric()).isEqualTo(!asymmetric);
        if (!asymmetric) {
          for (int c = 0; c < COLS; c++) {
            double expected = c == 3 ? 1.0 : maxAbs(w, c) / 127;
            assertThat((double) q.scales()[c])
                .isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1e-4));
          }
        }
      }
    }
  }

  @Test
  void asymmetricHalvesTheErrorOfAOneSidedChannelAndClippingBoundsAnOutlier() {
    float[] w = matrix(11);
    float[] sym = Int8Quantizer.maxErrors(w, Int8Quantizer.quantize(w, ROWS, COLS, false, null));
    float[] asym = Int8Quantizer.maxErrors(w, Int8Quantizer.quantize(w, ROWS, COLS, true, null));
    // column 1 is all positive: symmetric wastes the negative half of its codes
    assertThat(asym[1]).isLessThan(sym[1] * 0.6f);

    // column 4: one weight of 50 among weights of ~0.1 makes the scale ~0.39; clipped at 0.5 the
    // small weights are kept far more precisely and the outlier becomes 0.5
    float[] clip = {
      Float.POSITIVE_INFINITY,
      Float.POSITIVE_INFINITY,
      Float.POSITIVE_INFINITY,
      Float.POSITIVE_INFINITY,
      0.5f,
      Float.POSITIVE_INFINITY
    };
    Int8Quantizer.Quantized clipped = Int8Quantizer.quantize(w, ROWS, COLS, false, clip);
    float[] d = clipped.dequantize();
    assertThat(d[7 * COLS + 4]).isCloseTo(0.5f, org.assertj.core.data.Offset.offset(1e-6f));
    float worstSmall = 0;
    for (int r = 0; r < ROWS; r++) {
      if (r != 7) {
        worstSmall = Math.max(worstSmall, Math.abs(w[r * COLS + 4] - d[r * COLS + 4]));
      }
    }
    assertThat(worstSmall).isLessThanOrEqualTo(0.5f / 127 / 2 * 1.0001f);
    assertThat(sym[4]).isGreaterThan(10 * worstSmall);
  }

  @Test
  void refusesBadInput() {
    assertThatThrownBy(() -> Int8Quantizer.quantize(new float[5], 2, 3, false, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 x 3");
    assertThatThrownBy(() -> Int8Quantizer.quantize(new float[] {1f, Float.NaN}, 1, 2, false, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }
}
