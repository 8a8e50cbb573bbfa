package io.lakeloop.monitoring.estimate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * An increasing piecewise-linear map fitted by weighted isotonic regression (pool adjacent
 * violators): the least-squares non-decreasing fit of {@code y} on {@code x}, interpolated linearly
 * between the fitted points and clipped outside them, as scikit-learn's {@code
 * IsotonicRegression(out_of_bounds="clip")} predicts. Only the knots where the fit bends are kept
 * (the first and last point of each pooled block). Immutable, serializable.
 */
public final class Isotonic implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Cells of [0, 1] the knot index looks a value up in (see {@link #apply}). */
  private static final int CELLS = 4096;

  private final double[] x;
  private final double[] y;

  /** Per cell c of [0, 1], the first knot with x >= c / CELLS: where apply's search starts. */
  private transient int[] cell;

  /** A map through the given knots ({@code x} strictly increasing, {@code y} non-decreasing). */
  public Isotonic(double[] x, double[] y) {
    if (x.length == 0 || x.length != y.length) {
      throw new IllegalArgumentException("a map needs as many y as x, at least one");
    }
    for (int i = 1; i < x.length; i++) {
      if (!(x[i] > x[i - 1]) || y[i] < y[i - 1]) {
        throw new IllegalArgumentException("knots must increase in x and not decrease in y");
      }
    }
    this.x = x.clone();
    this.y = y.clone();
    this.cell = cells(this.x);
  }

  private static int[] cells(double[] x) {
    int[] out = new int[CELLS];
    int i = 0;
    for (int c = 0; c < CELLS; c++) {
      double from = (double) c / CELLS;
      while (i < x.length && x[i] < from) {
        i++;
      }
      out[c] = i;
    }
    return out;
  }

  private void readObject(java.io.ObjectInputStream in)
      throws java.io.IOException, ClassNotFoundException {
    in.defaultReadObject();
    cell = cells(x);
  }

  /**
   * Fits points with distinct {@code x} in increasing order, weights {@code w} > 0; e.g. per score
   * bin the bin's mean score, its share of positives and its row count.
   */
  public static Isotonic fit(double[] x, double[] y, double[] w) {
    int n = x.length;
    if (n == 0 || y.length != n || w.length != n) {
      throw new IllegalArgumentException("fit needs points: as many x, y and w, at least one");
    }
    // blocks as a stack: weighted sum of y, weight, first point
    double[] sum = new double[n];
    double[] weight = new double[n];
    int[] first = new int[n];
    int top = -1;
    for (int i = 0; i < n; i++) {
      if (i > 0 && !(x[i] > x[i - 1])) {
        throw new IllegalArgumentException("x must be strictly increasing");
      }
      top++;
      sum[top] = w[i] * y[i];
      weight[top] = w[i];
      first[top] = i;
      while (top > 0 && sum[top - 1] / weight[top - 1] > sum[top] / weight[top]) {
        sum[top - 1] += sum[top];
        weight[top - 1] += weight[top];
        top--;
      }
    }
    List<double[]> knots = new ArrayList<>();
    for (int b = 0; b <= top; b++) {
      double v = sum[b] / weight[b];
      int last = b < top ? first[b + 1] - 1 : n - 1;
      knots.add(new double[] {x[first[b]], v});
      if (last != first[b]) {
        knots.add(new double[] {x[last], v});
      }
    }
    return new Isotonic(
        knots.stream().mapToDouble(k -> k[0]).toArray(),
        knots.stream().mapToDouble(k -> k[1]).toArray());
  }

  /** The fitted value at {@code v}: linear between knots, the end value outside them. */
  public double apply(double v) {
    if (v <= x[0]) {
      return y[0];
    }
    int last = x.length - 1;
    if (v >= x[last]) {
      return y[last];
    }
    // a row's score is looked up once per calibrated row and slice: start from the knot index of
    // the value's cell of [0, 1] (every knot before it is below the value) rather than a binary
    // search over all knots; then the few knots of the cell, in order
    int i = v < 0 ? 0 : v >= 1 ? cell[CELLS - 1] : cell[(int) (v * CELLS)];
    while (x[i] < v) {
      i++;
    }
    if (x[i] == v) {
      return y[i];
    }
    int lo = i - 1; // x[lo] < v < x[i]
    return y[lo] + (y[i] - y[lo]) * (v - x[lo]) / (x[i] - x[lo]);
  }

  public double[] x() {
    return x.clone();
  }

  public double[] y() {
    return y.clone();
  }
}
