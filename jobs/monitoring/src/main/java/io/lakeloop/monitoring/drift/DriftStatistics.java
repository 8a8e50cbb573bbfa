package io.lakeloop.monitoring.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.special.Gamma;

/**
 * Drift statistics of a current profile against a reference profile (the baseline, or the previous
 * window), computed from the two profiles alone: no rows, no Spark, O(bins) time per column. The
 * definitions are those of {@code drift-reference/README.md}, and DriftStatisticsReferenceTest
 * checks them against SciPy on the same data:
 *
 * <ul>
 *   <li>shares are counts over all rows of a side, nulls included; {@code psi} = Σ (c−b)·ln(c/b)
 *       with a zero share replaced by 1e-4 (no renormalisation); {@code js_distance} = √(JS
 *       divergence) in bits, in [0, 1] (SciPy's {@code jensenshannon(b, c, base=2)}). Numeric
 *       columns use the PSI bins plus a null bin (±∞ in the outer bins), categorical ones the kept
 *       values, {@code __other__} and {@code __null__};
 *   <li>{@code ks}: D_grid, the largest gap between the two empirical CDFs of the finite values
 *       just below the fine edges, with the p-value SciPy's {@code ks_2samp} gives for it ({@link
 *       KolmogorovSmirnov}: exact up to 10,000 values a side, else {@code kstwo}); its error bound
 *       covers the exact two-sample statistic (see {@link #ks});
 *   <li>{@code wasserstein} = ∫|F_B − F_C| over the finite values, from the per-bin counts and
 *       sums; exact wherever the CDFs do not cross inside a bin, and never above the exact value:
 *       exact ∈ [value, value + errorBound] (see {@link #wasserstein}). {@code wasserstein_norm}
 *       divides value and bound by the baseline's standard deviation (ddof = 1), passed in by the
 *       caller;
 *   <li>{@code chi_square}: the statistic of {@code chi2_contingency(table, correction=False)} on
 *       the 2×k table of the category bins with all-zero bins dropped, p-value from the regularised
 *       upper incomplete gamma function (relative accuracy kept far into the tail, e.g. 1e-259);
 *   <li>{@code linf}, {@code total_variation}: max and half the sum of |b_i − c_i| over the
 *       category bins; {@code unseen_share}: the share of the current non-null values whose value
 *       has no count in the reference, before folding into {@code __other__}; {@code
 *       null_rate_change}: null share(C) − null share(B), where a numeric null is null or NaN.
 * </ul>
 *
 * <p>Every state of the data has a defined result, never NaN, ∞ or an exception (statistics that
 * cannot be defined are left out, so a reader never has to tell a real 0 from "not computed"):
 *
 * <table>
 *   <caption>What each case yields</caption>
 *   <tr><th>case</th><th>rows</th></tr>
 *   <tr><td>either side has no rows (count 0)</td><td>none: there is nothing to compare</td></tr>
 *   <tr><td>numeric, no edges (the baseline had no finite value)</td>
 *       <td>{@code null_rate_change} only: there are no bins</td></tr>
 *   <tr><td>numeric, a side without finite values (all null, NaN or ±∞)</td>
 *       <td>{@code psi}, {@code js_distance}, {@code null_rate_change}; no {@code ks},
 *       {@code wasserstein}, {@code wasserstein_norm}</td></tr>
 *   <tr><td>numeric, baseline std 0 (constant), NaN (under two finite values) or not finite</td>
 *       <td>no {@code wasserstein_norm}</td></tr>
 *   <tr><td>numeric, one edge (constant baseline)</td>
 *       <td>all rows; PSI/JS see two value bins, so a move above the constant is invisible to them
 *       but not to {@code ks}'s bound and {@code wasserstein}</td></tr>
 *   <tr><td>numeric, D_grid = 0</td><td>{@code ks} 0 with p-value 1</td></tr>
 *   <tr><td>categorical, fewer than two non-empty bins (e.g. both sides all null)</td>
 *       <td>{@code chi_square} 0 with p-value 1 (the same one-bin distribution)</td></tr>
 *   <tr><td>categorical, no current non-null value</td><td>no {@code unseen_share}</td></tr>
 *   <tr><td>categorical, no kept values</td><td>all values fall into {@code __other__}</td></tr>
 *   <tr><td>a value or bound that overflows a double (|values| near 1e308)</td>
 *       <td>that row is left out</td></tr>
 * </table>
 *
 * <p>Bad arguments that are programming errors, not data (profiles on different edges, PSI indexes
 * that are not ascending fine-edge indexes), throw IllegalArgumentException.
 */
