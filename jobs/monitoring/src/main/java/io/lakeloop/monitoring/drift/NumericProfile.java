package io.lakeloop.monitoring.drift;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The mergeable profile of one numeric column over one window, binned on the baseline's sorted,
 * distinct, finite edges: bin k holds the finite values v with exactly k edges ≤ v, i.e. [e(k-1),
 * e(k)), the outer bins open-ended (NumPy's {@code searchsorted(edges, v, side='right')}). Per bin
 * it keeps the count and the sum of the values; the sums make Wasserstein distances exact wherever
 * the two CDFs do not cross inside a bin (see {@link DriftStatistics}). Null and NaN count as null;
 * ±∞ are counted apart (binned into the outer bins for PSI, left out of KS, Wasserstein and the
 * moments).
 *
 * <p>Cost: adding a value is an {@link EdgeIndex} lookup (a few comparisons), no allocation;
 * merging is one pass over the bins; the state is about 16 bytes per bin. Profiles on the same
 * edges may share one edges array (it is not copied and must not be changed). Merging is exact for
 * the counts; the double sums add in merge order, so a different order may change their last bits.
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

  /** Finds bins fast; shared by the profiles of one column, built on first use otherwise. */
  private transient EdgeIndex index;

  /** An empty profile on {@code edges} (finite, sorted ascending, distinct; may be empty). */
  public NumericProfile(double[] edges) {
    for (int i = 0; i < edges.length; i++) {
      if (!Double.isFinite(edges[i])) {
        throw new IllegalArgumentException(
            "profile edges must be finite, sorted and distinct; edge " + i + " is " + edges[i]);
      }
      if (i > 0 && !(edges[i - 1] < edges[i])) {
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

  /** An empty profile on the index's edges, binning through that (shared) index. */
  NumericProfile(EdgeIndex index) {
    this(index.edges());
    this.index = index;
  }

  /**
   * A profile from its stored fields (see the accessors), e.g. read back from a table row. The
   * counts must add up: {@code count = nullCount + posInfCount + negInfCount + finiteCount}, {@code
   * finiteCount} = the sum of {@code binCounts}, {@code nanCount ≤ nullCount}; the arrays are
   * copied.
   *
   * @throws IllegalArgumentException naming the field that does not fit
   */
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
    long binned = 0;
    for (long c : binCounts) {
      binned += c;
      if (c < 0) {
        throw new IllegalArgumentException("profile bin counts must be ≥ 0; got " + c);
      }
    }
    if (nullCount < 0
        || nanCount < 0
        || posInfCount < 0
        || negInfCount < 0
        || nanCount > nullCount
        || finiteCount != binned
        || count != nullCount + posInfCount + negInfCount + finiteCount) {
      throw new IllegalArgumentException(
          "inconsistent profile counts: count="
              + count
              + " must be nullCount="
              + nullCount
              + " + posInfCount="
              + posInfCount
              + " + negInfCount="
              + negInfCount
              + " + finiteCount="
              + finiteCount
              + ", finiteCount must be the sum of the bin counts ("
              + binned
              + ") and 0 ≤ nanCount="
              + nanCount
              + " ≤ nullCount");
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

  /** Counts one null row. */
  public void addNull() {
    count++;
    nullCount++;
  }

  /** Counts one row whose value may be null (the boxed path, for callers that have a Double). */
  public void add(Double v) {
    if (v == null) {
      addNull();
    } else {
      add(v.doubleValue());
    }
  }

  /** Counts one row: NaN as null, ±∞ apart, a finite value into its bin. No allocation. */
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
    if (index == null) {
      index = EdgeIndex.of(edges);
    }
    return index.bin(v);
  }

  /**
   * Adds another profile of the same column on the same edges into this one; returns this.
   *
   * @throws IllegalArgumentException when the edges differ (the message names the first
   *     difference): profiles of one column must all be binned on the baseline's edges
   */
  public NumericProfile merge(NumericProfile o) {
    if (o.edges != edges && !Arrays.equals(o.edges, edges)) {
      int i = Arrays.mismatch(edges, o.edges);
      throw new IllegalArgumentException(
          "cannot merge profiles on different edges: "
              + (i >= edges.length || i >= o.edges.length
                  ? edges.length + " vs " + o.edges.length + " edges"
                  : "edge " + i + " is " + edges[i] + " vs " + o.edges[i])
              + "; profiles of one column must share the baseline's edges");
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
   * Counts on the PSI bins, whose edges are the fine edges at {@code psiIndex} (strictly ascending
   * indexes into {@link #edges()}): one count per PSI bin with -∞ in the first and +∞ in the last,
   * then the null bin; psiIndex.length + 2 counts that add up to {@link #count()}.
   */
  public long[] psiCounts(int[] psiIndex) {
    for (int j = 0; j < psiIndex.length; j++) {
      if (psiIndex[j] < 0
          || psiIndex[j] >= edges.length
          || (j > 0 && psiIndex[j] <= psiIndex[j - 1])) {
        throw new IllegalArgumentException(
            "PSI edge indexes must be strictly ascending indexes into the "
                + edges.length
                + " fine edges; got "
                + Arrays.toString(psiIndex));
      }
    }
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

  /** A copy without the null rows (for columns where null means "not known yet"). */
  public NumericProfile withoutNulls() {
    return new NumericProfile(
        edges,
        count - nullCount,
        0,
        0,
        posInfCount,
        negInfCount,
        finiteCount,
        sum,
        sumSquares,
        min,
        max,
        binCounts,
        binSums);
  }

  /**
   * Sample standard deviation (ddof = 1) of the finite values; NaN with fewer than two, exactly 0
   * when they are all equal. From the sum of squares, so its relative error grows like
   * ε·(mean/std)²: fine for 1e-9 unless |mean| exceeds std by 10³ or more.
   */
  public double std() {
    if (finiteCount < 2) {
      return Double.NaN;
    }
    if (min == max) {
      // a constant column: the cancellation below could leave a tiny positive variance, and a
      // spurious std of 1e-9 would blow wasserstein_norm up instead of omitting it
      return 0;
    }
    double mean = sum / finiteCount;
    double var = (sumSquares - finiteCount * mean * mean) / (finiteCount - 1);
    return Math.sqrt(Math.max(0, var));
  }

  /** Mean of the finite values; NaN without any. */
  public double mean() {
    return finiteCount == 0 ? Double.NaN : sum / finiteCount;
  }

  /** The edges the profile is binned on (shared, not a copy: do not change it). */
  public double[] edges() {
    return edges;
  }

  public long count() {
    return count;
  }

  /** Null and NaN rows. */
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

  /** Finite values: n, the sample size of KS, Wasserstein and the moments. */
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

  /** Finite values per bin (a copy; edges.length + 1 entries). */
  public long[] binCounts() {
    return binCounts.clone();
  }

  /** Sum of the finite values per bin (a copy; edges.length + 1 entries). */
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
