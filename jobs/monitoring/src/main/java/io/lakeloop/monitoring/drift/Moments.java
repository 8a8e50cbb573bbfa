package io.lakeloop.monitoring.drift;

import java.io.Serializable;
import java.util.Arrays;

/**
 * First and second moments of a few numeric columns over the rows where all of them are finite,
 * kept per chunk: the row count, the sums of {@code y = x - pivot} and the sums of every product
 * {@code y_i * y_j} (i ≤ j, packed row by row). Everything {@link MultivariateDrift} needs for the
 * mean squared PCA reconstruction error of a window is a function of these sums, so windows merge
 * by adding them and no row is kept. The pivots (a baseline quantile per column) keep the products
 * small, so the later subtraction of the mean loses no digits. A baseline keeps many chunks (rows
 * spread by a hash of their values) to measure its own spread; a window keeps one.
 */
public final class Moments implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int columns;
  private final long[] rows; // per chunk
  private final double[] sums; // per chunk: columns sums, then the packed products
  private long incomplete; // rows with a null or non-finite value in one of the columns

  public Moments(int columns, int chunks) {
    this(columns, new long[chunks], new double[chunks * width(columns)], 0);
  }

  Moments(int columns, long[] rows, double[] sums, long incomplete) {
    if (sums.length != rows.length * width(columns)) {
      throw new IllegalArgumentException(
          "moments of "
              + columns
              + " columns and "
              + rows.length
              + " chunks need "
              + rows.length * width(columns)
              + " sums, got "
              + sums.length);
    }
    this.columns = columns;
    this.rows = rows;
    this.sums = sums;
    this.incomplete = incomplete;
  }

  /** Sums a chunk holds: one per column, one per pair (i ≤ j). */
  static int width(int columns) {
    return columns + columns * (columns + 1) / 2;
  }

  /** Adds one complete row, already shifted by the pivots, to a chunk. */
  void add(int chunk, double[] y) {
    int at = chunk * width(columns);
    rows[chunk]++;
    for (int i = 0; i < columns; i++) {
      sums[at + i] += y[i];
    }
    int p = at + columns;
    for (int i = 0; i < columns; i++) {
      double yi = y[i];
      for (int j = i; j < columns; j++) {
        sums[p++] += yi * y[j];
      }
    }
  }

  /** Counts a row left out for a null or non-finite value. */
  void skip() {
    incomplete++;
  }

  /** Adds another set of the same columns and chunks into this one; returns this. */
  Moments merge(Moments o) {
    if (o.columns != columns || o.rows.length != rows.length) {
      throw new IllegalArgumentException("moments of different shapes cannot merge");
    }
    for (int c = 0; c < rows.length; c++) {
      rows[c] += o.rows[c];
    }
    for (int i = 0; i < sums.length; i++) {
      sums[i] += o.sums[i];
    }
    incomplete += o.incomplete;
    return this;
  }

  /** All chunks added together, as one chunk. */
  Moments total() {
    Moments t = new Moments(columns, 1);
    int w = width(columns);
    for (int c = 0; c < rows.length; c++) {
      t.rows[0] += rows[c];
      for (int i = 0; i < w; i++) {
        t.sums[i] += sums[c * w + i];
      }
    }
    t.incomplete = incomplete;
    return t;
  }

  int columns() {
    return columns;
  }

  int chunks() {
    return rows.length;
  }

  /** Complete rows in a chunk. */
  long rows(int chunk) {
    return rows[chunk];
  }

  /** Complete rows in all chunks. */
  long rows() {
    return Arrays.stream(rows).sum();
  }

  long incomplete() {
    return incomplete;
  }

  /** The sum of y_i over a chunk's rows. */
  double sum(int chunk, int i) {
    return sums[chunk * width(columns) + i];
  }

  /** The sum of y_i * y_j over a chunk's rows (either order). */
  double product(int chunk, int i, int j) {
    int a = Math.min(i, j);
    int b = Math.max(i, j);
    // packed rows: row a starts after rows 0..a-1, which hold columns - r entries each
    int offset = a * columns - a * (a - 1) / 2 + (b - a);
    return sums[chunk * width(columns) + columns + offset];
  }

  long[] rowCounts() {
    return rows.clone();
  }

  double[] sums() {
    return sums.clone();
  }

  @Override
  public String toString() {
    return "Moments[" + columns + " columns, " + rows() + " rows, " + rows.length + " chunks]";
  }
}
