package io.lakeloop.modeling.tune;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.model.Hyper;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;

/**
 * Trials as Spark tasks with real DL4J fits on a small separable problem: a trial that throws is
 * recorded failed and the search goes on, and the same trial fits to the same figures in another
 * task and another job.
 */
class TrialsTest extends SparkTestBase {
  /** y = 1 when x0 + x1 > 0, two Gaussian features. */
  private static TrialData data(int train, int valid) {
    Random r = new Random(3);
    float[][][] t = rows(r, train);
    float[][][] v = rows(r, valid);
    return new TrialData(t[0], t[1], v[0], v[1]);
  }

  private static float[][][] rows(Random r, int n) {
    float[][] x = new float[n][];
    float[][] y = new float[n][];
    for (int i = 0; i < n; i++) {
      x[i] = new float[] {(float) r.nextGaussian(), (float) r.nextGaussian()};
      y[i] = x[i][0] + x[i][1] > 0 ? new float[] {0, 1} : new float[] {1, 0};
    }
    return new float[][][] {x, y};
  }

  @Test
  void aThrowingTrialIsRecordedFailedAndTheOthersAreReproducible() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
    Broadcast<TrialData> shared = sc.broadcast(data(600, 300));
    List<Hyper> configurations = new ArrayList<>();
    for (double lr : new double[] {0.01, 0.05}) {
      for (int width : new int[] {4, 16}) {
        configurations.add(new Hyper(lr, List.of(width), 0, width == 16 ? 0.2 : 0, 32));
      }
    }
    // a fit that fails for one configuration, as a trial that runs out of memory would
    TrialFit failing =
        (h, epochs, d, seed) -> {
          if (h.learningRate() == 0.05 && h.hidden().get(0) == 16) {
            throw new IllegalStateException("trial blew up");
          }
          return TrialFit.DL4J.fit(h, epochs, d, seed);
        };
    Search.Outcome o =
        Search.run(
            configurations, List.of(2, 4), 2, trials -> Trials.run(sc, trials, shared, 7, failing));
    Trials.Result failed =
        o.entries().stream()
            .map(Search.Entry::result)
            .filter(r -> !r.ok())
            .findFirst()
            .orElseThrow();
    assertThat(failed.trial().id()).isEqualTo(3);
    assertThat(failed.error()).contains("IllegalStateException").contains("trial blew up");
    assertThat(o.failed()).isEqualTo(1);
    // the search went on: two rungs, the others scored, a winner that did not fail
    assertThat(o.entries()).hasSize(4 + 2);
    Trials.Result winner = o.winner().orElseThrow();
    assertThat(winner.trial().id()).isNotEqualTo(3);
    assertThat(winner.score().accuracy()).isGreaterThan(0.9); // a separable problem
    // the winner again, in this thread instead of a task: the same figures to the last bit
    Trials.Result again = Trials.attempt(winner.trial(), data(600, 300), 7, TrialFit.DL4J);
    assertThat(again.score()).isEqualTo(winner.score());
    // a different seed draws other weights and batches
    assertThat(Trials.attempt(winner.trial(), data(600, 300), 8, TrialFit.DL4J).score().logLoss())
        .isNotEqualTo(winner.score().logLoss());
    shared.destroy();
  }

  @Test
  void scoresAreAccuracyAndLogLossOfTheProbabilities() {
    float[][] p = {{0.9f, 0.1f}, {0.4f, 0.6f}, {0.7f, 0.3f}};
    float[][] y = {{1, 0}, {1, 0}, {0, 1}};
    TrialFit.Score s = TrialFit.score(p, y, 2);
    assertThat(s.accuracy()).isEqualTo(1.0 / 3);
    // -(ln 0.9 + ln 0.4 + ln 0.3) / 3, with float probabilities
    double expected = -(Math.log(0.9f) + Math.log(0.4f) + Math.log(0.3f)) / 3;
    assertThat(s.logLoss()).isEqualTo(expected);
  }
}
