package io.lakeloop.monitoring.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A slice state holds only the bins its rows use until it is a quarter full, and travels the
 * shuffle as its non-zero entries: filled, read back, merged and viewed it must show exactly the
 * sums a plain dense accumulation of the same rows gives, and a small window must cost a small
 * fraction of the dense size.
 */
class SliceStateTest {
  private static final int PARTIALS = 6;
  private static final int[] SLOTS = {0, -1, 1, 2, -1, 3};
  private static final int REPLICATES = 20;
  private static final int HISTOGRAMS = 2;
  private static final int FINE = 1000;
  private static final int COARSE = 50;
  private static final int ESTIMATED = 1;

  private static SliceState state() {
    return new SliceState(SLOTS, REPLICATES, HISTOGRAMS, FINE, COARSE, ESTIMATED);
  }

  /** Adds {@code rows} random rows (seeded) into {@code s}: sparse partials, weights, bins. */
  private static SliceState fill(SliceState s, long seed, int rows) {
    return fill(s, seed, rows, null);
  }

  /** The same rows summed naively into dense arrays, as the metrics must see them. */
  private static final class Reference {
    final double[][] sums = new double[REPLICATES + 1][PARTIALS];
    final double[][][][] coarse = new double[REPLICATES + 1][HISTOGRAMS][COARSE][2];
    final double[][][] fine = new double[HISTOGRAMS][FINE][2];
    final double[][] estimated = new double[FINE][2];

    void add(double[] x, double[] w, int[] codes, RowScorer.Estimates e) {
      for (int p = 0; p < PARTIALS; p++) {
        sums[0][p] += x[p];
        for (int b = 1; b <= REPLICATES; b++) {
          sums[b][p] += SLOTS[p] >= 0 ? w[b] * x[p] : 0;
        }
      }
      for (int h = 0; h < HISTOGRAMS; h++) {
        if (codes[h] >= 0) {
          int bin = codes[h] >> 1;
          int side = (codes[h] & 1) == 1 ? 0 : 1;
          fine[h][bin][side]++;
          for (int b = 0; b <= REPLICATES; b++) {
            coarse[b][h][bin / (FINE / COARSE)][side] += w[b];
          }
        }
      }
      if (e.bins[0] >= 0) {
        estimated[e.bins[0]][0] += e.positive[0];
        estimated[e.bins[0]][1] += 1 - e.positive[0];
      }
    }

    void assertShownBy(SliceState s) {
      Map<String, Integer> index = index();
      for (int b = 0; b <= REPLICATES; b++) {
        MetricSet.State coarseView = s.view(b, false, index);
        for (int p = 0; p < PARTIALS; p++) {
          double want = b > 0 && SLOTS[p] < 0 ? Double.NaN : sums[b][p];
          assertEquals(want, coarseView.get("p" + p), 1e-9, "replicate " + b + " p" + p);
        }
        for (int h = 0; h < HISTOGRAMS; h++) {
          ScoreHistogram want = new ScoreHistogram();
          for (int bin = 0; bin < COARSE; bin++) {
            double[] c = coarse[b][h][bin];
            if (c[0] != 0 || c[1] != 0) {
              want.add(bin, c[0], c[1]);
            }
          }
          assertHistogram(want, coarseView.histogram(h), "coarse, replicate " + b + " h" + h);
        }
      }
      MetricSet.State fineView = s.view(0, true, index);
      for (int h = 0; h < HISTOGRAMS; h++) {
        assertHistogram(histogram(fine[h]), fineView.histogram(h), "fine h" + h);
      }
      assertHistogram(histogram(estimated), fineView.estimatedHistogram(0), "estimated");
    }

    private static ScoreHistogram histogram(double[][] bins) {
      ScoreHistogram out = new ScoreHistogram();
      for (int bin = 0; bin < bins.length; bin++) {
        if (bins[bin][0] != 0 || bins[bin][1] != 0) {
          out.add(bin, bins[bin][0], bins[bin][1]);
        }
      }
      return out;
    }
  }

  private static SliceState fill(SliceState s, long seed, int rows, Reference reference) {
    Random r = new Random(seed);
    double[] x = new double[PARTIALS];
    int[] nz = new int[PARTIALS];
    double[] w = new double[REPLICATES + 1];
    int[] codes = new int[HISTOGRAMS];
    RowScorer.Estimates e = new RowScorer.Estimates(ESTIMATED);
    for (int i = 0; i < rows; i++) {
      int n = 0;
      for (int p = 0; p < PARTIALS; p++) {
        x[p] = r.nextInt(3) == 0 ? 0 : r.nextGaussian();
        if (x[p] != 0) {
          nz[n++] = p;
        }
      }
      w[0] = 1;
      for (int b = 1; b <= REPLICATES; b++) {
        w[b] = r.nextInt(4); // Poisson-like small counts, zeros included
      }
      for (int h = 0; h < HISTOGRAMS; h++) {
        codes[h] = r.nextInt(10) == 0 ? -1 : 2 * r.nextInt(FINE) + r.nextInt(2);
      }
      e.bins[0] = r.nextInt(5) == 0 ? -1 : r.nextInt(FINE);
      e.positive[0] = r.nextDouble();
      s.add(x, nz, n, w, codes, e);
      if (reference != null) {
        reference.add(x, w, codes, e);
      }
    }
    return s;
  }

