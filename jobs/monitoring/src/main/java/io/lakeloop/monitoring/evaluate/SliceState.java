package io.lakeloop.monitoring.evaluate;

import java.io.Serializable;
import java.util.Map;

/**
 * The mergeable state of one window x slice: for the sample itself and every bootstrap replicate,
 * the weighted sums of the metric set's partials; the sample's fine score histograms (the point
 * estimates of the ranking metrics) and every replicate's coarse ones (their intervals). Rows add
 * into it on the executors and partial states merge after the shuffle; the driver never holds one.
 *
 * <p>Size: (R + 1) x partials doubles + classes x fine bins x 2 longs + (R + 1) x classes x coarse
 * bins x 2 longs; about 0.5 MB for a binary model with 100 replicates, 10,000 fine and 200 coarse
 * bins. Counts are longs, so no window x slice overflows.
 */
final class SliceState implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int partials;
  private final int replicates;
  private final int histograms;
  private final int fineBins;
  private final int coarseBins;
  private final int finePerCoarse;
  final double[] sums;
  final long[] fine;
  final long[] coarse;

  SliceState(int partials, int replicates, int histograms, int fineBins, int coarseBins) {
    this.partials = partials;
    this.replicates = replicates;
    this.histograms = histograms;
    this.fineBins = fineBins;
    this.coarseBins = coarseBins;
    this.finePerCoarse = fineBins / coarseBins;
    this.sums = new double[(replicates + 1) * partials];
    this.fine = new long[histograms * fineBins * 2];
    this.coarse = new long[replicates > 0 ? (replicates + 1) * histograms * coarseBins * 2 : 0];
  }

  /**
   * Adds one row: its partial values {@code x} (non-zero at the first {@code nonZero} indices of
   * {@code nz}), its weights ({@code w[0] = 1}, then one per replicate) and per histogram a code
   * {@code 2 * fine bin + (positive ? 1 : 0)}, or -1 when the row is in no histogram.
   */
  void add(double[] x, int[] nz, int nonZero, int[] w, int[] codes) {
    for (int b = 0; b <= replicates; b++) {
      int weight = w[b];
      if (weight == 0) {
        continue;
      }
      int base = b * partials;
      for (int j = 0; j < nonZero; j++) {
        int i = nz[j];
        sums[base + i] += weight * x[i];
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
        int cb = bin / finePerCoarse;
        for (int b = 0; b <= replicates; b++) {
          if (w[b] != 0) {
            coarse[((b * histograms + h) * coarseBins + cb) * 2 + side] += w[b];
          }
        }
      }
    }
  }

  /** Adds another state of the same shape into this one; returns this. */
  SliceState merge(SliceState o) {
    for (int i = 0; i < sums.length; i++) {
      sums[i] += o.sums[i];
    }
    for (int i = 0; i < fine.length; i++) {
      fine[i] += o.fine[i];
    }
    for (int i = 0; i < coarse.length; i++) {
      coarse[i] += o.coarse[i];
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
    int base = b * partials;
    return new MetricSet.State() {
      @Override
      public double get(String name) {
        Integer i = index.get(name);
        if (i == null) {
          throw new IllegalStateException("no partial state named " + name);
        }
        return sums[base + i];
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
            int at = ((b * histograms + h) * coarseBins + bin) * 2;
            if (coarse[at] != 0 || coarse[at + 1] != 0) {
              out.add(bin, coarse[at], coarse[at + 1]);
            }
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
