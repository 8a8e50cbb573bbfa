package io.lakeloop.monitoring.drift;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * Size-aware thresholds ({@code lakeloop.drift.threshold-mode = "size-aware"}): for one column and
 * the row counts of one comparison, each judged statistic's threshold is the (1 − α) quantile of
 * its values over R comparisons of drift-free data drawn from the baseline's stored histogram — no
 * rows are read. α is {@code false-alarm-rate} and R {@code null-replicates}.
 *
 * <p>The null: both sides of a comparison are samples of one unknown distribution, which the
 * baseline (N rows) only estimates. Each replicate first draws a stand-in for that distribution — a
 * multinomial sample of N rows over the baseline's cells (fine bins, ±∞ and null for a numeric
 * column, the category bins for a categorical one), so the baseline's own sampling error is in the
 * null too — then a current side of m rows from it, and compares it, by the same code as real data,
 * with the baseline itself for a BASELINE comparison (the same reference real windows meet, so
 * discrete statistics fall on the same lattice of values) or with a reference of n rows drawn from
 * the same stand-in for a CONSECUTIVE one. Every statistic (chi-square's two-sample statistic
 * included) thus sees its own null at the comparison's sizes. Within a fine bin a sampled value
 * stands at the baseline's bin mean (the profiles keep per-bin sums), which leaves out
 * Wasserstein's within-bin part: with the 1,000 quantile bins that is a small share of its noise.
 * For one fixed baseline the rate can still differ from α: when the window is as large as the
 * baseline or larger, the baseline's own error is a large part of every comparison
 * (bench/RESULTS.md measures both).
 *
 * <p>The threshold is the smallest value that at most a replicates reach (for {@code chi_square},
 * judged by its p-value, the p-value that at most a replicates fall below). The chance that fresh
 * drift-free data reaches the a-th largest of R replicates is Beta(a+1, R−a)-distributed over the
 * replicates' own noise; a is the largest count whose 90th percentile is within α ({@link
 * #allowedBeyond}), so a statistic's false-alarm rate is within α with 90 % confidence rather than
 * on average (with R = 2,000 and α = 1 %, a = 13: 0.7 % expected). {@code unseen_share} is left out
 * (a sample of the baseline never holds an unseen value): it keeps its fixed threshold.
 *
 * <p>Row counts above {@value #EXACT_ROWS} are simulated on a grid 10 % apart ({@link #onGrid}) and
 * carried to their own sizes by the statistics' large-sample laws ({@link #scaled}). Replicates are
 * seeded by column and sizes, so a rerun gives the same thresholds; results are cached per (column,
 * sizes, comparison kind, whether nulls count) for the object's life (one run).
 */
final class NullThresholds {
  private final DriftSettings settings;
  private final Map<Key, Map<String, Double>> cache = new HashMap<>();
  private final int beyond;

  private record Key(
      String column, long refRows, long curRows, boolean againstBaseline, boolean withNulls) {}

  NullThresholds(DriftSettings settings) {
    this.settings = settings;
    this.beyond = allowedBeyond(settings.nullReplicates(), settings.falseAlarmRate());
  }

  /**
   * The thresholds of a numeric column for a comparison of {@code refRows} with {@code curRows}
   * rows ({@code baseline} already without nulls when null means "not known yet"), by statistic;
   * statistics without a fixed threshold, and those the data cannot define, have none. {@code
   * againstBaseline}: the reference is the baseline profile itself (a BASELINE comparison), not
   * another window.
   */
  Map<String, Double> numeric(
      String column,
      NumericProfile baseline,
      long refRows,
      long curRows,
      boolean againstBaseline,
      double baselineStd,
      int[] psiIndex) {
    if (baseline.count() == 0 || refRows == 0 || curRows == 0) {
      return Map.of();
    }
    Key key =
        new Key(
            column, onGrid(refRows), onGrid(curRows), againstBaseline, baseline.nullCount() > 0);
    return scaled(
        cache.computeIfAbsent(key, k -> simulateNumeric(k, baseline, baselineStd, psiIndex)),
        key,
        refRows,
        curRows,
        baseline.count());
  }

  /** As {@link #numeric} for a categorical column on the bins {@code kept}. */
  Map<String, Double> categorical(
      String column,
      CategoricalProfile baseline,
      List<String> kept,
      long refRows,
      long curRows,
      boolean againstBaseline) {
    if (baseline.count() == 0 || refRows == 0 || curRows == 0) {
      return Map.of();
    }
    Key key =
        new Key(
            column, onGrid(refRows), onGrid(curRows), againstBaseline, baseline.nullCount() > 0);
    return scaled(
        cache.computeIfAbsent(key, k -> simulateCategorical(k, baseline, kept)),
        key,
        refRows,
        curRows,
        baseline.count());
  }

  /** Replicates run in this many chunks, each with its own random stream, on the common pool. */
  private static final int CHUNKS = 16;

  /** One replicate r, drawing from the baseline's cells with a chunk's random stream. */
  private interface Replicate {
    void run(int r, Sampler baseline);
  }

  /**
   * Runs the replicates in {@link #CHUNKS} fixed chunks in parallel; the chunks' streams are split
   * from one seeded by the key, in order, so the result does not depend on the cores or the
   * schedule. Each replicate writes only its own index.
   */
  private void forEachReplicate(Key key, long[] cells, Replicate body) {
    int replicates = settings.nullReplicates();
    SplittableRandom root = new SplittableRandom(seed(key));
    SplittableRandom[] streams = new SplittableRandom[CHUNKS];
    for (int c = 0; c < CHUNKS; c++) {
      streams[c] = root.split();
    }
    IntStream.range(0, CHUNKS)
        .parallel()
        .forEach(
            c -> {
              Sampler baseline = new Sampler(cells, streams[c]);
              for (int r = c * replicates / CHUNKS; r < (c + 1) * replicates / CHUNKS; r++) {
                body.run(r, baseline);
              }
            });
  }

  /**
   * One replicate's drawn sides, {reference (unused against the baseline), current}: samples of the
   * key's row counts from a stand-in of {@code population} rows drawn from the baseline's cells.
   * When the rows to draw are few for the cells, the stand-in is never drawn whole, only the rows
   * the sides pick of it ({@link Sampler#throughStandIn}, the same law).
   */
  private static long[][] sides(Key key, Sampler baseline, long population) {
    long reference = key.againstBaseline ? 0 : key.refRows;
    if (baseline.rowByRow(reference + key.curRows)) {
      return baseline.throughStandIn(population, reference, key.curRows);
    }
    Sampler truth = baseline.derived(baseline.draw(population));
    return new long[][] {
      key.againstBaseline ? null : truth.draw(key.refRows), truth.draw(key.curRows)
    };
  }

  /**
   * Row counts up to this are simulated as they are; larger ones on the {@link #onGrid} grid. Not
   * lower: a statistic over few rows takes few distinct values (a null share over 1,000 rows moves
   * in steps of 0.001), and a threshold simulated at 1,003 rows falls between the steps real
   * 1,000-row windows take, which measurably raised the false-alarm rate.
   */
  static final long EXACT_ROWS = 10_000;

  /**
   * A row count as the thresholds are simulated at: itself up to {@link #EXACT_ROWS}, else the
   * nearest of a geometric grid 10 % apart, so the days of a backfill, whose sizes differ by a few
   * per cent, share one set instead of each costing one; {@link #scaled} carries a set from the
   * grid to the exact sizes.
   */
  static long onGrid(long rows) {
    if (rows <= EXACT_ROWS) {
      return rows;
    }
    double step = Math.log(1.1);
    return Math.round(Math.exp(Math.rint(Math.log(rows) / step) * step));
  }

  /**
   * A set simulated at the key's grid sizes, carried to the comparison's own: at these sizes (over
   * 10,000 rows on a side) a drift-free statistic's spread follows its large-sample law, the
   * variance of a share's difference between the sides — 1/m + 1/N against a baseline of N rows (a
   * window of m is compared with the baseline itself), 1/n + 1/m between two windows — to the power
   * 1 for PSI (chi-square-like), ½ for distances, 0 for a p-value. Within a grid step (±5 % rows)
   * the law moves a threshold by at most about 2.5 %.
   */
  private static Map<String, Double> scaled(
      Map<String, Double> set, Key key, long refRows, long curRows, long population) {
    if (set.isEmpty() || (key.refRows == refRows && key.curRows == curRows)) {
      return set;
    }
    double ratio =
        key.againstBaseline
            ? (1.0 / curRows + 1.0 / population) / (1.0 / key.curRows + 1.0 / population)
            : (1.0 / refRows + 1.0 / curRows) / (1.0 / key.refRows + 1.0 / key.curRows);
    Map<String, Double> out = new LinkedHashMap<>();
    set.forEach(
        (name, value) ->
            out.put(
                name,
                name.equals("psi")
                    ? value * ratio
                    : DriftSettings.BY_P_VALUE.contains(name) ? value : value * Math.sqrt(ratio)));
    return out;
  }

  private boolean judged(String statistic) {
    return settings.threshold(statistic) != null && !statistic.equals(DriftSettings.UNSEEN_SHARE);
  }

  private Map<String, Double> simulateNumeric(
      Key key, NumericProfile base, double std, int[] psiIndex) {
    int replicates = settings.nullReplicates();
    double[] edges = base.edges();
    int bins = edges.length + 1;
    // cells: the fine bins, then -∞, +∞, null
    long[] cells = new long[bins + 3];
    double[] means = new double[bins];
    for (int i = 0; i < bins; i++) {
      cells[i] = base.binCount(i);
      means[i] = cells[i] == 0 ? 0 : base.binSum(i) / cells[i];
    }
    cells[bins] = base.negInfCount();
    cells[bins + 1] = base.posInfCount();
    cells[bins + 2] = base.nullCount();
    boolean hasBins = edges.length > 0;
    boolean norm = std > 0 && Double.isFinite(std);
    Map<String, double[]> values = new LinkedHashMap<>();
    for (String name :
        List.of(
            "psi", "js_distance", "ks", "wasserstein", "wasserstein_norm", "null_rate_change")) {
      boolean defined =
          switch (name) {
            case "psi", "js_distance", "ks", "wasserstein" -> hasBins;
            case "wasserstein_norm" -> hasBins && norm;
            default -> true;
          };
      if (defined && judged(name)) {
        values.put(name, new double[replicates]);
      }
    }
    if (values.isEmpty()) {
      return Map.of();
    }
    double[] basePsi =
        hasBins ? DriftStatistics.shares(base.psiCounts(psiIndex), base.count()) : null;
    forEachReplicate(
        key,
        cells,
        (r, baseline) -> {
          long[][] sides = sides(key, baseline, base.count());
          NumericProfile ref = key.againstBaseline ? base : sample(sides[0], edges, means, base);
          NumericProfile cur = sample(sides[1], edges, means, base);
          double[] b =
              key.againstBaseline || !hasBins
                  ? basePsi
                  : DriftStatistics.shares(ref.psiCounts(psiIndex), ref.count());
          double[] c =
              hasBins ? DriftStatistics.shares(cur.psiCounts(psiIndex), cur.count()) : null;
          // a side without finite values has no KS or Wasserstein row: it cannot drift on them
          boolean comparable = ref.finiteCount() > 0 && cur.finiteCount() > 0;
          double w = Double.NaN;
          if (comparable
              && (values.containsKey("wasserstein") || values.containsKey("wasserstein_norm"))) {
            w = DriftStatistics.wasserstein(ref, cur, false)[0];
          }
          for (Map.Entry<String, double[]> e : values.entrySet()) {
            e.getValue()[r] =
                switch (e.getKey()) {
                  case "psi" -> DriftStatistics.psi(b, c);
                  case "js_distance" -> DriftStatistics.jsDistance(b, c);
                  case "ks" -> comparable ? DriftStatistics.ksGrid(ref, cur) : 0;
                  case "wasserstein" -> comparable ? w : 0;
                  case "wasserstein_norm" -> comparable ? w / std : 0;
                  default ->
                      Math.abs(
                          (double) cur.nullCount() / cur.count()
                              - (double) ref.nullCount() / ref.count());
                };
          }
        });
    Map<String, Double> out = new LinkedHashMap<>();
    values.forEach((name, v) -> out.put(name, upperQuantile(v)));
    return out;
  }

  /** A profile of sampled cell counts, each finite value at its bin's baseline mean. */
  private static NumericProfile sample(
      long[] s, double[] edges, double[] means, NumericProfile base) {
    int bins = edges.length + 1;
    long[] binCounts = Arrays.copyOf(s, bins);
    double[] binSums = new double[bins];
    long finite = 0;
    double sum = 0;
    for (int i = 0; i < bins; i++) {
      binSums[i] = binCounts[i] * means[i];
      finite += binCounts[i];
      sum += binSums[i];
    }
    long rows = 0;
    for (long x : s) {
      rows += x;
    }
    return new NumericProfile(
        edges,
        rows,
        s[bins + 2],
        0,
        s[bins + 1],
        s[bins],
        finite,
        sum,
        0,
        finite == 0 ? Double.POSITIVE_INFINITY : base.min(),
        finite == 0 ? Double.NEGATIVE_INFINITY : base.max(),
        binCounts,
        binSums);
  }

  private Map<String, Double> simulateCategorical(
      Key key, CategoricalProfile base, List<String> kept) {
    int replicates = settings.nullReplicates();
    long[] cells = DriftStatistics.categoryCounts(base, kept);
    int nullCell = cells.length - 1;
    Map<String, double[]> values = new LinkedHashMap<>();
    for (String name :
        List.of(
            "psi", "js_distance", "chi_square", "linf", "total_variation", "null_rate_change")) {
      if (judged(name)) {
        values.put(name, new double[replicates]);
      }
    }
    if (values.isEmpty()) {
      return Map.of();
    }
    forEachReplicate(
        key,
        cells,
        (r, baseline) -> {
          long[][] sides = sides(key, baseline, base.count());
          long[] rs = key.againstBaseline ? cells : sides[0];
          long[] cs = sides[1];
          double[] b = DriftStatistics.shares(rs, key.refRows);
          double[] c = DriftStatistics.shares(cs, key.curRows);
          double[] distances = DriftStatistics.linfAndTotalVariation(b, c);
          for (Map.Entry<String, double[]> e : values.entrySet()) {
            e.getValue()[r] =
                switch (e.getKey()) {
                  case "psi" -> DriftStatistics.psi(b, c);
                  case "js_distance" -> DriftStatistics.jsDistance(b, c);
                  case "chi_square" -> DriftStatistics.chiSquare(rs, cs)[1];
                  case "linf" -> distances[0];
                  case "total_variation" -> distances[1];
                  default -> Math.abs(c[nullCell] - b[nullCell]);
                };
          }
        });
    Map<String, Double> out = new LinkedHashMap<>();
    values.forEach(
        (name, v) ->
            out.put(
                name,
                DriftSettings.BY_P_VALUE.contains(name) ? lowerQuantile(v) : upperQuantile(v)));
    return out;
  }

  /**
   * The replicates a threshold may leave beyond it: the largest a whose exceedance chance,
   * Beta(a+1, R−a), has its 90th percentile within {@code alpha}; −1 when even a = 0 does not.
   */
  static int allowedBeyond(int replicates, double alpha) {
    int a = -1;
    while (a + 1 < replicates
        && new BetaDistribution(a + 2, replicates - a - 1).inverseCumulativeProbability(0.9)
            <= alpha) {
      a++;
    }
    return a;
  }

  /** The fewest replicates that leave at least 5 beyond the threshold at rate {@code alpha}. */
  static int replicatesNeeded(double alpha) {
    int r = (int) Math.ceil(5 / alpha);
    while (allowedBeyond(r, alpha) < 5) {
      r += Math.max(1, r / 20);
    }
    return r;
  }

  /** The smallest value that at most a of {@code v} reach (a value drifts when ≥ it). */
  private double upperQuantile(double[] v) {
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    return Math.nextUp(sorted[sorted.length - beyond - 1]);
  }

  /** The largest p-value that at most a of {@code v} fall below (a p-value drifts when <). */
  private double lowerQuantile(double[] v) {
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    return sorted[beyond];
  }

  /**
   * A seed per column and sizes, mixed (SplittableRandom's sequences of seeds that differ by its
   * own increment overlap, so column hashes must not just be scaled by it).
   */
  private static long seed(Key key) {
    long z =
        key.column.hashCode() * 0xBF58476D1CE4E5B9L
            + key.refRows * 0x94D049BB133111EBL
            + key.curRows * 31
            + (key.againstBaseline ? 1 : 0);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Multinomial samples over fixed cell weights. Up to {@link #ROWS_PER_CELL} rows a cell on
   * average, row by row, each row's cell by Walker's alias method (exact, O(1) a row). More: cell
   * by cell, each count binomial given the rows left — exact by inversion while the expected count
   * is under 25, else the normal approximation (rounded, kept in range), whose error there is far
   * below the replicates' own noise.
   */
  static final class Sampler {
    /** Up to this many rows a cell, drawing row by row is the cheaper (measured). */
    static final int ROWS_PER_CELL = 8;

    private final double[] shares;
    private final SplittableRandom rng;
    private double[] keep; // the alias table, built on first use
    private int[] alias;
    private int[] picked = new int[0]; // cells of the stand-in's rows picked so far

    Sampler(long[] counts, SplittableRandom rng) {
      long total = 0;
      for (long c : counts) {
        total += c;
      }
      shares = new double[counts.length];
      for (int i = 0; i < counts.length; i++) {
        shares[i] = (double) counts[i] / total;
      }
      this.rng = rng;
    }

    /** A sampler over other counts, drawing from this one's random stream. */
    Sampler derived(long[] counts) {
      return new Sampler(counts, rng);
    }

    /** Whether {@code rows} are drawn row by row. */
    boolean rowByRow(long rows) {
      return rows <= (long) ROWS_PER_CELL * shares.length;
    }

    long[] draw(long rows) {
      long[] out = new long[shares.length];
      if (rowByRow(rows)) {
        for (long i = 0; i < rows; i++) {
          out[one()]++;
        }
        return out;
      }
      long left = rows;
      double mass = 1.0;
      for (int i = 0; i < shares.length - 1 && left > 0; i++) {
        double q = mass <= 0 ? 1 : Math.min(1, shares[i] / mass);
        long x = binomial(left, q);
        out[i] = x;
        left -= x;
        mass -= shares[i];
      }
      out[shares.length - 1] += left;
      return out;
    }

    /**
     * Samples of {@code rows[s]} rows each, all drawn with replacement from one stand-in of {@code
     * population} rows that is itself a sample of these cells, without drawing the stand-in whole:
     * a row picks one of the stand-in's rows uniformly — one picked before with chance (picked so
     * far) / population, uniformly among those, keeping its cell; else a new one, whose cell is a
     * fresh draw. That is the law of drawing the stand-in first, at the cost of the rows drawn.
     */
    long[][] throughStandIn(long population, long... rows) {
      long total = 0;
      for (long r : rows) {
        total += r;
      }
      if (picked.length < total) {
        picked = new int[Math.toIntExact(total)];
      }
      long[][] out = new long[rows.length][shares.length];
      int seen = 0;
      for (int s = 0; s < rows.length; s++) {
        long[] counts = out[s];
        for (long i = 0; i < rows[s]; i++) {
          double u = rng.nextDouble() * population;
          int cell;
          if (u < seen) {
            cell = picked[(int) u];
          } else {
            cell = one();
            picked[seen++] = cell;
          }
          counts[cell]++;
        }
      }
      return out;
    }

    /** One row's cell. */
    private int one() {
      if (keep == null) {
        buildAliasTable();
      }
      // one 64-bit draw: the high half picks the slot, the low half decides within it
      long bits = rng.nextLong();
      int i = (int) (((bits >>> 32) * shares.length) >>> 32);
      return (bits & 0xFFFFFFFFL) * 0x1.0p-32 < keep[i] ? i : alias[i];
    }

    /** Vose's construction: cell i keeps share keep[i] of its slot, the rest goes to alias[i]. */
    private void buildAliasTable() {
      int k = shares.length;
      double[] scaled = new double[k];
      int[] small = new int[k];
      int[] large = new int[k];
      int smalls = 0;
      int larges = 0;
      for (int i = 0; i < k; i++) {
        scaled[i] = shares[i] * k;
        if (scaled[i] < 1) {
          small[smalls++] = i;
        } else {
          large[larges++] = i;
        }
      }
      keep = new double[k];
      alias = new int[k];
      while (smalls > 0 && larges > 0) {
        int lo = small[--smalls];
        int hi = large[--larges];
        keep[lo] = scaled[lo];
        alias[lo] = hi;
        scaled[hi] = scaled[hi] + scaled[lo] - 1;
        if (scaled[hi] < 1) {
          small[smalls++] = hi;
        } else {
          large[larges++] = hi;
        }
      }
      // what is left holds 1 up to rounding; an empty cell is never drawn, whatever the rounding
      int top = 0;
      for (int i = 1; i < k; i++) {
        top = shares[i] > shares[top] ? i : top;
      }
      while (larges > 0) {
        keep[large[--larges]] = 1;
      }
      while (smalls > 0) {
        int i = small[--smalls];
        keep[i] = shares[i] > 0 ? 1 : 0;
        alias[i] = top;
      }
    }

    long binomial(long n, double q) {
      if (q <= 0 || n == 0) {
        return 0;
      }
      if (q >= 1) {
        return n;
      }
      if (q > 0.5) {
        return n - binomial(n, 1 - q);
      }
      double mean = n * q;
      if (mean < 25) {
        // inversion: walk the probabilities P(k) from k = 0 (e^-25 at the least, no underflow)
        double ratio = q / (1 - q);
        double p = Math.exp(n * Math.log1p(-q));
        double cdf = p;
        double u = rng.nextDouble();
        long k = 0;
        while (u > cdf && k < n) {
          p *= ratio * (n - k) / (k + 1);
          k++;
          cdf += p;
          if (p < 1e-300) {
            break; // rounding left cdf a hair under u in the far tail
          }
        }
        return k;
      }
      double x = Math.rint(mean + Math.sqrt(mean * (1 - q)) * rng.nextGaussian());
      return (long) Math.max(0, Math.min(n, x));
    }
  }
}