  private static byte[] bytes(SliceState s) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(out)) {
      o.writeObject(s);
    }
    return out.toByteArray();
  }

  private static SliceState readBack(SliceState s) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes(s)))) {
      return (SliceState) in.readObject();
    }
  }

  private static Map<String, Integer> index() {
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int p = 0; p < PARTIALS; p++) {
      index.put("p" + p, p);
    }
    return index;
  }

  /** Every value a state shows the metrics: partials, histograms' contents, estimated ones. */
  private static void assertSame(SliceState expected, SliceState actual) {
    Map<String, Integer> index = index();
    for (int b = 0; b <= REPLICATES; b++) {
      for (boolean fine : b == 0 ? new boolean[] {true, false} : new boolean[] {false}) {
        MetricSet.State want = expected.view(b, fine, index);
        MetricSet.State got = actual.view(b, fine, index);
        for (String name : index.keySet()) {
          assertEquals(want.get(name), got.get(name), "replicate " + b + " " + name);
        }
        for (int h = 0; h < HISTOGRAMS; h++) {
          assertHistogram(want.histogram(h), got.histogram(h), "replicate " + b + " h" + h);
        }
        assertHistogram(
            want.estimatedHistogram(0), got.estimatedHistogram(0), "estimated, replicate " + b);
      }
    }
  }

  private static void assertHistogram(ScoreHistogram want, ScoreHistogram got, String what) {
    assertEquals(want.positives(), got.positives(), what + " positives");
    assertEquals(want.negatives(), got.negatives(), what + " negatives");
    assertEquals(want.rocAuc(), got.rocAuc(), what + " roc_auc");
    assertEquals(want.averagePrecision(), got.averagePrecision(), what + " average precision");
    assertEquals(want.rocAucErrorBound(), got.rocAucErrorBound(), what + " bound");
  }

  @Test
  void aStateShowsWhatADenseSumOfItsRowsShows() throws Exception {
    // 20 rows stay sparse, 900 rows turn the fine histograms dense (over a quarter of the bins)
    for (int rows : new int[] {20, 900}) {
      Reference reference = new Reference();
      SliceState s = fill(state(), 11, rows, reference);
      reference.assertShownBy(s);
      reference.assertShownBy(readBack(s));
      // merged: a sparse state into a dense one and the other way round
      Reference both = new Reference();
      SliceState small = fill(state(), 12, 20, both);
      SliceState large = fill(state(), 13, 900, both);
      both.assertShownBy(readBack(small).merge(readBack(large)));
      Reference again = new Reference();
      SliceState first = fill(state(), 13, 900, again);
      fill(first, 14, 5, again);
      again.assertShownBy(first.merge(fill(state(), 12, 20, again)));
    }
  }

  @Test
  void aStateReadBackFromTheShuffleIsTheSameState() throws Exception {
    SliceState dense = fill(state(), 1, 300);
    assertSame(dense, readBack(dense));
    // a packed state written again (a spill of the reduce side's sort) is unchanged too
    assertSame(dense, readBack(readBack(dense)));
  }

  @Test
  void mergingPackedStatesGivesTheDenseMergeExactly() throws Exception {
    SliceState expected = fill(state(), 2, 200).merge(fill(state(), 3, 150));
    expected.merge(fill(state(), 4, 1));
    SliceState actual = readBack(fill(state(), 2, 200)).merge(readBack(fill(state(), 3, 150)));
    actual.merge(readBack(fill(state(), 4, 1)));
    assertSame(expected, actual);
    // and a packed state merged into a dense one
    assertSame(
        fill(state(), 5, 50).merge(fill(state(), 6, 70)),
        fill(state(), 5, 50).merge(readBack(fill(state(), 6, 70))));
  }

  @Test
  void aSmallWindowTravelsAsAFractionOfTheDenseState() throws Exception {
    // dense: 20 x 4 replicate sums, 2 x 1000 x 2 fine longs, 21 x 2 x 50 x 2 coarse and
    // 1000 x 2 estimated doubles, about 82 KB; 5 rows touch at most 10 of the 100 coarse bins
    int denseBytes =
        8 * (PARTIALS + REPLICATES * 4 + HISTOGRAMS * FINE * 2)
            + 8 * ((REPLICATES + 1) * HISTOGRAMS * COARSE * 2 + ESTIMATED * FINE * 2);
    int packedBytes = bytes(fill(state(), 7, 5)).length;
    assertTrue(
        packedBytes < denseBytes / 8, "packed " + packedBytes + " bytes of dense " + denseBytes);
    // and an empty one is only its shape
    assertTrue(bytes(state()).length < 2048, "empty state: " + bytes(state()).length);
  }
}
