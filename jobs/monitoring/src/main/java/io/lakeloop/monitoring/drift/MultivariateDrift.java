package io.lakeloop.monitoring.drift;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * Multivariate drift as PCA reconstruction error (the data-reconstruction method NannyML
 * publishes): the baseline's numeric features are standardized, a PCA keeps the fewest components
 * that explain more than {@code varianceShare} of their variance, and a window's rows are projected
 * onto those components and back; how far they land from where they were measures whether the
 * features still move together as they did. Marginals can stay the same while the error grows (a
 * correlation that flips sign), which no per-column statistic sees.
 *
 * <p>The error of a row is the squared distance (NannyML takes the distance itself): the mean of
 * squared distances over a window is {@code trace(Q M)}, with {@code Q} the projection onto the
 * discarded components and {@code M} the window's standardized second moments about the baseline
 * mean, so it is computed exactly from the {@link Moments} the profile pass sums — no row is read
 * twice and executors need no PCA. Rows with a null or non-finite feature are left out (NannyML
 * imputes the mean instead; completeness is what constraints check).
 *
 * <p>Threshold: the baseline's rows are spread over chunks by a hash of their values; the chunks'
 * errors scatter around the baseline's with variance σ²/rows, which estimates σ, the per-row spread
 * of the error. A window of m rows is judged by t = (e − ē) / (σ √(1/m + 1/N)) on the Student t law
 * with chunks − 1 degrees of freedom (σ is itself estimated): drifted when its two-sided p-value is
 * below the false-alarm rate. Pure; runs on the driver.
 */
public final class MultivariateDrift {
  /** The drift_metrics and profiles column of the multivariate statistic, and its kind. */
  public static final String COLUMN = "pca_reconstruction";

  static final String KIND = "multivariate";
  static final String STATISTIC = "reconstruction_error";

  private final double[] mean; // baseline mean of y = x - pivot
  private final double[] scale; // 1 / baseline sd (0 for a constant column: left out)
  private final double[][] residual; // Q = I - V V^T in standardized units
  private final int components;
  private final double baselineError;
  private final double spread; // σ: per-row sd of the error
  private final long baselineRows;
  private final TDistribution t;

  private MultivariateDrift(
      double[] mean,
      double[] scale,
      double[][] residual,
      int components,
      double baselineError,
      double spread,
      long baselineRows,
      int degreesOfFreedom) {
    this.mean = mean;
    this.scale = scale;
    this.residual = residual;
    this.components = components;
    this.baselineError = baselineError;
    this.spread = spread;
    this.baselineRows = baselineRows;
    this.t = new TDistribution(null, degreesOfFreedom);
  }

  /** A window's verdict: its error, the test's p-value, the upper threshold, drifted or not. */
  record Judgement(double error, double pValue, double threshold, boolean drifted, long rows) {}

