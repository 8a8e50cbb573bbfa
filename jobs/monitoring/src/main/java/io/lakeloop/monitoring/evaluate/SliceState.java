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
 * <p>Size: partials + R x bootstrapped partials doubles + classes x fine bins x 2 longs + (R + 1) x
 * classes x coarse bins x 2 doubles (+ classes x fine bins x 2 doubles when metrics are estimated);
 * about 0.5 MB for a binary model with 100 replicates, 10,000 fine and 200 coarse bins. Fine counts
 * are longs, so no window x slice overflows; the replicates' coarse counts are doubles, exact below
 * 2^53, so that a row adds its weights without converting them.
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
  final double[] sums;
  final double[] replicateSums;
  final long[] fine;
  final double[] coarse;
  final double[] estimated;

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
    this.fine = new long[histograms * fineBins * 2];
    this.coarse = new double[replicates > 0 ? (replicates + 1) * histograms * coarseBins * 2 : 0];
    this.estimated = new double[estimatedHistograms * fineBins * 2];
  }

  /**
   * Adds one row: its partial values {@code x} (non-zero at the first {@code nonZero} indices of
   * {@code nz}), its weights ({@code w[0] = 1}, then one per replicate) and per histogram a code
   * {@code 2 * fine bin + (positive ? 1 : 0)}, or -1 when the row is in no histogram. Partial
   * values are finite (a zero weight must give a zero term).
   */
  void add(
      double[] x, int[] nz, int nonZero, double[] w, int[] codes, RowScorer.Estimates estimates) {
    if (estimated.length > 0) {
      for (int h = 0; h < estimates.bins.length; h++) {
        int bin = estimates.bins[h];
        if (bin >= 0) {
          double p = estimates.positive[h];
          int at = (h * fineBins + bin) * 2;
          estimated[at] += p;
          estimated[at + 1] += 1 - p;
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
      fine[(h * fineBins + bin) * 2 + side]++;
      if (replicates > 0) {
        int base = ((h * coarseBins + bin / finePerCoarse) * 2 + side) * stride;
        for (int b = 0; b < stride; b++) {
          coarse[base + b] += w[b];
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
    for (int i = 0; i < fine.length; i++) {
      fine[i] += o.fine[i];
    }
    for (int i = 0; i < coarse.length; i++) {
      coarse[i] += o.coarse[i];
    }
    for (int i = 0; i < estimated.length; i++) {
      estimated[i] += o.estimated[i];
    }
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
            int at = (h * fineBins + bin) * 2;
            if (fine[at] != 0 || fine[at + 1] != 0) {
              out.add(bin, fine[at], fine[at + 1]);
            }
          }
        } else {
          for (int bin = 0; bin < coarseBins; bin++) {
            int at = ((h * coarseBins + bin) * 2) * stride + b;
            long positives = (long) coarse[at];
            long negatives = (long) coarse[at + stride];
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
          int at = (h * fineBins + bin) * 2;
          if (estimated[at] != 0 || estimated[at + 1] != 0) {
            out.add(bin, estimated[at], estimated[at + 1]);
          }
        }
        return out;
      }
    };
  }

  int replicates() {
    return replicates;
  }
}
