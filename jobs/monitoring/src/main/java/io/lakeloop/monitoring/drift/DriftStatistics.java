package io.lakeloop.monitoring.drift;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.special.Gamma;

/**
 * Drift statistics of a current profile against a reference profile (the baseline, or the previous
 * window), computed from the profiles alone — no rows. Definitions (tested against SciPy on the
 * same data, see DriftStatisticsReferenceTest):
 *
 * <ul>
 *   <li>shares are counts over all rows of a side, nulls included; PSI = Σ (c−b)·ln(c/b) with a
 *       zero share replaced by 1e-4; Jensen–Shannon distance = √(JS divergence), base 2, in [0, 1];
 *       numeric columns use the PSI bins plus a null bin, categorical ones the reference's top-K
 *       values, {@code __other__} (every other value) and {@code __null__};
 *   <li>{@code ks}: the largest gap between the two empirical CDFs of the finite values at the fine
 *       edges, with the asymptotic p-value of the Kolmogorov distribution at √(nm/(n+m))·D. Its
 *       error bound: the exact statistic can exceed the grid's by at most the largest share either
 *       side puts inside one bin, because between two edges each CDF only rises by its own mass in
 *       the bin;
 *   <li>{@code wasserstein} = ∫|F_B − F_C| over the finite values. Inside a bin [a, b) (the outer
 *       bins bounded by the overall min and max) with d0 = F_B(a) − F_C(a), count m and sum s of
 *       each side: ∫(F_B − F_C) = d0·(b−a) + (m_B·b − s_B)/n_B − (m_C·b − s_C)/n_C, because a
 *       side's within-bin CDF integrates to Σ(b − v)/n. Inside the bin d(x) stays in [d0 − m_C/n_C,
 *       d0 + m_B/n_B]; when that interval does not contain a value of both signs, |d| = ±d and the
 *       bin's |∫| is exact. Otherwise ∫|d| lies between |∫d| and (b−a)·max|end of interval|; the
 *       value takes |∫d| (exact whenever d does not actually change sign in the bin, which a
 *       monotone shift never does) and the gap is added to the error bound. {@code
 *       wasserstein_norm} divides by the baseline's standard deviation;
 *   <li>{@code chi_square}: the statistic of the 2×k contingency table of the category bins
 *       (all-zero bins dropped), p-value from the regularised upper incomplete gamma function;
 *   <li>{@code linf}, {@code total_variation}: max and half the sum of |b_i − c_i| over the
 *       category bins; {@code unseen_share}: the share of the current non-null values whose value
 *       the reference never had; {@code null_rate_change}: null share(C) − null share(B).
 * </ul>
 *
 * <p>Defined results, never NaN or an exception: a side with no rows gives no rows at all (there is
 * nothing to compare); no finite values on a side gives no {@code ks}/{@code wasserstein} rows; a
 * baseline standard deviation of zero or undefined gives no {@code wasserstein_norm}; no current
 * non-null value gives no {@code unseen_share}; a chi-square table with fewer than two non-empty
 * bins gives statistic 0 and p-value 1 (identical single-category distributions).
 */
public final class DriftStatistics {
  private DriftStatistics() {}

  /** A zero share's stand-in in PSI (DESIGN.md). */
  static final double PSI_EPSILON = 1e-4;

  /** One statistic: its value, p-value (tests only) and error bound (when binning limits it). */
  public record Statistic(String name, double value, Double pValue, Double errorBound) {}

