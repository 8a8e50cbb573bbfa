package io.lakeloop.monitoring.evaluate;

/**
 * Poisson(1) bootstrap weights that are a pure function of (request id, replicate): the row's
 * {@code xxhash64(request_id)} plus the replicate number times the golden-ratio constant, mixed
 * with the SplitMix64 finalizer into a uniform, turned into a count by the inverse CDF of
 * Poisson(1). A rerun, a retry or another partitioning gives every row the same weights, hence
 * identical intervals. The evaluator draws a row's weights once and shares them among all the
 * windows and slices the row belongs to, so each replicate is one consistent resample.
 */
public final class PoissonWeights {
  private PoissonWeights() {}

  /** Largest weight drawn; P(Poisson(1) > 12) < 1e-10, so the truncation is immaterial. */
  static final int MAX = 12;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final double UNIT = 0x1.0p-53;

  /** CDF of Poisson(1) at 0..MAX-1: sum_{j<=k} e^-1 / j!. */
  static final double[] CDF = cdf();

  private static double[] cdf() {
    double[] c = new double[MAX];
    double p = Math.exp(-1);
    double acc = 0;
    for (int k = 0; k < MAX; k++) {
      acc += p;
      c[k] = acc;
      p /= (k + 1);
    }
    return c;
  }

  /** The Poisson(1) count at uniform {@code u} in [0, 1): the smallest k with CDF(k) > u. */
  public static int inverseCdf(double u) {
    for (int k = 0; k < MAX; k++) {
      if (u < CDF[k]) {
        return k;
      }
    }
    return MAX;
  }

  /** SplitMix64's finalizer: a bijective 64-bit mix. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The weight of the row whose id hashes to {@code idHash} in replicate {@code b} (b >= 1). */
  public static int weight(long idHash, int b) {
    return inverseCdf((mix(idHash + b * GOLDEN) >>> 11) * UNIT);
  }

  /** Fills {@code out[0] = 1} (the sample itself) and {@code out[b]} for replicates 1.. */
  static void weights(long idHash, int[] out) {
    out[0] = 1;
    for (int b = 1; b < out.length; b++) {
      out[b] = weight(idHash, b);
    }
  }
}