public final class DriftStatistics {
  /** The change of the null share, computed for every column. */
  public static final String NULL_RATE_CHANGE = "null_rate_change";

  private DriftStatistics() {}

  /** A zero share's stand-in in PSI (DESIGN.md). */
  static final double PSI_EPSILON = 1e-4;

  /** Sub-intervals per bin for the Wasserstein error bound (only where the CDFs may cross). */
  private static final int BOUND_STEPS = 32;

  /**
   * One statistic: its value, p-value (tests only) and error bound (|exact − value| ≤ errorBound
   * for statistics the binning limits; null where the value is exact).
   */
  public record Statistic(String name, double value, Double pValue, Double errorBound) {}

  /**
   * Numeric drift of {@code cur} against {@code ref}, both binned on the same fine edges; {@code
   * psiIndex} gives the PSI edges as strictly ascending indexes into them; {@code baselineStd}
   * scales {@code wasserstein_norm}. Rows in this order: psi, js_distance, ks, wasserstein,
   * wasserstein_norm, null_rate_change (see the class comment for which are left out when).
   */
  public static List<Statistic> numeric(
      NumericProfile ref, NumericProfile cur, double baselineStd, int[] psiIndex) {
    if (ref.edges() != cur.edges() && !Arrays.equals(ref.edges(), cur.edges())) {
      throw new IllegalArgumentException(
          "drift needs both profiles on the same edges; got "
              + ref.edges().length
              + " and "
              + cur.edges().length
              + " edges or different values");
    }
    List<Statistic> out = new ArrayList<>();
    if (ref.count() == 0 || cur.count() == 0) {
      return out;
    }
    if (ref.edges().length > 0) {
      double[] b = shares(ref.psiCounts(psiIndex), ref.count());
      double[] c = shares(cur.psiCounts(psiIndex), cur.count());
      out.add(new Statistic("psi", psi(b, c), null, null));
      out.add(new Statistic("js_distance", jsDistance(b, c), null, null));
      long n = ref.finiteCount();
      long m = cur.finiteCount();
      if (n > 0 && m > 0) {
        double[] ks = ks(ref, cur);
        out.add(new Statistic("ks", ks[0], KolmogorovSmirnov.pValue(ks[0], n, m), ks[1]));
        double[] w = wasserstein(ref, cur);
        out.add(new Statistic("wasserstein", w[0], null, w[1]));
        if (baselineStd > 0 && Double.isFinite(baselineStd)) {
          out.add(new Statistic("wasserstein_norm", w[0] / baselineStd, null, w[1] / baselineStd));
        }
      }
    }
    out.add(nullRateChange(ref.nullCount(), ref.count(), cur.nullCount(), cur.count()));
    return finite(out);
  }

  /**
   * Categorical drift of {@code cur} against {@code ref} on the bins {@code kept} (the baseline's
   * top values, in order), {@code __other__} and {@code __null__}. Rows in this order: psi,
   * js_distance, chi_square, linf, total_variation, unseen_share, null_rate_change.
   */
  public static List<Statistic> categorical(
      CategoricalProfile ref, CategoricalProfile cur, List<String> kept) {
    List<Statistic> out = new ArrayList<>();
    if (ref.count() == 0 || cur.count() == 0) {
      return out;
    }
    long[] rb = categoryCounts(ref, kept);
    long[] cb = categoryCounts(cur, kept);
    double[] b = shares(rb, ref.count());
    double[] c = shares(cb, cur.count());
    out.add(new Statistic("psi", psi(b, c), null, null));
    out.add(new Statistic("js_distance", jsDistance(b, c), null, null));
    double[] chi = chiSquare(rb, cb);
    out.add(new Statistic("chi_square", chi[0], chi[1], null));
    double[] distances = linfAndTotalVariation(b, c);
    out.add(new Statistic("linf", distances[0], null, null));
    out.add(new Statistic("total_variation", distances[1], null, null));
    long unseen = cur.unseenBy(ref);
    if (unseen >= 0) {
      out.add(
          new Statistic(
              "unseen_share", (double) unseen / (cur.count() - cur.nullCount()), null, null));
    }
    out.add(nullRateChange(ref.nullCount(), ref.count(), cur.nullCount(), cur.count()));
    return finite(out);
  }

