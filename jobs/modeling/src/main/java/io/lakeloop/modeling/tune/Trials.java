package io.lakeloop.modeling.tune;

import io.lakeloop.modeling.model.Hyper;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a rung of trials as one Spark job: one partition, hence one task, per trial, each fitting
 * its configuration with {@link TrialFit} on the broadcast {@link TrialData} in the executor that
 * runs it — so N cores fit N configurations at once. Tasks are queued largest network first, so a
 * big trial does not start last and leave the other cores idle. A trial that throws, or whose loss
 * is not a number, comes back failed with the error; the others are unaffected.
 */
public final class Trials {
  private static final Logger LOG = LoggerFactory.getLogger(Trials.class);

  private Trials() {}

  /** One configuration at one budget: its id (stable across rungs), rung and epochs. */
  public record Trial(int id, int rung, int epochs, Hyper hyper) implements Serializable {}

  /** A trial's outcome: {@code score} is null when it failed, and {@code error} says why. */
  public record Result(Trial trial, TrialFit.Score score, double seconds, String error)
      implements Serializable {
    public boolean ok() {
      return score != null;
    }
  }

  /** The rung's results, in trial id order. One Spark job. */
  public static List<Result> run(
      JavaSparkContext sc, List<Trial> trials, Broadcast<TrialData> data, long seed, TrialFit fit) {
    if (trials.isEmpty()) {
      return List.of();
    }
    TrialData local = data.value();
    List<Trial> queued = new ArrayList<>(trials);
    queued.sort(
        Comparator.comparingLong(
                (Trial t) -> -t.epochs() * t.hyper().parameters(local.inputs(), local.classes()))
            .thenComparingInt(Trial::id));
    List<Result> out =
        new ArrayList<>(
            sc.parallelize(queued, queued.size())
                .map(t -> attempt(t, data.value(), seed, fit))
                .collect());
    out.sort(Comparator.comparingInt(r -> r.trial().id()));
    return out;
  }

  /** Fits one trial where it is called, catching its failure. */
  public static Result attempt(Trial t, TrialData data, long seed, TrialFit fit) {
    long started = System.nanoTime();
    try {
      TrialFit.Score s = fit.fit(t.hyper(), t.epochs(), data, seed);
      double seconds = (System.nanoTime() - started) / 1e9;
      if (Double.isNaN(s.logLoss())) {
        return new Result(t, null, seconds, "diverged: the validation loss is not a number");
      }
      return new Result(t, s, seconds, null);
    } catch (RuntimeException | OutOfMemoryError e) {
      LOG.warn("tune: trial {} ({}) failed", t.id(), t.hyper(), e);
      return new Result(t, null, (System.nanoTime() - started) / 1e9, e.toString());
    }
  }
}