  public static List<Statistic> numeric(
      NumericProfile ref, NumericProfile cur, double baselineStd, int[] psiIndex) {
    List<Statistic> out = new ArrayList<>();
    if (ref.count() == 0 || cur.count() == 0) {
      return out;
    }
    double[] b = shares(ref.psiCounts(psiIndex), ref.count());
    double[] c = shares(cur.psiCounts(psiIndex), cur.count());
    out.add(new Statistic("psi", psi(b, c), null, null));
    out.add(new Statistic("js_distance", jsDistance(b, c), null, null));
    long n = ref.finiteCount();
    long m = cur.finiteCount();
    if (n > 0 && m > 0) {
      double[] ks = ksGrid(ref, cur);
      double en = Math.sqrt((double) n * m / (n + m));
      out.add(new Statistic("ks", ks[0], kolmogorovSf(en * ks[0]), ks[1]));
      double[] w = wasserstein(ref, cur);
      out.add(new Statistic("wasserstein", w[0], null, w[1]));
      if (baselineStd > 0 && Double.isFinite(baselineStd)) {
        out.add(new Statistic("wasserstein_norm", w[0] / baselineStd, null, w[1] / baselineStd));
      }
    }
    out.add(
        new Statistic(
            "null_rate_change",
            (double) cur.nullCount() / cur.count() - (double) ref.nullCount() / ref.count(),
            null,
            null));
    return out;
  }

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
    double linf = 0;
    double l1 = 0;
    for (int i = 0; i < b.length; i++) {
      double d = Math.abs(b[i] - c[i]);
      linf = Math.max(linf, d);
      l1 += d;
    }
    out.add(new Statistic("linf", linf, null, null));
    out.add(new Statistic("total_variation", 0.5 * l1, null, null));
    long nonNull = cur.count() - cur.nullCount();
    if (nonNull > 0) {
      long unseen = 0;
      for (Map.Entry<String, Long> e : cur.counts().entrySet()) {
        if (ref.counts().getOrDefault(e.getKey(), 0L) == 0) {
          unseen += e.getValue();
        }
      }
      out.add(new Statistic("unseen_share", (double) unseen / nonNull, null, null));
    }
    out.add(
        new Statistic(
            "null_rate_change",
            (double) cur.nullCount() / cur.count() - (double) ref.nullCount() / ref.count(),
            null,
            null));
    return out;
  }

  /** Counts on the category bins: the kept values in order, {@code __other__}, {@code __null__}. */
  static long[] categoryCounts(CategoricalProfile p, List<String> kept) {
    Map<String, Integer> index = new LinkedHashMap<>();
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

  private static double[] shares(long[] counts, long total) {
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
    return Math.min(1.0, Math.sqrt(Math.max(0, div / Math.log(2))));
  }

  /** {grid KS statistic, error bound}. */
  static double[] ksGrid(NumericProfile ref, NumericProfile cur) {
    double n = ref.finiteCount();
    double m = cur.finiteCount();
    long cb = 0;
    long cc = 0;
    double d = 0;
    double bound = 0;
    int bins = ref.edges().length + 1;
    for (int k = 0; k < bins; k++) {
      long mb = ref.binCount(k);
      long mc = cur.binCount(k);
      bound = Math.max(bound, Math.max(mb / n, mc / m));
      cb += mb;
      cc += mc;
      if (k < bins - 1) { // at edge k: the shares of values below it
        d = Math.max(d, Math.abs(cb / n - cc / m));
      }
    }
    return new double[] {d, bound};
  }

  /** {Wasserstein-1 of the finite values, error bound}; see the class comment. */
  static double[] wasserstein(NumericProfile ref, NumericProfile cur) {
    double[] e = ref.edges();
    double n = ref.finiteCount();
    double m = cur.finiteCount();
    double lo = Math.min(ref.min(), cur.min());
    double hi = Math.max(ref.max(), cur.max());
    double total = 0;
    double bound = 0;
    double fb = 0; // F_B and F_C at the bin's left end
    double fc = 0;
    for (int k = 0; k <= e.length; k++) {
      double mb = ref.binCount(k) / n;
      double mc = cur.binCount(k) / m;
      double a = k == 0 ? lo : e[k - 1];
      double b = k == e.length ? hi : e[k];
      if (k == 0) {
        b = Math.max(a, Math.min(b, hi));
      } else if (k == e.length) {
        a = Math.min(a, b);
      } else {
        a = Math.max(a, lo);
        b = Math.min(b, hi);
      }
      if (b > a) {
        double d0 = fb - fc;
        double integral =
            d0 * (b - a)
                + (ref.binCount(k) * b - ref.binSum(k)) / n
                - (cur.binCount(k) * b - cur.binSum(k)) / m;
        double low = d0 - mc;
        double high = d0 + mb;
        if (low >= 0 || high <= 0) {
          total += Math.abs(integral);
        } else {
          // |∫d| is exact when d does not actually change sign in the bin; it cannot be less
          double lower = Math.abs(integral);
          double upper = (b - a) * Math.max(-low, high);
          total += lower;
          bound += Math.max(0, upper - lower);
        }
      }
      fb += mb;
      fc += mc;
    }
    return new double[] {total, bound};
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
        continue;
      }
      bins++;
      double ea = na * col / total;
      double eb = nb * col / total;
      stat += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
    }
    if (bins < 2) {
      return new double[] {0, 1};
    }
    return new double[] {stat, Gamma.regularizedGammaQ((bins - 1) / 2.0, stat / 2)};
  }

  /**
   * P(K > x) for the Kolmogorov distribution (SciPy's {@code kstwobign.sf}): the alternating series
   * 2 Σ (−1)^(k−1) e^(−2k²x²) where it converges fast (x ≥ 1), else 1 − the Jacobi-theta form of
   * the CDF, √(2π)/x Σ e^(−(2k−1)²π²/(8x²)).
   */
  static double kolmogorovSf(double x) {
    if (!(x > 0)) {
      return 1.0;
    }
    if (x >= 1.0) {
      double s = 0;
      for (int k = 1; k <= 100; k++) {
        double term = Math.exp(-2.0 * k * k * x * x);
        s += (k % 2 == 1 ? term : -term);
        if (term < 1e-300 || term < Math.abs(s) * 1e-17) {
          break;
        }
      }
      return Math.max(0, Math.min(1, 2 * s));
    }
    double s = 0;
    for (int k = 1; k <= 100; k++) {
      double j = 2 * k - 1;
      double term = Math.exp(-j * j * Math.PI * Math.PI / (8 * x * x));
      s += term;
      if (term < s * 1e-17) {
        break;
      }
    }
    double cdf = Math.sqrt(2 * Math.PI) / x * s;
    return Math.max(0, Math.min(1, 1 - cdf));
  }
}
