package io.lakeloop.monitoring.drift;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * The textbook computation multivariate drift is checked against: standardize the baseline's rows
 * (population sd), take the PCA from Commons Math's SVD of that matrix, keep the fewest components
 * explaining more than the share, and average each window row's squared distance to its
 * reconstruction — row by row, nothing from {@link Moments}.
 */
final class PcaReference {
  private PcaReference() {}

  /** The mean squared residual of {@code window}'s rows after a PCA of {@code baseline}'s. */
  static double error(double[][] baseline, double[][] window, double share) {
    int n = baseline.length;
    int k = baseline[0].length;
    double[] mean = new double[k];
    double[] sd = new double[k];
    for (double[] r : baseline) {
      for (int j = 0; j < k; j++) {
        mean[j] += r[j] / n;
      }
    }
    for (double[] r : baseline) {
      for (int j = 0; j < k; j++) {
        sd[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / n;
      }
    }
    for (int j = 0; j < k; j++) {
      sd[j] = Math.sqrt(sd[j]);
    }
    double[][] z = new double[n][k];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < k; j++) {
        z[i][j] = (baseline[i][j] - mean[j]) / sd[j];
      }
    }
    SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(z));
    double[] s = svd.getSingularValues(); // descending
    double total = 0;
    for (double v : s) {
      total += v * v;
    }
    int keep = 0;
    double explained = 0;
    while (explained <= share * total) {
      explained += s[keep] * s[keep];
      keep++;
    }
    RealMatrix v = svd.getV().getSubMatrix(0, k - 1, 0, keep - 1);
    double sum = 0;
    for (double[] r : window) {
      double[] w = new double[k];
      for (int j = 0; j < k; j++) {
        w[j] = (r[j] - mean[j]) / sd[j];
      }
      double[] back = v.operate(v.transpose().operate(w));
      for (int j = 0; j < k; j++) {
        sum += (w[j] - back[j]) * (w[j] - back[j]);
      }
    }
    return sum / window.length;
  }
}
