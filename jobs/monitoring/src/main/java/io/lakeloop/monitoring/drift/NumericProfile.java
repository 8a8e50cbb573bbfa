package io.lakeloop.monitoring.drift;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The mergeable profile of one numeric column over one window, binned on the baseline's sorted,
 * distinct edges: bin k holds the finite values v with exactly k edges ≤ v, i.e. [e(k-1), e(k)),
 * the outer bins open-ended. Per bin it keeps the count and the sum of the values (the sums make
 * Wasserstein distances exact wherever the two CDFs do not cross inside a bin, see {@link
 * DriftStatistics}). Null and NaN count as null; ±∞ are counted apart (binned into the outer bins
 * for PSI, left out of KS, Wasserstein and the moments). Adding a value is a binary search; the
 * state is (edges + 1) x 16 bytes.
 */
public final class NumericProfile implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double[] edges;
  private long count;
  private long nullCount;
  private long nanCount;
  private long posInfCount;
  private long negInfCount;
  private long finiteCount;
  private double sum;
  private double sumSquares;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private final long[] binCounts;
  private final double[] binSums;

  /** An empty profile on {@code edges} (sorted ascending, distinct; may be empty). */
  public NumericProfile(double[] edges) {
    for (int i = 1; i < edges.length; i++) {
      if (!(edges[i - 1] < edges[i])) {
        throw new IllegalArgumentException(
            "profile edges must be finite, sorted and distinct; got "
                + edges[i - 1]
                + " before "
                + edges[i]);
      }
    }
    this.edges = edges;
    this.binCounts = new long[edges.length + 1];
    this.binSums = new double[edges.length + 1];
  }

  /** A profile from its stored fields (see the accessors). */
  public NumericProfile(
      double[] edges,
      long count,
      long nullCount,
      long nanCount,
      long posInfCount,
      long negInfCount,
      long finiteCount,
      double sum,
      double sumSquares,
      double min,
      double max,
      long[] binCounts,
      double[] binSums) {
    this(edges);
    if (binCounts.length != edges.length + 1 || binSums.length != edges.length + 1) {
      throw new IllegalArgumentException(
          "a profile on "
              + edges.length
              + " edges has "
              + (edges.length + 1)
              + " bins; got "
              + binCounts.length
              + " counts and "
              + binSums.length
              + " sums");
    }
    this.count = count;
    this.nullCount = nullCount;
    this.nanCount = nanCount;
    this.posInfCount = posInfCount;
    this.negInfCount = negInfCount;
    this.finiteCount = finiteCount;
    this.sum = sum;
    this.sumSquares = sumSquares;
    this.min = min;
    this.max = max;
    System.arraycopy(binCounts, 0, this.binCounts, 0, binCounts.length);
    System.arraycopy(binSums, 0, this.binSums, 0, binSums.length);
  }

  public void addNull() {
    count++;
    nullCount++;
  }

  public void add(double v) {
    count++;
    if (Double.isNaN(v)) {
      nullCount++;
      nanCount++;
    } else if (v == Double.POSITIVE_INFINITY) {
      posInfCount++;
    } else if (v == Double.NEGATIVE_INFINITY) {
      negInfCount++;
    } else {
      finiteCount++;
      sum += v;
      sumSquares += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      int k = bin(v);
      binCounts[k]++;
      binSums[k] += v;
    }
  }

  /** The bin of a finite value: the number of edges ≤ v. */
  int bin(double v) {
    int lo = 0;
    int hi = edges.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (edges[mid] <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Adds another profile of the same column on the same edges into this one; returns this. */
  public NumericProfile merge(NumericProfile o) {
    if (o.edges != edges && !Arrays.equals(o.edges, edges)) {
      throw new IllegalArgumentException(
          "cannot merge profiles on different edges ("
              + edges.length
              + " vs "
              + o.edges.length
              + " edges): profiles must share the baseline's edges");
    }
    count += o.count;
    nullCount += o.nullCount;
    nanCount += o.nanCount;
    posInfCount += o.posInfCount;
    negInfCount += o.negInfCount;
    finiteCount += o.finiteCount;
    sum += o.sum;
    sumSquares += o.sumSquares;
    min = Math.min(min, o.min);
    max = Math.max(max, o.max);
    for (int i = 0; i < binCounts.length; i++) {
      binCounts[i] += o.binCounts[i];
      binSums[i] += o.binSums[i];
    }
    return this;
  }

  /**
   * Counts on the PSI bins, whose edges are the fine edges at {@code psiIndex} (ascending): one
   * count per PSI bin with -∞ in the first and +∞ in the last, then the null bin.
   */
  public long[] psiCounts(int[] psiIndex) {
    long[] out = new long[psiIndex.length + 2];
    int j = 0;
    for (int k = 0; k < binCounts.length; k++) {
      // fine bin k starts at edge k-1; it is in PSI bin j = the number of PSI edges <= e(k-1)
      while (j < psiIndex.length && psiIndex[j] < k) {
        j++;
      }
      out[j] += binCounts[k];
    }
    out[0] += negInfCount;
    out[psiIndex.length] += posInfCount;
    out[psiIndex.length + 1] = nullCount;
    return out;
  }

  /** Sample standard deviation (ddof = 1) of the finite values; NaN with fewer than two. */
  public double std() {
    if (finiteCount < 2) {
      return Double.NaN;
    }
    double mean = sum / finiteCount;
    double var = (sumSquares - finiteCount * mean * mean) / (finiteCount - 1);
    return Math.sqrt(Math.max(0, var));
  }

  public double mean() {
    return finiteCount == 0 ? Double.NaN : sum / finiteCount;
  }

  public double[] edges() {
    return edges;
  }

  public long count() {
    return count;
  }

  public long nullCount() {
    return nullCount;
  }

  public long nanCount() {
    return nanCount;
  }

  public long posInfCount() {
    return posInfCount;
  }

  public long negInfCount() {
    return negInfCount;
  }

  public long finiteCount() {
    return finiteCount;
  }

  public double sum() {
    return sum;
  }

  public double sumSquares() {
    return sumSquares;
  }

  /** The smallest finite value (+∞ when there is none). */
  public double min() {
    return min;
  }

  /** The largest finite value (-∞ when there is none). */
  public double max() {
    return max;
  }

  public long[] binCounts() {
    return binCounts.clone();
  }

  public double[] binSums() {
    return binSums.clone();
  }

  long binCount(int k) {
    return binCounts[k];
  }

  double binSum(int k) {
    return binSums[k];
  }

  @Override
  public String toString() {
    return "NumericProfile[count="
        + count
        + ", nulls="
        + nullCount
        + ", finite="
        + finiteCount
        + "]";
  }
}