  /**
   * Fits the PCA on a baseline's moments; empty when it cannot judge anything: fewer than two
   * columns that vary, or fewer than three chunks with rows.
   */
  static Optional<MultivariateDrift> fit(Moments baseline, double varianceShare) {
    Moments total = baseline.total();
    int k = baseline.columns();
    long n = total.rows(0);
    if (k < 2 || n < 2) {
      return Optional.empty();
    }
    double[] mean = new double[k];
    double[] scale = new double[k];
    for (int i = 0; i < k; i++) {
      mean[i] = total.sum(0, i) / n;
    }
    int varying = 0;
    for (int i = 0; i < k; i++) {
      double var = total.product(0, i, i) / n - mean[i] * mean[i];
      if (var > 1e-12 * Math.max(1, mean[i] * mean[i])) {
        scale[i] = 1 / Math.sqrt(var);
        varying++;
      }
    }
    long chunksWithRows =
        IntStream.range(0, baseline.chunks()).filter(c -> baseline.rows(c) > 0).count();
    if (varying < 2 || chunksWithRows < 3) {
      return Optional.empty();
    }
    double[][] corr = standardized(total, 0, mean, scale);
    EigenDecomposition eigen = new EigenDecomposition(new Array2DRowRealMatrix(corr, false));
    double[] values = eigen.getRealEigenvalues();
    Integer[] order = IntStream.range(0, k).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]));
    double totalVariance = Arrays.stream(values).map(v -> Math.max(v, 0)).sum();
    int keep = 0;
    double explained = 0;
    while (keep < k && explained <= varianceShare * totalVariance) {
      explained += Math.max(values[order[keep]], 0);
      keep++;
    }
    double[][] q = new double[k][k];
    for (int i = 0; i < k; i++) {
      q[i][i] = 1;
    }
    for (int c = 0; c < keep; c++) {
      double[] v = eigen.getEigenvector(order[c]).toArray();
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          q[i][j] -= v[i] * v[j];
        }
      }
    }
    // a constant column is not a feature of the PCA: its standardized value is always 0
    for (int i = 0; i < k; i++) {
      if (scale[i] == 0) {
        Arrays.fill(q[i], 0);
        for (int j = 0; j < k; j++) {
          q[j][i] = 0;
        }
      }
    }
    double error = trace(q, corr);
    double ss = 0;
    for (int c = 0; c < baseline.chunks(); c++) {
      long m = baseline.rows(c);
      if (m > 0) {
        double e = trace(q, standardized(baseline, c, mean, scale));
        ss += m * (e - error) * (e - error);
      }
    }
    double spread = Math.sqrt(ss / (chunksWithRows - 1));
    return Optional.of(
        new MultivariateDrift(mean, scale, q, keep, error, spread, n, (int) chunksWithRows - 1));
  }

  /** The mean squared reconstruction error of a window's rows; NaN without complete rows. */
  double error(Moments window) {
    return errorOfTotal(window.total());
  }

  /** {@link #error} of moments already summed over their chunks. */
  private double errorOfTotal(Moments total) {
    return total.rows(0) == 0 ? Double.NaN : trace(residual, standardized(total, 0, mean, scale));
  }

  /** The window judged against the baseline at the false-alarm rate; empty without rows. */
  Optional<Judgement> judge(Moments window, double falseAlarmRate) {
    Moments total = window.total();
    long m = total.rows(0);
    if (m == 0) {
      return Optional.empty();
    }
    double e = errorOfTotal(total);
    double se = spread * Math.sqrt(1.0 / m + 1.0 / baselineRows);
    double p;
    if (se > 0) {
      p = 2 * t.cumulativeProbability(-Math.abs(e - baselineError) / se);
    } else {
      p = Math.abs(e - baselineError) > 1e-12 ? 0 : 1;
    }
    double threshold = baselineError + t.inverseCumulativeProbability(1 - falseAlarmRate / 2) * se;
    return Optional.of(new Judgement(e, p, threshold, p < falseAlarmRate, m));
  }

  int components() {
    return components;
  }

  double baselineError() {
    return baselineError;
  }

  /** The estimated per-row standard deviation of the error. */
  double spread() {
    return spread;
  }

  /**
   * A chunk's second moments about the baseline mean, standardized: D (S/n - ȳμᵀ - μȳᵀ + μμᵀ) D.
   */
  private static double[][] standardized(Moments m, int chunk, double[] mean, double[] scale) {
    int k = m.columns();
    long n = m.rows(chunk);
    double[] avg = new double[k];
    for (int i = 0; i < k; i++) {
      avg[i] = m.sum(chunk, i) / n;
    }
    double[][] out = new double[k][k];
    for (int i = 0; i < k; i++) {
      for (int j = i; j < k; j++) {
        double c =
            m.product(chunk, i, j) / n - avg[i] * mean[j] - mean[i] * avg[j] + mean[i] * mean[j];
        out[i][j] = out[j][i] = c * scale[i] * scale[j];
      }
    }
    return out;
  }

  private static double trace(double[][] q, double[][] m) {
    double s = 0;
    for (int i = 0; i < q.length; i++) {
      for (int j = 0; j < q.length; j++) {
        s += q[i][j] * m[j][i];
      }
    }
    return s;
  }

  @Override
  public String toString() {
    return "MultivariateDrift["
        + components
        + " of "
        + mean.length
        + " components, baseline error "
        + baselineError
        + ", spread "
        + spread
        + "]";
  }
}
