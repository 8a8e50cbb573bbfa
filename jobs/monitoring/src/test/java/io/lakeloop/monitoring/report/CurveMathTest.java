package io.lakeloop.monitoring.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The report's curves from binned scores against the definitions computed directly on the rows:
 * ROC-AUC as the share of correctly ranked positive/negative pairs (ties half), average precision
 * over distinct thresholds, calibration means per score range.
 */
class CurveMathTest {
  private static final int BINS = 1000;

  private record Data(double[] scores, boolean[] positive) {}

  private static Data data(long seed, int n, boolean onBinCentres) {
    Random r = new Random(seed);
    double[] s = new double[n];
    boolean[] y = new boolean[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextDouble() < 0.3;
      double z = r.nextGaussian() + (y[i] ? 1.0 : 0.0);
      double p = 1 / (1 + Math.exp(-z));
      s[i] = onBinCentres ? (Math.min(BINS - 1, Math.floor(p * BINS)) + 0.5) / BINS : p;
      // a few exact ties and extremes
      if (i % 97 == 0) {
        s[i] = onBinCentres ? 0.5005 : 0.5;
      }
    }
    return new Data(s, y);
  }

  private static double[][] bin(Data d) {
    double[][] b = new double[3][BINS];
    for (int i = 0; i < d.scores().length; i++) {
      int k = (int) Math.min(BINS - 1, Math.floor(d.scores()[i] * BINS));
      b[d.positive()[i] ? 0 : 1][k]++;
      b[2][k] += d.scores()[i];
    }
    return b;
  }

  private static double exactAuc(Data d) {
    double good = 0;
    double pairs = 0;
    for (int i = 0; i < d.scores().length; i++) {
      if (!d.positive()[i]) {
        continue;
      }
      for (int j = 0; j < d.scores().length; j++) {
        if (d.positive()[j]) {
          continue;
        }
        pairs++;
        good += d.scores()[i] > d.scores()[j] ? 1 : d.scores()[i] == d.scores()[j] ? 0.5 : 0;
      }
    }
    return good / pairs;
  }

  /** AP = sum over distinct thresholds (descending) of (R_k - R_k-1) * P_k, on the rows. */
  private static double exactAveragePrecision(Data d) {
    List<double[]> rows = new ArrayList<>();
    double positives = 0;
    for (int i = 0; i < d.scores().length; i++) {
      rows.add(new double[] {d.scores()[i], d.positive()[i] ? 1 : 0});
      positives += d.positive()[i] ? 1 : 0;
    }
    rows.sort((a, b) -> Double.compare(b[0], a[0]));
    double tp = 0;
    double seen = 0;
    double ap = 0;
    double lastRecall = 0;
    for (int i = 0; i < rows.size(); i++) {
      tp += rows.get(i)[1];
      seen++;
      if (i + 1 == rows.size() || rows.get(i + 1)[0] != rows.get(i)[0]) {
        double recall = tp / positives;
        ap += (recall - lastRecall) * (tp / seen);
        lastRecall = recall;
      }
    }
    return ap;
  }

  @Test
  void rocAreaIsTheRankAucWithinTheSameBinPairBound() {
    for (long seed = 1; seed <= 4; seed++) {
      Data d = data(seed, 3000, false);
      double[][] b = bin(d);
      double p = CurveMath.sum(b[0]);
      double n = CurveMath.sum(b[1]);
      double shared = 0;
      for (int k = 0; k < BINS; k++) {
        shared += b[0][k] * b[1][k];
      }
      double bound = 0.5 * shared / (p * n);
      List<double[]> roc = CurveMath.roc(b[0], b[1]);
      assertThat(roc.get(0)).containsExactly(0, 0);
      assertThat(roc.get(roc.size() - 1)).containsExactly(1, 1);
      assertThat(CurveMath.area(roc)).isCloseTo(exactAuc(d), within(bound + 1e-12));
      assertThat(bound).isLessThan(1e-3);
    }
  }

  @Test
  void scoresThatAreBinCentresGiveTheExactAucAndAveragePrecision() {
    Data d = data(7, 2500, true);
    double[][] b = bin(d);
    assertThat(CurveMath.area(CurveMath.roc(b[0], b[1]))).isCloseTo(exactAuc(d), within(1e-12));
    assertThat(CurveMath.averagePrecision(CurveMath.precisionRecall(b[0], b[1])))
        .isCloseTo(exactAveragePrecision(d), within(1e-12));
  }

  @Test
  void calibrationPointsAreMeanScoreAndPositiveRatePerRange() {
    Data d = data(3, 4000, false);
    double[][] b = bin(d);
    List<double[]> points = CurveMath.calibration(b[0], b[1], b[2], 10);
    double[] sum = new double[10];
    double[] pos = new double[10];
    double[] rows = new double[10];
    for (int i = 0; i < d.scores().length; i++) {
      int g = (int) Math.min(9, Math.floor(d.scores()[i] * 10));
      sum[g] += d.scores()[i];
      pos[g] += d.positive()[i] ? 1 : 0;
      rows[g]++;
    }
    int j = 0;
    for (int g = 0; g < 10; g++) {
      if (rows[g] == 0) {
        continue;
      }
      double[] pt = points.get(j++);
      assertThat(pt[0]).isCloseTo(sum[g] / rows[g], within(1e-12));
      assertThat(pt[1]).isCloseTo(pos[g] / rows[g], within(1e-12));
      assertThat(pt[2]).isEqualTo(rows[g]);
    }
    assertThat(j).isEqualTo(points.size());
  }

  @Test
  void noPositivesOrNoNegativesDrawNoRoc() {
    assertThat(CurveMath.roc(new double[] {0, 0}, new double[] {1, 2})).isEmpty();
    assertThat(CurveMath.roc(new double[] {1, 0}, new double[] {0, 0})).isEmpty();
    assertThat(CurveMath.precisionRecall(new double[] {0, 0}, new double[] {1, 2})).isEmpty();
  }
}
