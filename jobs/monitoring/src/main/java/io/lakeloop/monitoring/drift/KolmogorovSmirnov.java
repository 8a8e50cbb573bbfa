package io.lakeloop.monitoring.drift;

import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.apache.commons.math3.util.CombinatoricsUtils;

/**
 * The two-sided p-value of a two-sample KS statistic, as SciPy's {@code ks_2samp} (method {@code
 * auto}) computes it: exact when neither side has more than {@value #EXACT_MAX} values, else the
 * finite-n Kolmogorov law of the effective size round(nm/(n+m)) (SciPy's {@code kstwo}). The
 * methods are the published ones (Hodges' lattice paths; Simard and L'Ecuyer's choice of algorithms
 * for the Kolmogorov law), written here; {@code drift-reference/ks_pvalues.csv} holds SciPy's
 * values over every branch, far tails included, and the test compares them.
 */
final class KolmogorovSmirnov {
  /** The largest side for which the p-value is exact (SciPy's default). */
  static final int EXACT_MAX = 10_000;

  private KolmogorovSmirnov() {}

  /** P(D ≥ d) for samples of n and m values from one continuous distribution. */
  static double pValue(double d, long n, long m) {
    if (!(d > 0)) {
      return 1.0;
    }
    if (Math.max(n, m) <= EXACT_MAX) {
      return exact(d, (int) n, (int) m);
    }
    long big = Math.max(n, m);
    long small = Math.min(n, m);
    return kolmogorovSf(d, Math.round((double) big * small / ((double) big + small)));
  }

  /**
   * The exact p-value by counting lattice paths: of the C(n+m, n) equally likely orders of the two
   * samples, the share whose path from (0, 0) to (n, m) reaches a point (i, j) with |i/n − j/m| ≥
   * d, d rounded to the lattice (a multiple of 1/lcm(n, m)) as SciPy rounds it. The share is summed
   * over the points where paths first leave the band, each as (paths that stayed inside until
   * there) × (paths on to the end) / all paths: a sum of positive terms, so a p-value of 1e-200
   * keeps its digits. Only the band and its border are visited: O(n · (d·m + 1)) steps.
   */
  static double exact(double d, int n, int m) {
    long g = gcd(n, m);
    long mg = m / g; // i/n − j/m in units of 1/lcm: i·(m/g) − j·(n/g)
    long ng = n / g;
    long h = Math.round(d * (double) ng * m);
    if (h <= 0) {
      return 1.0;
    }
    double[] logFactorial = new double[n + m + 1];
    for (int i = 2; i <= n + m; i++) {
      logFactorial[i] = logFactorial[i - 1] + Math.log(i);
    }
    double logAll = logFactorial[n + m] - logFactorial[n] - logFactorial[m];
    double[] previous = new double[m + 1];
    double[] current = new double[m + 1];
    int prevLo = 0;
    int prevHi = -1; // previous row's evaluated range (values outside it are 0)
    int prevBandLo = 0; // previous row's lowest point inside the band
    double exit = 0;
    for (int i = 0; i <= n; i++) {
      long centre = i * mg;
      // inside: −h < i·mg − j·ng < h
      int lo = (int) Math.max(0, Math.floorDiv(centre - h, ng) + 1);
      int hi = (int) Math.min(m, ceilDiv(centre + h, ng) - 1);
      // Below the previous row's band every path has left already: those points hold 0, and the
      // row starts where a path can still arrive (lo never decreases with i).
      int from = i == 0 ? 0 : Math.max(0, Math.min(prevBandLo, lo));
      int to = Math.min(m, hi + 1);
      // Each point: pre = (i·up + j·left) / (i + j), up = the point below (previous row; 0 outside
      // its range), left = the one before in this row (0 at the row's start and after a point
      // outside the band). Outside the band pre is the share of paths that leave there; inside it
      // is kept. Three loops so that the band's interior, most of the work, runs without tests.
      double left = 0;
      int j = from;
      for (; j <= to && j < lo; j++) { // below the band (i > 0 here: row 0 has lo = 0)
        double up = j >= prevLo && j <= prevHi ? previous[j] : 0;
        exit += leaving((i * up + j * left) / (i + j), i, j, n, m, logFactorial, logAll);
        current[j] = 0;
        left = 0;
      }
      int top = Math.min(hi, to);
      if (i == 0 && j == 0 && j <= top) {
        current[0] = 1;
        left = 1;
        j = 1;
      }
      // j ≥ from ≥ prevLo here: from never decreases with i
      for (int withUp = Math.min(top, prevHi); j <= withUp; j++) {
        left = (i * previous[j] + j * left) / (i + j);
        current[j] = left;
      }
      for (; j <= top; j++) { // beyond the previous row's range: up = 0, i·0 + j·left = j·left
        left = (j * left) / (i + j);
        current[j] = left;
      }
      for (; j <= to; j++) { // above the band: hi + 1
        double up = j >= prevLo && j <= prevHi ? previous[j] : 0;
        exit += leaving((i * up + j * left) / (i + j), i, j, n, m, logFactorial, logAll);
        current[j] = 0;
        left = 0;
      }
      double[] t = previous;
      previous = current;
      current = t;
      prevLo = from;
      prevHi = to;
      prevBandLo = lo;
    }
    return Math.max(0, Math.min(1, exit));
  }

