package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.schema.Metrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * Classification metrics estimated without labels by confidence-based performance estimation (CBPE,
 * as published by NannyML: "Estimating Performance", docs.nannyml.com): with calibrated
 * probabilities p (the probability of each class given the scores, fitted on a labeled reference
 * period), a row predicted as class j is expected to be an actual i with probability p_i, so the
 * expected confusion matrix is {@code E[i][j] = sum over rows predicted j of p_i}. Estimated
 * accuracy, precision, recall and F1 (per class and macro) are the realized formulas on E, and
 * estimated ROC-AUC ranks the rows by their score with each row a positive of weight p and a
 * negative of weight 1 - p. Every row with calibrated probabilities counts, labeled or not.
 *
 * <p>Intervals: the range the realized metric of the same rows is expected in if the calibration
 * holds (each label drawn from its row's p), by the normal approximation: accuracy from the exact
 * variance sum p(1 - p) of the number of correct rows; precision, recall and F1 by the delta method
 * from, per class, the variances of the expected true positives and of the class's rows predicted
 * as another class; macro averages as if the classes were independent; ROC-AUC by the approximation
 * of Hanley and McNeil (Radiology 143, 1982) at the expected numbers of positives and negatives.
 * These are not bootstrap intervals: the bootstrap would give the estimate's own sampling spread,
 * which is far narrower than the spread of the realized value it stands for.
 *
 * <p>Partials (all rows with calibrated probabilities, none bootstrapped): the row count, E (k x
 * k), the sum of p(1 - p) of the predicted class, and per class c the sums of p_c(1 - p_c) over the
 * rows predicted c and over the others.
 */
final class Estimated {
  private Estimated() {}

  static final String PREFIX = Metrics.ESTIMATED;
  private static final String N = "est_n";
  private static final String VAR_CORRECT = "est_var_correct";

  private static String cm(int actual, int predicted) {
    return "est_cm_" + actual + "_" + predicted;
  }

  private static String varPredicted(int c) {
    return "est_va_" + c;
  }

  private static String varOther(int c) {
    return "est_vb_" + c;
  }

  static List<MetricSet.Partial> partials(int k) {
    List<MetricSet.Partial> out = new ArrayList<>();
    out.add(new MetricSet.Partial(N, MetricSet.Scope.VALID, false));
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        out.add(new MetricSet.Partial(cm(i, j), MetricSet.Scope.VALID, false));
      }
    }
    out.add(new MetricSet.Partial(VAR_CORRECT, MetricSet.Scope.VALID, false));
    for (int c = 0; c < k; c++) {
      out.add(new MetricSet.Partial(varPredicted(c), MetricSet.Scope.VALID, false));
      out.add(new MetricSet.Partial(varOther(c), MetricSet.Scope.VALID, false));
    }
    return out;
  }

  /** Writes a row's estimation partials at {@code out[at..]} (zeros without calibration). */
  static void values(MetricSet.RowValues r, int k, double[] out, int at) {
    int size = 1 + k * k + 1 + 2 * k;
    java.util.Arrays.fill(out, at, at + size, 0.0);
    double[] p = r.calibrated;
    if (p == null) {
      return;
    }
    int predicted = (int) r.prediction;
    out[at] = 1.0;
    for (int i = 0; i < k; i++) {
      out[at + 1 + i * k + predicted] = p[i];
    }
    double q = p[predicted];
    out[at + 1 + k * k] = q * (1 - q);
    int v = at + 2 + k * k;
    for (int c = 0; c < k; c++) {
      out[v + 2 * c + (c == predicted ? 0 : 1)] = p[c] * (1 - p[c]);
    }
  }

  /** The expected confusion matrix, or null when no row was estimated (or in a replicate). */
  private static double[][] expected(MetricSet.State s, int k) {
    double n = s.get(N);
    if (!(n > 0)) {
      return null;
    }
    double[][] e = new double[k][k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        e[i][j] = s.get(cm(i, j));
      }
    }
    return e;
  }

  static List<MetricSet.MetricValue> compute(MetricSet.State s, List<String> classes) {
    int k = classes.size();
    double[][] e = expected(s, k);
    if (e == null) {
      return List.of();
    }
    double n = s.get(N);
    long rows = Math.round(n);
    List<MetricSet.MetricValue> out = new ArrayList<>();
    double correct = 0;
    for (int i = 0; i < k; i++) {
      correct += e[i][i];
    }
    out.add(new MetricSet.MetricValue(PREFIX + "accuracy", correct / n, rows));
    ClassificationMetrics.PerClass pc = ClassificationMetrics.PerClass.of(e);
    for (int i = 0; i < k; i++) {
      for (String m : ClassificationMetrics.PerClass.AVERAGED) {
        out.add(new MetricSet.MetricValue(PREFIX + m + ":" + classes.get(i), pc.get(m)[i], rows));
      }
    }
    for (String m : ClassificationMetrics.PerClass.AVERAGED) {
      out.add(
          new MetricSet.MetricValue(
              PREFIX + m + "_macro", ClassificationMetrics.PerClass.mean(pc.get(m)), rows));
    }
    double[] auc = rocAucs(s, k);
    out.add(new MetricSet.MetricValue(PREFIX + "roc_auc", MetricSet.finite(auc[0]), rows));
    return out;
  }

  /**
   * {macro estimated ROC-AUC or null, its Hanley-McNeil variance}: per estimated histogram with
   * expected positives and negatives, averaged.
   */
  private static double[] rocAucs(MetricSet.State s, int k) {
    int histograms = k == 2 ? 1 : k;
    double sum = 0;
    double variance = 0;
    int defined = 0;
    for (int h = 0; h < histograms; h++) {
      ScoreHistogram hist = s.estimatedHistogram(h);
      double a = hist.rocAuc();
      if (!Double.isNaN(a)) {
        sum += a;
        variance += hanleyMcNeil(a, hist.positives(), hist.negatives());
        defined++;
      }
    }
    return defined == 0
        ? new double[] {Double.NaN, Double.NaN}
        : new double[] {sum / defined, variance / ((double) defined * defined)};
  }

  /** The variance of an AUC of {@code a} with P positives and N negatives (Hanley-McNeil). */
  static double hanleyMcNeil(double a, double positives, double negatives) {
    double q1 = a / (2 - a);
    double q2 = 2 * a * a / (1 + a);
    return (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a))
        / (positives * negatives);
  }

  static Map<String, double[]> intervals(
      MetricSet.State s, List<String> classes, double confidence) {
    int k = classes.size();
    double[][] e = expected(s, k);
    if (e == null) {
      return Map.of();
    }
    double z = new NormalDistribution().inverseCumulativeProbability(0.5 + confidence / 2);
    double n = s.get(N);
    Map<String, double[]> out = new HashMap<>();
    double correct = 0;
    for (int i = 0; i < k; i++) {
      correct += e[i][i];
    }
    put(out, "accuracy", correct / n, Math.sqrt(s.get(VAR_CORRECT)) / n, z);
    ClassificationMetrics.PerClass pc = ClassificationMetrics.PerClass.of(e);
    double[][] variance = new double[3][k];
    for (int c = 0; c < k; c++) {
      double a = e[c][c]; // expected true positives
      double b = pc.support()[c] - a; // the class's rows predicted as another
      double m = 0; // rows predicted c
      for (int i = 0; i < k; i++) {
        m += e[i][c];
      }
      double va = s.get(varPredicted(c));
      double vb = s.get(varOther(c));
      variance[0][c] = m > 0 ? va / (m * m) : 0;
      double ab = a + b;
      variance[1][c] = ab > 0 ? (b * b * va + a * a * vb) / Math.pow(ab, 4) : 0;
      double d = m + a + b;
      variance[2][c] = d > 0 ? 4 * ((m + b) * (m + b) * va + a * a * vb) / Math.pow(d, 4) : 0;
    }
    for (int x = 0; x < 3; x++) {
      String metric = ClassificationMetrics.PerClass.AVERAGED.get(x);
      double[] v = pc.get(metric);
      double macro = 0;
      for (int c = 0; c < k; c++) {
        put(out, metric + ":" + classes.get(c), v[c], Math.sqrt(variance[x][c]), z);
        macro += variance[x][c];
      }
      put(out, metric + "_macro", ClassificationMetrics.PerClass.mean(v), Math.sqrt(macro) / k, z);
    }
    double[] auc = rocAucs(s, k);
    if (!Double.isNaN(auc[0])) {
      put(out, "roc_auc", auc[0], Math.sqrt(auc[1]), z);
    }
    return out;
  }

  private static void put(Map<String, double[]> out, String metric, double v, double sd, double z) {
    if (Double.isFinite(v) && Double.isFinite(sd)) {
      out.put(PREFIX + metric, new double[] {Math.max(0, v - z * sd), Math.min(1, v + z * sd)});
    }
  }
}
