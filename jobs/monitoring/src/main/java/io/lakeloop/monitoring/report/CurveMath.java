package io.lakeloop.monitoring.report;

import java.util.ArrayList;
import java.util.List;

/**
 * ROC, precision-recall and calibration points from binned scores (positives, negatives and score
 * sums per equal-width bin, lowest score first). Pure; each point is {@code {x, y}} (calibration:
 * {@code {mean score, observed positive rate, rows}}). Thresholds are the bin edges, so the ROC
 * polyline's area is the histogram ROC-AUC: within half the share of positive/negative pairs that
 * share a bin of the exact rank AUC.
 */
final class CurveMath {
  private CurveMath() {}

  /** ROC from (0, 0) to (1, 1): false positive rate, true positive rate, thresholds descending. */
  static List<double[]> roc(double[] positives, double[] negatives) {
    double p = sum(positives);
    double n = sum(negatives);
    List<double[]> out = new ArrayList<>();
    if (p <= 0 || n <= 0) {
      return out;
    }
    double tp = 0;
    double fp = 0;
    out.add(new double[] {0, 0});
    for (int b = positives.length - 1; b >= 0; b--) {
      if (positives[b] == 0 && negatives[b] == 0) {
        continue;
      }
      tp += positives[b];
      fp += negatives[b];
      out.add(new double[] {fp / n, tp / p});
    }
    return out;
  }

  /**
   * Precision-recall: recall, precision at each threshold (descending), starting at recall 0 with
   * the first threshold's precision.
   */
  static List<double[]> precisionRecall(double[] positives, double[] negatives) {
    double p = sum(positives);
    List<double[]> out = new ArrayList<>();
    if (p <= 0) {
      return out;
    }
    double tp = 0;
    double fp = 0;
    for (int b = positives.length - 1; b >= 0; b--) {
      if (positives[b] == 0 && negatives[b] == 0) {
        continue;
      }
      tp += positives[b];
      fp += negatives[b];
      if (out.isEmpty()) {
        out.add(new double[] {0, tp / (tp + fp)});
      }
      out.add(new double[] {tp / p, tp / (tp + fp)});
    }
    return out;
  }

  /** Average precision: the sum of precision times the recall gained at each threshold. */
  static double averagePrecision(List<double[]> pr) {
    double ap = 0;
    for (int i = 1; i < pr.size(); i++) {
      ap += (pr.get(i)[0] - pr.get(i - 1)[0]) * pr.get(i)[1];
    }
    return ap;
  }

  /** Trapezoid area under a polyline whose x does not decrease. */
  static double area(List<double[]> points) {
    double a = 0;
    for (int i = 1; i < points.size(); i++) {
      double[] l = points.get(i - 1);
      double[] r = points.get(i);
      a += (r[0] - l[0]) * (l[1] + r[1]) / 2;
    }
    return a;
  }

  /**
   * Reliability points on {@code groups} equal-width score ranges (runs of bins): the mean score,
   * the observed share of positives and the rows of every non-empty range.
   */
  static List<double[]> calibration(
      double[] positives, double[] negatives, double[] scoreSums, int groups) {
    int per = positives.length / groups;
    List<double[]> out = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      double pos = 0;
      double rows = 0;
      double scores = 0;
      for (int b = g * per; b < (g + 1) * per; b++) {
        pos += positives[b];
        rows += positives[b] + negatives[b];
        scores += scoreSums[b];
      }
      if (rows > 0) {
        out.add(new double[] {scores / rows, pos / rows, rows});
      }
    }
    return out;
  }

  static double sum(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s;
  }
}