  /** The share of all paths that first leave the band at (i, j), given pre there. */
  private static double leaving(
      double pre, int i, int j, int n, int m, double[] logFactorial, double logAll) {
    if (!(pre > 0)) {
      return 0;
    }
    return pre
        * Math.exp(
            logFactorial[i + j]
                - logFactorial[i]
                - logFactorial[j]
                + logFactorial[n + m - i - j]
                - logFactorial[n - i]
                - logFactorial[m - j]
                - logAll);
  }

  /**
   * P(D_N ≥ d) for the one-sample two-sided statistic of N values (SciPy's {@code kstwo.sf}),
   * branch by branch as Simard and L'Ecuyer (2011) choose: the closed forms at the ends (Ruben and
   * Gambino), 2 × the one-sided Smirnov law where that is exact or within rounding of it, the
   * Durbin matrix (Marsaglia, Tsang and Wang) for small N·d², else the Pelz-Good series (Commons
   * Math). For N ≤ 140 and N·d² in (0.754693, 4] SciPy uses Pomeranz's recursion; the Durbin matrix
   * computes the same exact law.
   */
  static double kolmogorovSf(double d, long n) {
    if (d >= 1) {
      return 0;
    }
    if (!(d > 0)) {
      return 1;
    }
    double t = n * d;
    if (t <= 1) {
      if (t <= 0.5) {
        return 1;
      }
      // n!/n^n (2t − 1)^n
      double logCdf = logFactorialOverPower(n) + n * Math.log(2 * t - 1);
      return clip(1 - Math.exp(logCdf));
    }
    if (t >= n - 1) {
      return clip(2 * Math.pow(1 - d, n));
    }
    if (d >= 0.5) {
      return clip(2 * smirnov(n, d));
    }
    double nxx = t * d;
    if (n <= 140) {
      if (nxx <= 4) {
        return clip(1 - durbin(d, (int) n));
      }
      return clip(2 * smirnov(n, d));
    }
    if (nxx >= 370) {
      return 0;
    }
    if (nxx >= 2.2) {
      return clip(2 * smirnov(n, d));
    }
    double cdf;
    if (nxx >= 18) {
      cdf = 1;
    } else if (n <= 100_000 && n * Math.pow(d, 1.5) <= 1.4) {
      cdf = durbin(d, (int) n);
    } else {
      cdf = new KolmogorovSmirnovTest().pelzGood(d, (int) n);
    }
    return clip(1 - cdf);
  }

