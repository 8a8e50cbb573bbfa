package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;

import org.apache.spark.sql.Column;

/**
 * Poisson(1) bootstrap weights that are a pure function of (request id, replicate): a uniform from
 * Spark's {@code xxhash64(request_id, b)}, turned into a count by the inverse CDF of Poisson(1). A
 * rerun, a retry or another partitioning gives every row the same weights, hence identical
 * intervals. Costs one hash per row and replicate; no shuffle.
 */
public final class PoissonWeights {
  private PoissonWeights() {}

  /** Largest weight drawn; P(Poisson(1) > 12) < 1e-10, so the truncation is immaterial. */
  static final int MAX = 12;

  private static final long UNIFORM_BITS = 1L << 53;

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

  /** The Poisson(1) count at uniform {@code u} in (0, 1): the smallest k with CDF(k) > u. */
  public static int inverseCdf(double u) {
    for (int k = 0; k < MAX; k++) {
      if (u < CDF[k]) {
        return k;
      }
    }
    return MAX;
  }

  /** The weight column of replicate {@code replicate} (an int column) for {@code id}. */
  public static Column weight(Column id, Column replicate) {
    Column u =
        pmod(xxhash64(id, replicate), lit(UNIFORM_BITS)).plus(lit(0.5)).divide(lit(UNIFORM_BITS));
    Column w = lit(MAX);
    for (int k = MAX - 1; k >= 0; k--) {
      w = when(u.lt(lit(CDF[k])), lit(k)).otherwise(w);
    }
    return w.cast("double");
  }
}
