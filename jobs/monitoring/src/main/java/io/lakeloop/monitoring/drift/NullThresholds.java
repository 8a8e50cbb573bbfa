package io.lakeloop.monitoring.drift;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * Size-aware thresholds ({@code lakeloop.drift.threshold-mode = "size-aware"}): for one column and
 * the row counts of one comparison, each judged statistic's threshold is the (1 − α) quantile of
 * its values over R samples of drift-free data drawn from the baseline's stored histogram — no rows
 * are read. α is {@code false-alarm-rate} and R {@code null-replicates}.
 *
 * <p>The null: both sides of a comparison are samples of the baseline's distribution, of n
 * (reference) and m (current) rows. Their difference then has the covariance of one sample of
 * {@code k = round(nm/(n+m))} rows against the distribution itself (the effective size the
 * two-sample KS test uses too), so each replicate is one multinomial sample of k rows over the
 * baseline's cells — fine bins, ±∞ and null for a numeric column, the category bins for a
 * categorical one — compared with the baseline profile by the same code as real data. Within a fine
 * bin a sampled value stands at the baseline's bin mean (the profiles keep per-bin sums), which
 * leaves out Wasserstein's within-bin part: with the 1,000 quantile bins that is a small share of
 * its noise.
 *
 * <p>The threshold is the smallest value that at most a replicates reach (for {@code chi_square},
 * judged by its p-value, the p-value that at most a replicates fall below). The chance that fresh
 * drift-free data reaches the a-th largest of R replicates is Beta(a+1, R−a)-distributed over the
 * replicates' own noise; a is the largest count whose 90th percentile is within α ({@link
 * #allowedBeyond}), so a statistic's false-alarm rate is within α with 90 % confidence rather than
 * on average (with R = 2,000 and α = 1 %, a = 14: 0.75 % expected). {@code unseen_share} is left
 * out (a sample of the baseline never holds an unseen value): it keeps its fixed threshold.
 *
 * <p>Replicates are seeded by column and k, so a rerun gives the same thresholds; results are
 * cached per (column, k, whether nulls count) for the object's life (one run).
 */
final class NullThresholds {
  private final DriftSettings settings;
  private final Map<Key, Map<String, Double>> cache = new HashMap<>();
  private final int beyond;

  private record Key(String column, long size, boolean withNulls) {}

  NullThresholds(DriftSettings settings) {
    this.settings = settings;
    this.beyond = allowedBeyond(settings.nullReplicates(), settings.falseAlarmRate());
  }

  /** The one-sample size equivalent to comparing n rows with m rows: nm/(n+m), at least 1. */
  static long effectiveSize(long n, long m) {
    return Math.max(1, Math.round((double) n * m / ((double) n + m)));
  }

  /**
   * The thresholds of a numeric column for a comparison of {@code refRows} with {@code curRows}
   * rows ({@code baseline} already without nulls when null means "not known yet"), by statistic;
   * statistics without a fixed threshold, and those the data cannot define, have none.
   */
  Map<String, Double> numeric(
      String column,
      NumericProfile baseline,
      long refRows,
      long curRows,
      double baselineStd,
      int[] psiIndex) {
    if (baseline.count() == 0 || refRows == 0 || curRows == 0) {
      return Map.of();
    }
    long k = effectiveSize(refRows, curRows);
    return cache.computeIfAbsent(
        new Key(column, k, baseline.nullCount() > 0),
        key -> simulateNumeric(column, baseline, k, baselineStd, psiIndex));
  }

  /** As {@link #numeric} for a categorical column on the bins {@code kept}. */
  Map<String, Double> categorical(
      String column, CategoricalProfile baseline, List<String> kept, long refRows, long curRows) {
    if (baseline.count() == 0 || refRows == 0 || curRows == 0) {
      return Map.of();
    }
    long k = effectiveSize(refRows, curRows);
    return cache.computeIfAbsent(
        new Key(column, k, baseline.nullCount() > 0),
        key -> simulateCategorical(column, baseline, kept, k));
  }

  private boolean judged(String statistic) {
    return settings.threshold(statistic) != null && !statistic.equals(DriftSettings.UNSEEN_SHARE);
  }