  /**
   * Smirnov's one-sided law P(D⁺_n ≥ x) by its exact finite sum (Birnbaum and Tingey): x · Σ_{j=0}
   * ^{⌊n(1−x)⌋} C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1), each term in logarithms; positive
   * terms, so the far tail keeps its relative accuracy. O(n) time.
   */
  static double smirnov(long n, double x) {
    if (x >= 1) {
      return 0;
    }
    if (x <= 0) {
      return 1;
    }
    long last = (long) Math.floor(n * (1 - x));
    double[] logs = new double[(int) last + 1];
    double max = Double.NEGATIVE_INFINITY;
    double logChoose = 0; // ln C(n, j), step by step: O(1) per term
    for (int j = 0; j <= last; j++) {
      if (j > 0) {
        logChoose += Math.log((double) (n - j + 1) / j);
      }
      double rest = 1 - x - (double) j / n;
      if (rest <= 0 && n - j > 0) {
        logs[j] = Double.NEGATIVE_INFINITY;
        continue;
      }
      logs[j] = logChoose + (n - j) * Math.log(rest) + (j - 1) * Math.log(x + (double) j / n);
      max = Math.max(max, logs[j]);
    }
    double sum = 0;
    for (double l : logs) {
      sum += Math.exp(l - max);
    }
    return clip(x * sum * Math.exp(max));
  }

  /**
   * P(D_n < d) by the Durbin matrix (Marsaglia, Tsang and Wang 2003): the (k, k) element of H^n
   * times n!/n^n, with k = ⌊n·d⌋ + 1 and H the (2k−1)² matrix of their paper; powers by squaring
   * with a running decimal exponent so nothing overflows.
   */
  static double durbin(double d, int n) {
    int k = (int) (n * d) + 1;
    int size = 2 * k - 1;
    double h = k - n * d;
    double[][] hm = new double[size][size];
    for (int i = 0; i < size; i++) {
      for (int j = 0; j < size; j++) {
        hm[i][j] = i - j + 1 < 0 ? 0 : 1;
      }
    }
    for (int i = 0; i < size; i++) {
      hm[i][0] -= Math.pow(h, i + 1);
      hm[size - 1][i] -= Math.pow(h, size - i);
    }
    hm[size - 1][0] += 2 * h - 1 > 0 ? Math.pow(2 * h - 1, size) : 0;
    for (int i = 0; i < size; i++) {
      for (int j = 0; j < size; j++) {
        for (int f = 1; f <= i - j + 1; f++) {
          hm[i][j] /= f;
        }
      }
    }
    Scaled q = power(hm, n);
    double s = q.matrix[k - 1][k - 1];
    int exponent = q.exponent;
    for (int i = 1; i <= n; i++) {
      s = s * i / n;
      if (s < 1e-140) {
        s *= 1e140;
        exponent -= 140;
      }
    }
    return Math.max(0, Math.min(1, s * Math.pow(10, exponent)));
  }

  /** A matrix times 10^exponent. */
  private record Scaled(double[][] matrix, int exponent) {}

  private static Scaled power(double[][] a, int n) {
    if (n == 1) {
      return new Scaled(a, 0);
    }
    Scaled half = power(a, n / 2);
    double[][] sq = multiply(half.matrix, half.matrix);
    int exponent = 2 * half.exponent;
    if (n % 2 == 1) {
      sq = multiply(a, sq);
    }
    if (sq[sq.length / 2][sq.length / 2] > 1e140) {
      for (double[] row : sq) {
        for (int j = 0; j < row.length; j++) {
          row[j] *= 1e-140;
        }
      }
      exponent += 140;
    }
    return new Scaled(sq, exponent);
  }

  private static double[][] multiply(double[][] a, double[][] b) {
    int size = a.length;
    double[][] c = new double[size][size];
    for (int i = 0; i < size; i++) {
      for (int l = 0; l < size; l++) {
        double x = a[i][l];
        if (x == 0) {
          continue;
        }
        for (int j = 0; j < size; j++) {
          c[i][j] += x * b[l][j];
        }
      }
    }
    return c;
  }

  private static double logFactorialOverPower(long n) {
    return CombinatoricsUtils.factorialLog((int) n) - n * Math.log(n);
  }

  private static double clip(double p) {
    return Math.max(0, Math.min(1, p));
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
