package io.lakeloop.monitoring.evaluate;

import java.util.Map;
import java.util.TreeMap;

/**
 * Weighted counts of positives and negatives per fixed-width score bin, and the ranking metrics
 * computed from them. Pure Java; the bins come from the fused aggregation, so only this small state
 * (at most bins entries per window, slice and class) ever leaves Spark.
 *
 * <p>Error bound: the histogram ROC-AUC (trapezoid over bin edges) equals the exact rank AUC except
 * for positive/negative pairs that fall in the same bin, which it counts as half-correct; so {@code
 * |AUC_hist - AUC_exact| <= 0.5 * sum_i pos_i * neg_i / (P * N)} ({@link #rocAucErrorBound()}).
 * With B bins and score densities f+, f- this is about {@code 0.5/B * integral(f+ f-)}: below 1e-4
 * for B = 10,000 and densities under 2, and never above 1e-3 unless more than 0.2 % of all pairs
 * share a bin (e.g. scores rounded to 3 decimals).
 */
public final class ScoreHistogram {
  private final TreeMap<Long, double[]> bins = new TreeMap<>();

  /** Adds weighted positives and negatives to a bin (bins may repeat; they add up). */
  public ScoreHistogram add(long bin, double positives, double negatives) {
    double[] c = bins.computeIfAbsent(bin, b -> new double[2]);
    c[0] += positives;
    c[1] += negatives;
    return this;
  }

  public double positives() {
    return bins.values().stream().mapToDouble(c -> c[0]).sum();
  }

  public double negatives() {
    return bins.values().stream().mapToDouble(c -> c[1]).sum();
  }

  /** Trapezoid ROC-AUC over the bins; NaN without positives or negatives. */
  public double rocAuc() {
    double p = positives();
    double n = negatives();
    if (p <= 0 || n <= 0) {
      return Double.NaN;
    }
    double area = 0;
    double positivesAbove = 0;
    for (double[] c : bins.descendingMap().values()) {
      area += c[1] * (positivesAbove + 0.5 * c[0]);
      positivesAbove += c[0];
    }
    return area / (p * n);
  }

  /** The largest possible |histogram AUC - exact AUC| for this data (see the class comment). */
  public double rocAucErrorBound() {
    double p = positives();
    double n = negatives();
    if (p <= 0 || n <= 0) {
      return Double.NaN;
    }
    double shared = 0;
    for (double[] c : bins.values()) {
      shared += c[0] * c[1];
    }
    return 0.5 * shared / (p * n);
  }

  /**
   * Average precision (scikit-learn's step-wise PR-AUC, sum of (R_k - R_k-1) * P_k) with the bins
   * as thresholds, from the highest score down; NaN without positives.
   */
  public double averagePrecision() {
    double p = positives();
    if (p <= 0) {
      return Double.NaN;
    }
    double tp = 0;
    double fp = 0;
    double ap = 0;
    for (Map.Entry<Long, double[]> e : bins.descendingMap().entrySet()) {
      double[] c = e.getValue();
      tp += c[0];
      fp += c[1];
      if (c[0] > 0) {
        ap += (c[0] / p) * (tp / (tp + fp));
      }
    }
    return ap;
  }
}