  private Map<String, Double> simulateNumeric(
      String column, NumericProfile base, long k, double std, int[] psiIndex) {
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
    Sampler sampler = new Sampler(cells, seed(column, k));
    boolean hasBins = edges.length > 0;
    boolean finite = base.finiteCount() > 0;
    double[] b = hasBins ? DriftStatistics.shares(base.psiCounts(psiIndex), base.count()) : null;
    double bNull = (double) base.nullCount() / base.count();
    boolean norm = std > 0 && Double.isFinite(std);
    Map<String, double[]> values = new LinkedHashMap<>();
    for (String name :
        List.of(
            "psi", "js_distance", "ks", "wasserstein", "wasserstein_norm", "null_rate_change")) {
      boolean defined =
          switch (name) {
            case "psi", "js_distance" -> hasBins;
            case "ks", "wasserstein" -> hasBins && finite;
            case "wasserstein_norm" -> hasBins && finite && norm;
            default -> true;
          };
      if (defined && judged(name)) {
        values.put(name, new double[replicates]);
      }
    }
    if (values.isEmpty()) {
      return Map.of();
    }
    double[] binSums = new double[bins];
    for (int r = 0; r < replicates; r++) {
      long[] s = sampler.draw(k);
      long[] binCounts = Arrays.copyOf(s, bins);
      long sampleFinite = 0;
      double sum = 0;
      for (int i = 0; i < bins; i++) {
        binSums[i] = binCounts[i] * means[i];
        sampleFinite += binCounts[i];
        sum += binSums[i];
      }
      NumericProfile sample =
          new NumericProfile(
              edges,
              k,
              s[bins + 2],
              0,
              s[bins + 1],
              s[bins],
              sampleFinite,
              sum,
              0,
              sampleFinite == 0 ? Double.POSITIVE_INFINITY : base.min(),
              sampleFinite == 0 ? Double.NEGATIVE_INFINITY : base.max(),
              binCounts,
              binSums);
      double[] c = hasBins ? DriftStatistics.shares(sample.psiCounts(psiIndex), k) : null;
      boolean comparable = sampleFinite > 0;
      double w = Double.NaN;
      if (comparable
          && (values.containsKey("wasserstein") || values.containsKey("wasserstein_norm"))) {
        w = DriftStatistics.wasserstein(base, sample, false)[0];
      }
      for (Map.Entry<String, double[]> e : values.entrySet()) {
        e.getValue()[r] =
            switch (e.getKey()) {
              case "psi" -> DriftStatistics.psi(b, c);
              case "js_distance" -> DriftStatistics.jsDistance(b, c);
                // a sample without finite values has no KS or Wasserstein row: it cannot drift
              case "ks" -> comparable ? DriftStatistics.ks(base, sample)[0] : 0;
              case "wasserstein" -> comparable ? w : 0;
              case "wasserstein_norm" -> comparable ? w / std : 0;
              default -> Math.abs((double) s[bins + 2] / k - bNull);
            };
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    values.forEach((name, v) -> out.put(name, upperQuantile(v)));
    return out;
  }

  private Map<String, Double> simulateCategorical(
      String column, CategoricalProfile base, List<String> kept, long k) {
    int replicates = settings.nullReplicates();
    long[] cells = DriftStatistics.categoryCounts(base, kept);
    Sampler sampler = new Sampler(cells, seed(column, k));
    double[] b = DriftStatistics.shares(cells, base.count());
    int nullCell = cells.length - 1;
    double bNull = b[nullCell];
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
    for (int r = 0; r < replicates; r++) {
      long[] s = sampler.draw(k);
      double[] c = DriftStatistics.shares(s, k);
      double linf = 0;
      double l1 = 0;
      for (int i = 0; i < b.length; i++) {
        double d = Math.abs(b[i] - c[i]);
        linf = Math.max(linf, d);
        l1 += d;
      }
      for (Map.Entry<String, double[]> e : values.entrySet()) {
        e.getValue()[r] =
            switch (e.getKey()) {
              case "psi" -> DriftStatistics.psi(b, c);
              case "js_distance" -> DriftStatistics.jsDistance(b, c);
              case "chi_square" -> DriftStatistics.chiSquare(cells, s)[1];
              case "linf" -> linf;
              case "total_variation" -> 0.5 * l1;
              default -> Math.abs(c[nullCell] - bNull);
            };
      }
    }
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
   * A seed per column and size, mixed (SplittableRandom's sequences of seeds that differ by its own
   * increment overlap, so column hashes must not just be scaled by it).
   */
  private static long seed(String column, long k) {
    long z = column.hashCode() * 0xBF58476D1CE4E5B9L + k * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Multinomial samples over fixed cell weights. Few rows: each row's cell by a binary search of
   * the cumulative shares (exact). Many: cell by cell, each count binomial given the rows left —
   * exact by waiting times while the expected count is under 25, else the normal approximation
   * (rounded, kept in range), whose error there is far below the replicates' own noise.
   */
  static final class Sampler {
    private final double[] cumulative;
    private final double[] shares;
    private final SplittableRandom rng;

    Sampler(long[] counts, long seed) {
      long total = 0;
      for (long c : counts) {
        total += c;
      }
      shares = new double[counts.length];
      cumulative = new double[counts.length];
      double acc = 0;
      for (int i = 0; i < counts.length; i++) {
        shares[i] = (double) counts[i] / total;
        acc += shares[i];
        cumulative[i] = acc;
      }
      rng = new SplittableRandom(seed);
    }

    long[] draw(long rows) {
      long[] out = new long[shares.length];
      if (rows <= 8L * shares.length) {
        int last = lastNonEmpty();
        for (long i = 0; i < rows; i++) {
          double u = rng.nextDouble() * cumulative[last];
          int lo = 0;
          int hi = last;
          while (lo < hi) { // the first cell whose cumulative share exceeds u
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) {
              hi = mid;
            } else {
              lo = mid + 1;
            }
          }
          out[lo]++;
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

    private int lastNonEmpty() {
      int last = shares.length - 1;
      while (last > 0 && shares[last] == 0) {
        last--;
      }
      return last;
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
        // waiting times: the gaps between successes are geometric
        double logMiss = Math.log1p(-q);
        long successes = 0;
        long position = 0;
        while (true) {
          position += (long) Math.floor(Math.log(1 - rng.nextDouble()) / logMiss) + 1;
          if (position > n) {
            return successes;
          }
          successes++;
        }
      }
      double x = Math.rint(mean + Math.sqrt(mean * (1 - q)) * rng.nextGaussian());
      return (long) Math.max(0, Math.min(n, x));
    }
  }
}