  /** {L∞, total variation} of two share vectors: max and half the sum of |b_i − c_i|. */
  static double[] linfAndTotalVariation(double[] b, double[] c) {
    double linf = 0;
    double l1 = 0;
    for (int i = 0; i < b.length; i++) {
      double d = Math.abs(b[i] - c[i]);
      linf = Math.max(linf, d);
      l1 += d;
    }
    return new double[] {linf, 0.5 * l1};
  }

  private static Statistic nullRateChange(
      long refNulls, long refCount, long curNulls, long curCount) {
    return new Statistic(
        NULL_RATE_CHANGE, (double) curNulls / curCount - (double) refNulls / refCount, null, null);
  }

  /**
   * {@link #numeric(NumericProfile, NumericProfile, double, int[])}, or for a column whose null
   * means "not known yet" (a label that has not arrived) the same over the non-null values, without
   * {@code null_rate_change} — otherwise label delay would look like drift.
   */
  public static List<Statistic> numeric(
      NumericProfile ref,
      NumericProfile cur,
      double baselineStd,
      int[] psiIndex,
      boolean nullIsUnknown) {
    return nullIsUnknown
        ? withoutNullRate(numeric(ref.withoutNulls(), cur.withoutNulls(), baselineStd, psiIndex))
        : numeric(ref, cur, baselineStd, psiIndex);
  }

  /** {@link #categorical(CategoricalProfile, CategoricalProfile, List)}, nulls as for numeric. */
  public static List<Statistic> categorical(
      CategoricalProfile ref, CategoricalProfile cur, List<String> kept, boolean nullIsUnknown) {
    return nullIsUnknown
        ? withoutNullRate(categorical(ref.withoutNulls(), cur.withoutNulls(), kept))
        : categorical(ref, cur, kept);
  }

  private static List<Statistic> withoutNullRate(List<Statistic> rows) {
    return rows.stream().filter(x -> !x.name().equals(NULL_RATE_CHANGE)).toList();
  }

  /** Leaves out the rows whose value or bound overflowed (only with |values| near 1e308). */
  private static List<Statistic> finite(List<Statistic> rows) {
    List<Statistic> out = new ArrayList<>(rows.size());
    for (Statistic s : rows) {
      if (Double.isFinite(s.value())
          && (s.errorBound() == null || Double.isFinite(s.errorBound()))) {
        out.add(s);
      }
    }
    return out;
  }

