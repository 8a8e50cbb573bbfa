package io.lakeloop.monitoring.evaluate;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;

/**
 * The mergeable state of one window x slice: the weighted sums of the metric set's partials for the
 * sample itself and, for the partials a headline metric reads, for every bootstrap replicate; the
 * sample's fine score histograms (the point estimates of the ranking metrics) and every replicate's
 * coarse ones (their intervals). Rows add into it on the executors and partial states merge after
 * the shuffle; the driver never holds one.
 *
 * <p>Size: partials + R x bootstrapped partials doubles, and histograms that hold only the bins
 * rows fell into ({@link BlockArray}) until a quarter of them are used: at most classes x fine bins
 * x 2 + (R + 1) x classes x coarse bins x 2 doubles (+ classes x fine bins x 2 when metrics are
 * estimated), about 0.5 MB for a binary model with 100 replicates, 10,000 fine and 200 coarse bins,
 * and a few kilobytes for a window of a few hundred rows. Counts are doubles, exact below 2^53
 * rows, so that a row adds its weights without converting them.
 *
 * <p>Layout: replicate-minor ({@code [partial][replicate]}, {@code
 * [histogram][bin][side][replicate]}) so that adding a row is, per non-zero partial and per
 * histogram, one contiguous loop over the replicates that the JIT vectorizes.
 */
final class SliceState implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] slots;
  private final int replicates;
  private final int histograms;
  private final int fineBins;
  private final int coarseBins;
  private final int finePerCoarse;
  private final int stride;
  private final double[] sums;
  private final double[] replicateSums;
  // per histogram x fine bin: positives, negatives
  private final BlockArray fine;
  // per histogram x coarse bin: positives' then negatives' weights, sample and replicates
  private final BlockArray coarse;
  // per estimated histogram x fine bin: estimated positives, negatives
  private final BlockArray estimated;

  /**
   * @param slots per partial, its index among the partials summed per replicate, or -1
   * @param estimatedHistograms fine histograms of weighted (estimated) positives and negatives, for
   *     the sample only
   */
  SliceState(
      int[] slots,
      int replicates,
      int histograms,
      int fineBins,
      int coarseBins,
      int estimatedHistograms) {
    this.slots = slots;
    this.replicates = replicates;
    this.histograms = histograms;
    this.fineBins = fineBins;
    this.coarseBins = coarseBins;
    this.finePerCoarse = fineBins / coarseBins;
    this.stride = replicates + 1;
    int bootstrapped = (int) Arrays.stream(slots).filter(i -> i >= 0).count();
    this.sums = new double[slots.length];
    this.replicateSums = new double[replicates * bootstrapped];
    this.fine = new BlockArray(histograms * fineBins, 2);
    this.coarse = new BlockArray(replicates > 0 ? histograms * coarseBins : 0, 2 * stride);
    this.estimated = new BlockArray(estimatedHistograms * fineBins, 2);
  }

  /**
   * Adds one row: its partial values {@code x} (non-zero at the first {@code nonZero} indices of
   * {@code nz}), its weights ({@code w[0] = 1}, then one per replicate) and per histogram a code
   * {@code 2 * fine bin + (positive ? 1 : 0)}, or -1 when the row is in no histogram. Partial
   * values are finite (a zero weight must give a zero term).
   */
  void add(
      double[] x, int[] nz, int nonZero, double[] w, int[] codes, RowScorer.Estimates estimates) {
    if (estimated.blocks() > 0) {
      for (int h = 0; h < estimates.bins.length; h++) {
        int bin = estimates.bins[h];
        if (bin >= 0) {
          double p = estimates.positive[h];
          int at = estimated.offset(h * fineBins + bin);
          double[] e = estimated.data();
          e[at] += p;
          e[at + 1] += 1 - p;
        }
      }
    }
    for (int j = 0; j < nonZero; j++) {
      int i = nz[j];
      double xi = x[i];
      sums[i] += xi;
      int slot = slots[i];
      if (slot >= 0) {
        int base = slot * replicates - 1; // replicate b (1..R) at base + b
        for (int b = 1; b <= replicates; b++) {
          replicateSums[base + b] += w[b] * xi;
        }
      }
    }
    for (int h = 0; h < histograms; h++) {
      int code = codes[h];
      if (code < 0) {
        continue;
      }
      int bin = code >> 1;
      int side = (code & 1) == 1 ? 0 : 1; // slot 0 counts positives, slot 1 negatives
      int at = fine.offset(h * fineBins + bin); // before data(): offset may move it
      fine.data()[at + side]++;
      if (replicates > 0) {
        int base = coarse.offset(h * coarseBins + bin / finePerCoarse) + side * stride;
        double[] c = coarse.data();
        for (int b = 0; b < stride; b++) {
          c[base + b] += w[b];
        }
      }
    }
  }

  /** Adds another state of the same shape into this one; returns this. */
  SliceState merge(SliceState o) {
    for (int i = 0; i < sums.length; i++) {
      sums[i] += o.sums[i];
    }
    for (int i = 0; i < replicateSums.length; i++) {
      replicateSums[i] += o.replicateSums[i];
    }
    fine.add(o.fine);
    coarse.add(o.coarse);
    estimated.add(o.estimated);
    return this;
  }

  /**
   * The summed state of replicate {@code b} (0 = the sample) for the metric set; {@code
   * fineHistograms} selects the sample's fine histograms (b = 0 only) over the coarse ones.
   */
  MetricSet.State view(int b, boolean fineHistograms, Map<String, Integer> index) {
    if (fineHistograms && b != 0) {
      throw new IllegalArgumentException("only the sample has fine histograms");
    }
    return new MetricSet.State() {
      @Override
      public double get(String name) {
        Integer i = index.get(name);
        if (i == null) {
          throw new IllegalStateException("no partial state named " + name);
        }
        if (b == 0) {
          return sums[i];
        }
        int slot = slots[i];
        return slot < 0 ? Double.NaN : replicateSums[slot * replicates + b - 1];
      }

      @Override
      public ScoreHistogram histogram(int h) {
        ScoreHistogram out = new ScoreHistogram();
        if (fineHistograms) {
          for (int bin = 0; bin < fineBins; bin++) {
            int i = h * fineBins + bin;
            double positives = fine.get(i, 0);
            double negatives = fine.get(i, 1);
            if (positives != 0 || negatives != 0) {
              out.add(bin, positives, negatives);
            }
          }
        } else {
          for (int bin = 0; bin < coarseBins; bin++) {
            int i = h * coarseBins + bin;
            long positives = (long) coarse.get(i, b);
            long negatives = (long) coarse.get(i, stride + b);
            if (positives != 0 || negatives != 0) {
              out.add(bin, positives, negatives);
            }
          }
        }
        return out;
      }

      @Override
      public ScoreHistogram estimatedHistogram(int h) {
        ScoreHistogram out = new ScoreHistogram();
        if (b != 0 || !fineHistograms) {
          return out;
        }
        for (int bin = 0; bin < fineBins; bin++) {
          int i = h * fineBins + bin;
          double positives = estimated.get(i, 0);
          double negatives = estimated.get(i, 1);
          if (positives != 0 || negatives != 0) {
            out.add(bin, positives, negatives);
          }
        }
        return out;
      }
    };
  }

  /** Bytes held (for the map side's memory bound). */
  long bytes() {
    return 8L * (sums.length + replicateSums.length)
        + fine.bytes()
        + coarse.bytes()
        + estimated.bytes()
        + 64;
  }

  int replicates() {
    return replicates;
  }
}
