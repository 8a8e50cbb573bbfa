package io.lakeloop.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.assertj.core.data.Offset;
import org.assertj.core.data.Percentage;
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
            assertThat((double) q.scales()[c]).isCloseTo(expected, Percentage.withPercentage(1e-4));
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
    assertThat(d[7 * COLS + 4]).isCloseTo(0.5f, Offset.offset(1e-6f));
    float worstSmall = 0;
    for (int r = 0; r < ROWS; r++) {
      if (r != 7) {
        worstSmall = Math.max(worstSmall, Math.abs(w[r * COLS + 4] - d[r * COLS + 4]));
      }
    }
    assertThat(worstSmall).isLessThanOrEqualTo(0.5f / 127 / 2 * 1.0001f);
    assertThat(sym[4]).isGreaterThan(10 * worstSmall);
  }

  /** Sum over sample rows and columns of (x · (w' - w))², computed directly. */
  private static double outputError(float[] w, float[] wq, int rows, int cols, float[] x, int n) {
    double e = 0;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < cols; c++) {
        double d = 0;
        for (int r = 0; r < rows; r++) {
          d += x[i * rows + r] * (wq[r * cols + c] - w[r * cols + c]);
        }
        e += d * d;
      }
    }
    return e;
  }

  @Test
  void calibrationClipsAnOutlierChannelOnlyWhenThatLowersTheOutputErrorOnTheSample() {
    int rows = 400;
    int cols = 3;
    int n = 64;
    Random r = new Random(5);
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (0.05 * r.nextGaussian());
    }
    w[7 * cols + 1] = 3f; // column 1: one weight 60 standard deviations out
    float[] x = new float[n * rows];
    for (int i = 0; i < x.length; i++) {
      // input 7 is almost always zero in the sample: the outlier barely matters there
      x[i] = (i % rows == 7) ? 0f : (float) r.nextGaussian();
    }
    double[] percentiles = {100, 99.9, 99.5, 99};
    for (boolean asymmetric : new boolean[] {false, true}) {
      float[] clip = Int8Quantizer.calibrate(w, rows, cols, x, n, asymmetric, percentiles);
      float[] plain = Int8Quantizer.quantize(w, rows, cols, asymmetric, null).dequantize();
      float[] calibrated = Int8Quantizer.quantize(w, rows, cols, asymmetric, clip).dequantize();
      assertThat(clip[1]).as("asymmetric=%s", asymmetric).isLessThan(3f);
      double before = outputError(w, plain, rows, cols, x, n);
      double after = outputError(w, calibrated, rows, cols, x, n);
      assertThat(after).as("asymmetric=%s", asymmetric).isLessThan(before / 10);
    }
    // where the outlier's input is active, clipping it costs more than it saves: not clipped
    float[] active = x.clone();
    for (int i = 0; i < n; i++) {
      active[i * rows + 7] = 1f;
    }
    float[] clip = Int8Quantizer.calibrate(w, rows, cols, active, n, false, percentiles);
    assertThat(clip[1]).isEqualTo(3f);
    assertThatThrownBy(() -> Int8Quantizer.calibrate(w, rows, cols, x, n - 1, false, percentiles))
        .isInstanceOf(IllegalArgumentException.class);
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
