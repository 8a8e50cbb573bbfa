package io.lakeloop.common.model;

import java.util.Arrays;

/**
 * Post-training int8 quantization of a weight matrix, per output channel (per column of a row-major
 * {@code rows x cols} matrix: DL4J's dense weights are {@code [nIn, nOut]}, one column per output
 * unit). Pure Java: the consumer side dequantizes without Spark.
 *
 * <p>Symmetric (default): {@code scale = max|w| / 127}, {@code q = round(w / scale)} in [-127,
 * 127], {@code w' = q * scale}. Asymmetric: the column's range widened to include 0, {@code scale =
 * (max - min) / 255}, an integer zero point {@code z} in [-128, 127] so that 0 maps to {@code z}
 * exactly, {@code q = clamp(round(w / scale) + z)}, {@code w' = (q - z) * scale}. Either way every
 * weight inside the (optionally clipped) range is within {@code scale / 2} of its original (plus
 * float rounding), and a weight that is exactly 0 — a pruned one — comes back exactly 0. Scales are
 * float32; an all-zero column gets scale 1 (every q is 0).
 */
public final class Int8Quantizer {
  private Int8Quantizer() {}

  /**
   * A quantized matrix: {@code values[r * cols + c]}, one scale (and for asymmetric one zero point)
   * per column.
   */
  public record Quantized(int rows, int cols, byte[] values, float[] scales, int[] zeroPoints) {
    public boolean symmetric() {
      return zeroPoints == null;
    }

    /** The float32 weights these int8 values stand for, row-major. */
    public float[] dequantize() {
      float[] out = new float[rows * cols];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          int q = values[r * cols + c] - (zeroPoints == null ? 0 : zeroPoints[c]);
          out[r * cols + c] = q * scales[c];
        }
      }
      return out;
    }
  }

  /**
   * Quantizes a row-major {@code rows x cols} matrix.
   *
   * @param clip per column, weights beyond {@code clip[c]} in magnitude are clipped before
   *     quantization (a calibrated range); null for no clipping
   */
  public static Quantized quantize(
      float[] w, int rows, int cols, boolean asymmetric, float[] clip) {
    if (w.length != rows * cols) {
      throw new IllegalArgumentException(
          "a " + rows + " x " + cols + " matrix has " + rows * cols + " values; got " + w.length);
    }
    byte[] q = new byte[w.length];
    float[] scales = new float[cols];
    int[] zeros = asymmetric ? new int[cols] : null;
    for (int c = 0; c < cols; c++) {
      float lo = 0;
      float hi = 0;
      for (int r = 0; r < rows; r++) {
        float v = clipped(w[r * cols + c], clip == null ? Float.POSITIVE_INFINITY : clip[c]);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      float scale;
      int zero = 0;
      if (asymmetric) {
        scale = (hi - lo) / 255f;
        if (scale > 0) {
          zero = (int) Math.max(-128, Math.min(127, -128 - Math.round(lo / scale)));
        }
      } else {
        scale = Math.max(-lo, hi) / 127f;
      }
      if (!(scale > 0) || !Float.isFinite(scale)) {
        scale = 1f;
        zero = 0;
      }
      scales[c] = scale;
      if (zeros != null) {
        zeros[c] = zero;
      }
      int min = asymmetric ? -128 : -127;
      for (int r = 0; r < rows; r++) {
        float v = clipped(w[r * cols + c], clip == null ? Float.POSITIVE_INFINITY : clip[c]);
        long k = Math.round(v / scale) + zero;
        q[r * cols + c] = (byte) Math.max(min, Math.min(127, k));
      }
    }
    return new Quantized(rows, cols, q, scales, zeros);
  }

  private static float clipped(float v, float limit) {
    if (Float.isNaN(v)) {
      throw new IllegalArgumentException("cannot quantize a NaN weight");
    }
    return Math.max(-limit, Math.min(limit, v));
  }

  /**
   * Calibrated clipping: per column, the clipping limit (a percentile of the column's |w| from
   * {@code percentiles}, 100 = no clipping) whose quantized column changes the layer's
   * pre-activations on a sample of its inputs least (sum of squared differences). Clipping trades a
   * few large errors on outliers for a finer scale on every other weight; the sample decides.
   *
   * @param inputs the layer's inputs for {@code n} sample rows, row-major {@code n x rows}
   * @return the clip per column, for {@link #quantize}
   */
  public static float[] calibrate(
      float[] w,
      int rows,
      int cols,
      float[] inputs,
      int n,
      boolean asymmetric,
      double[] percentiles) {
    if (inputs.length != n * rows) {
      throw new IllegalArgumentException(
          "calibration inputs: "
              + n
              + " rows of "
              + rows
              + " values expected; got "
              + inputs.length);
    }
    float[] best = new float[cols];
    double[] bestError = new double[cols];
    Arrays.fill(bestError, Double.POSITIVE_INFINITY);
    float[][] sorted = new float[cols][rows];
    for (int c = 0; c < cols; c++) {
      for (int r = 0; r < rows; r++) {
        sorted[c][r] = Math.abs(w[r * cols + c]);
      }
      Arrays.sort(sorted[c]);
    }
    for (double p : percentiles) {
      if (!(p > 0 && p <= 100)) {
        throw new IllegalArgumentException("a clipping percentile is in (0, 100]; got " + p);
      }
      float[] clip = new float[cols];
      for (int c = 0; c < cols; c++) {
        int k = (int) Math.ceil(p / 100 * rows) - 1;
        clip[c] = sorted[c][Math.max(0, Math.min(rows - 1, k))];
      }
      float[] d = quantize(w, rows, cols, asymmetric, clip).dequantize();
      double[] err = new double[cols];
      double[] diff = new double[cols];
      for (int i = 0; i < n; i++) {
        Arrays.fill(diff, 0);
        for (int r = 0; r < rows; r++) {
          float x = inputs[i * rows + r];
          if (x == 0) {
            continue;
          }
          for (int c = 0; c < cols; c++) {
            diff[c] += x * (d[r * cols + c] - w[r * cols + c]);
          }
        }
        for (int c = 0; c < cols; c++) {
          err[c] += diff[c] * diff[c];
        }
      }
      for (int c = 0; c < cols; c++) {
        if (err[c] < bestError[c]) {
          bestError[c] = err[c];
          best[c] = clip[c];
        }
      }
    }
    return best;
  }

  /** The largest |w - dequantized| per column (for reports and tests). */
  public static float[] maxErrors(float[] w, Quantized q) {
    float[] d = q.dequantize();
    float[] err = new float[q.cols()];
    Arrays.fill(err, 0f);
    for (int i = 0; i < w.length; i++) {
      int c = i % q.cols();
      err[c] = Math.max(err[c], Math.abs(w[i] - d[i]));
    }
    return err;
  }
}