  /** Counts on the category bins: the kept values in order, {@code __other__}, {@code __null__}. */
  static long[] categoryCounts(CategoricalProfile p, List<String> kept) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < kept.size(); i++) {
      index.put(kept.get(i), i);
    }
    long[] out = new long[kept.size() + 2];
    for (Map.Entry<String, Long> e : p.counts().entrySet()) {
      Integer i = index.get(e.getKey());
      out[i == null ? kept.size() : i] += e.getValue();
    }
    out[kept.size() + 1] = p.nullCount();
    return out;
  }

  static double[] shares(long[] counts, long total) {
    double[] s = new double[counts.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = (double) counts[i] / total;
    }
    return s;
  }

  static double psi(double[] b, double[] c) {
    double sum = 0;
    for (int i = 0; i < b.length; i++) {
      double bi = b[i] == 0 ? PSI_EPSILON : b[i];
      double ci = c[i] == 0 ? PSI_EPSILON : c[i];
      sum += (ci - bi) * Math.log(ci / bi);
    }
    return sum;
  }

  /** √(½ KL(b‖m) + ½ KL(c‖m)) in bits, m = (b + c)/2, after normalising b and c to sum 1. */
  static double jsDistance(double[] b, double[] c) {
    double sb = 0;
    double sc = 0;
    for (int i = 0; i < b.length; i++) {
      sb += b[i];
      sc += c[i];
    }
    double div = 0;
    for (int i = 0; i < b.length; i++) {
      double p = b[i] / sb;
      double q = c[i] / sc;
      double mid = (p + q) / 2;
      if (p > 0) {
        div += 0.5 * p * Math.log(p / mid);
      }
      if (q > 0) {
        div += 0.5 * q * Math.log(q / mid);
      }
    }
    // rounding can leave the divergence a hair outside [0, ln 2]
    return Math.min(1.0, Math.sqrt(Math.max(0, div / Math.log(2))));
  }

  /**
   * True when every finite value of {@code p} in bin k sits on the bin's left edge e(k−1), read
   * from the bin sum: the values are ≥ the edge, so their sum equals count × edge only if all of
   * them do. This trusts the sum to be exact, which it is for the data that put many values on one
   * edge in practice — integers, codes, counts (any values whose partial sums are exact in a
   * double). When rounding makes the test fail, the bounds just fall back to the general case; a
   * false positive needs values within a few ulps·count of the edge whose rounding cancels.
   */
  private static boolean onLeftEdge(NumericProfile p, int k) {
    long m = p.binCount(k);
    return k > 0 && m > 0 && p.binSum(k) == m * p.edges()[k - 1];
  }

  /**
   * {D_grid, error bound}. D_grid = max over the fine edges e of |F_B(e⁻) − F_C(e⁻)|, where F(e⁻)
   * is a side's share of finite values below e; SciPy's exact statistic D = sup_x |d(x)| with d =
   * F_B − F_C (right-continuous CDFs) is never smaller, and the bound covers the gap.
   *
   * <p>Proof of the bound. Take bin k = [a, b) with the grid values g_L = d(a⁻) and g_R = d(b⁻) (g
   * = 0 left of the first bin, where a = −∞, and right of the last one, where b = +∞, because both
   * CDFs are 0 there and 1 there). Let p, q be the shares of B and C in the bin and i_B, i_C the
   * shares strictly inside (a, b): 0 when all of a side's bin values sit on a ({@link
   * #onLeftEdge}), else p or q; in the first bin everything counts as inside. For x in [a, b):
   *
   * <ul>
   *   <li>d(x) = g_L + B's mass in [a, x] − C's mass in [a, x], so g_L − q ≤ d(x) ≤ g_L + p;
   *   <li>d(x) = g_R − B's mass in (x, b) + C's mass in (x, b), and (x, b) lies strictly inside the
   *       bin, so g_R − i_B ≤ d(x) ≤ g_R + i_C.
   * </ul>
   *
   * Hence sup over the bin of |d| ≤ S_k = max(min(g_L + p, g_R + i_C), −max(g_L − q, g_R − i_B)),
   * and D − D_grid ≤ max_k (S_k − D_grid)⁺, which is the bound returned. Since |g| ≤ D_grid, S_k −
   * D_grid ≤ min(p, q): with the baseline's 1/1000 quantile bins and continuous data the bound is
   * about 1e-3, and 0 where both sides only have values on edges (ties at the baseline's values).
   * It cannot be made small when the current sample piles up strictly inside a bin the baseline
   * only holds on its edge (a constant baseline, a shift to a new value): the binned data then
   * cannot tell where inside the bin the mass is.
   */
  static double[] ks(NumericProfile ref, NumericProfile cur) {
    int bins = ref.edges().length + 1;
    double n = ref.finiteCount();
    double m = cur.finiteCount();
    // g[k] = d just below the left end of bin k; g[0] = d(−∞) = 0 and g[bins] = d(+∞) = 0
    double[] g = new double[bins + 1];
    double grid = ksGrid(ref, cur, g);
    double sup = 0;
    for (int k = 0; k < bins; k++) {
      double p = ref.binCount(k) / n;
      double q = cur.binCount(k) / m;
      double insideB = onLeftEdge(ref, k) ? 0 : p;
      double insideC = onLeftEdge(cur, k) ? 0 : q;
      double upper = Math.min(g[k] + p, g[k + 1] + insideC);
      double lower = Math.max(g[k] - q, g[k + 1] - insideB);
      sup = Math.max(sup, Math.max(upper, -lower));
    }
    return new double[] {grid, Math.max(0, sup - grid)};
  }

  /**
   * D_grid of {@link #ks} without its error bound: what the null simulation compares, thousands of
   * times per column, so it skips the bound's second pass over the bins.
   */
  static double ksGrid(NumericProfile ref, NumericProfile cur) {
    return ksGrid(ref, cur, null);
  }

  /** D_grid; fills g[1..bins−1] with d below each bin's left end when g is given. */
  private static double ksGrid(NumericProfile ref, NumericProfile cur, double[] g) {
    int bins = ref.edges().length + 1;
    double n = ref.finiteCount();
    double m = cur.finiteCount();
    long cb = 0;
    long cc = 0;
    double grid = 0;
    for (int k = 0; k < bins - 1; k++) {
      cb += ref.binCount(k);
      cc += cur.binCount(k);
      double d = cb / n - cc / m;
      if (g != null) {
        g[k + 1] = d;
      }
      grid = Math.max(grid, Math.abs(d));
    }
    return grid;
  }

  /**
   * {Wasserstein-1 of the finite values, error bound}: the value never exceeds the exact W1 = ∫|d|,
   * d = F_B − F_C, and the exact one never exceeds value + bound.
   *
   * <p>Per bin [a, b) (the outer bins bounded by the overall finite min and max of both sides, so
   * every width is finite) with d0 = d(a⁻), the side's share p (or q) of the bin and its bin sum s
   * over n values: a side's within-bin CDF G (its share of the bin values ≤ x) integrates to ∫_a^b
   * G = Σ (b − v)/n = (p·n·b − s)/n =: I, so J = ∫_a^b d = d0·(b−a) + I_B − I_C exactly (up to
   * rounding). Write ∫|d| = P + N with P = ∫d⁺, N = ∫d⁻; then J = P − N and ∫|d| = |J| + 2·min(P,
   * N). The value adds |J| per bin, so it is exact in every bin where d keeps one sign, and the
   * bound adds an upper bound of 2·min(P, N):
   *
   * <ul>
   *   <li>d(x) = d0 + G_B(x) − G_C(x) stays in [d0 − q, d0 + p]; if that interval does not straddle
   *       0, min(P, N) = 0 and the bin is exact. Else, since |d| ≤ max(q − d0, d0 + p), ∫|d| − |J|
   *       ≤ (b−a)·max(q − d0, d0 + p) − |J|;
   *   <li>G is non-decreasing, 0 ≤ G ≤ p and ∫G = I, so for a < x < b: G(x)·(b − x) ≤ ∫_x^b G ≤ I
   *       gives G(x) ≤ U(x) = min(p, I/(b − x)), and I ≤ G(x)·(x − a) + p·(b − x) gives G(x) ≥ L(x)
   *       = max(0, (I − p·(b − x))/(x − a)). At x = a, G(a) ≥ L(a) = p when all the side's bin
   *       values sit on a, else 0; U(b) = p. On a sub-interval [x_i, x_{i+1}), G_B ≤ U_B(x_{i+1})
   *       and G_C ≥ L_C(x_i), so P ≤ Σ (x_{i+1} − x_i)·(d0 + U_B(x_{i+1}) − L_C(x_i))⁺ and likewise
   *       N ≤ Σ (x_{i+1} − x_i)·(U_C(x_{i+1}) − L_B(x_i) − d0)⁺. The sub-intervals are 32 equal
   *       steps plus a few tiny ones next to a, where L jumps when a side's values sit just above
   *       a.
   * </ul>
   *
   * The bin's bound is the smaller of the two. Ties on the baseline's values (both sides' values on
   * edges) make G_B and G_C constant inside each bin, so those bins are exact; so is a bin where
   * one side's mass sits on the left edge and the other cannot pass it.
   */
  static double[] wasserstein(NumericProfile ref, NumericProfile cur) {
    return wasserstein(ref, cur, true);
  }

  /** {@link #wasserstein(NumericProfile, NumericProfile)}; without the bound (0) when not asked. */
  static double[] wasserstein(NumericProfile ref, NumericProfile cur, boolean withBound) {
    double[] e = ref.edges();
    double n = ref.finiteCount();
    double m = cur.finiteCount();
    double lo = Math.min(ref.min(), cur.min());
    double hi = Math.max(ref.max(), cur.max());
    double total = 0;
    double bound = 0;
    double fb = 0; // F_B and F_C just below the bin
    double fc = 0;
    for (int k = 0; k <= e.length; k++) {
      double p = ref.binCount(k) / n;
      double q = cur.binCount(k) / m;
      double a = k == 0 ? lo : Math.max(e[k - 1], lo);
      double b = k == e.length ? hi : Math.min(e[k], hi);
      if (b > a) {
        double w = b - a;
        double d0 = fb - fc;
        // ∫G, clamped to its possible range [0, p·w] against rounding
        double ib = Math.min(Math.max((ref.binCount(k) * b - ref.binSum(k)) / n, 0), p * w);
        double ic = Math.min(Math.max((cur.binCount(k) * b - cur.binSum(k)) / m, 0), q * w);
        double j = Math.abs(d0 * w + ib - ic);
        total += j;
        if (withBound && d0 - q < 0 && d0 + p > 0) { // d may change sign inside the bin
          double crude = w * Math.max(q - d0, d0 + p) - j;
          double fine =
              2
                  * crossingBound(
                      a,
                      b,
                      d0,
                      new Side(p, ib, onLeftEdge(ref, k)),
                      new Side(q, ic, onLeftEdge(cur, k)));
          bound += Math.max(0, Math.min(crude, fine));
        }
      }
      fb += p;
      fc += q;
    }
    return new double[] {total, bound};
  }

  /** One side inside one bin: its share p, ∫G = integral, and whether all of it sits on a. */
  private record Side(double p, double integral, boolean onLeft) {
    /** Upper envelope U(x) of G (see {@link #wasserstein}). */
    double upper(double a, double b, double x) {
      if (p == 0 || onLeft || x >= b) {
        return p;
      }
      return Math.min(p, integral / (b - x));
    }

    /** Lower envelope L(x) of G. */
    double lower(double a, double b, double x) {
      if (p == 0 || onLeft) {
        return p;
      }
      if (x <= a) {
        return 0;
      }
      return Math.max(0, Math.min(p, (integral - p * (b - x)) / (x - a)));
    }
  }

  /** Upper bound of min(P, N) in one bin (see {@link #wasserstein}). */
  private static double crossingBound(double a, double b, double d0, Side sb, Side sc) {
    double w = b - a;
    double pos = 0;
    double neg = 0;
    double x0 = a;
    // a few tiny steps next to a (where L can jump from 0 to nearly p), then equal steps
    for (int i = -4; i < BOUND_STEPS; i++) {
      double x1 =
          i < 0
              ? a + w * Math.pow(1e-3, -i)
              : (i + 1 == BOUND_STEPS ? b : a + w * (i + 1) / BOUND_STEPS);
      if (x1 <= x0) {
        continue;
      }
      double dx = x1 - x0;
      pos += dx * Math.max(0, d0 + sb.upper(a, b, x1) - sc.lower(a, b, x0));
      neg += dx * Math.max(0, sc.upper(a, b, x1) - sb.lower(a, b, x0) - d0);
      x0 = x1;
    }
    return Math.min(pos, neg);
  }

  /** {statistic, p-value} of the chi-square test of homogeneity on a 2 x k table. */
  static double[] chiSquare(long[] a, long[] b) {
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      na += a[i];
      nb += b[i];
    }
    double total = na + nb;
    double stat = 0;
    int bins = 0;
    for (int i = 0; i < a.length; i++) {
      double col = a[i] + b[i];
      if (col == 0) {
        continue; // SciPy's table after dropping all-zero bins
      }
      bins++;
      double ea = na * col / total;
      double eb = nb * col / total;
      stat += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
    }
    if (bins < 2) {
      return new double[] {0, 1};
    }
    // Q(dof/2, stat/2) = chi2.sf(stat, dof), computed directly (a continued fraction in the tail)
    // rather than as 1 − P, so a p-value of 1e-259 keeps its digits instead of becoming 0
    return new double[] {stat, Gamma.regularizedGammaQ((bins - 1) / 2.0, stat / 2)};
  }
}
