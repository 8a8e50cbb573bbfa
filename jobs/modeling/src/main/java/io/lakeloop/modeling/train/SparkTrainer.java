package io.lakeloop.modeling.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.stats.EventStats;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits a network on a {@code JavaRDD<DataSet>} with DL4J's {@link
 * ParameterAveragingTrainingMaster}: each worker trains on its share in minibatches of {@code
 * batchSizePerWorker} and the parameters are averaged every {@code averagingFrequency} minibatches.
 * Epoch by epoch, with early stopping on a validation set: after each epoch the network is
 * evaluated (distributed) on {@code validation}; the parameters of the best epoch are kept and
 * training stops after {@code patience} epochs without improvement. Each epoch logs its loss,
 * validation accuracy and examples per second.
 */
public final class SparkTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(SparkTrainer.class);

  /** How to train; every field comes from config. */
  public record Settings(
      int batchSizePerWorker, int averagingFrequency, int epochs, int patience, long seed) {
    public Settings {
      if (batchSizePerWorker < 1 || averagingFrequency < 1 || epochs < 1 || patience < 1) {
        throw new IllegalArgumentException(
            "batch size per worker, averaging frequency, epochs and patience must be ≥ 1; got "
                + batchSizePerWorker
                + ", "
                + averagingFrequency
                + ", "
                + epochs
                + ", "
                + patience);
      }
    }
  }

  /** One epoch's figures. */
  public record Epoch(
      int epoch, double loss, double validationAccuracy, double examplesPerSecond) {}

  /**
   * The best network (a copy), every epoch's figures, and DL4J's Spark training statistics summed
   * over the run: per statistic (worker-side ones prefixed {@code worker.}) its total milliseconds.
   */
  public record Result(
      MultiLayerNetwork network, int bestEpoch, List<Epoch> epochs, Map<String, Long> statsMillis) {
    /** The epochs' examples per second, averaged (0 without epochs). */
    public double meanExamplesPerSecond() {
      return epochs.stream().mapToDouble(Epoch::examplesPerSecond).average().orElse(0);
    }
  }

  /**
   * DL4J stamps its training statistics with a clock that asks a network time server unless told
   * otherwise; lakeloop runs where there may be none. Executors of a cluster need the same system
   * property (bin/lakeloop and the spark-submit docs pass it).
   */
  private static final String TIME_SOURCE = "org.deeplearning4j.spark.time.TimeSource";

  static {
    if (System.getProperty(TIME_SOURCE) == null) {
      System.setProperty(TIME_SOURCE, "org.deeplearning4j.spark.time.SystemClockTimeSource");
    }
  }

  private SparkTrainer() {}

  /**
   * Trains a copy of {@code initial} (which is left unchanged).
   *
   * @param train the training minibatches (persisted here: every epoch reads the same RDD, which
   *     DL4J needs to reuse its export of the data)
   * @param validation the validation minibatches (classification)
   * @param examples the number of training examples (for examples per second)
   */
  public static Result train(
      JavaSparkContext sc,
      MultiLayerNetwork initial,
      JavaRDD<DataSet> train,
      JavaRDD<DataSet> validation,
      long examples,
      Settings settings) {
    return train(sc, initial, train, validation, examples, settings, List.of());
  }

  /**
   * As {@link #train(JavaSparkContext, MultiLayerNetwork, JavaRDD, JavaRDD, long, Settings)}, with
   * {@code hooks} called on the workers around every minibatch update (e.g. a pruning mask).
   */
  public static Result train(
      JavaSparkContext sc,
      MultiLayerNetwork initial,
      JavaRDD<DataSet> train,
      JavaRDD<DataSet> validation,
      long examples,
      Settings settings,
      List<TrainingHook> hooks) {
    train.persist(StorageLevel.MEMORY_AND_DISK());
    validation.persist(StorageLevel.MEMORY_AND_DISK());
    ParameterAveragingTrainingMaster master =
        new ParameterAveragingTrainingMaster.Builder(settings.batchSizePerWorker())
            .batchSizePerWorker(settings.batchSizePerWorker())
            .averagingFrequency(settings.averagingFrequency())
            .workerPrefetchNumBatches(2)
            .rddTrainingApproach(RDDTrainingApproach.Direct)
            .saveUpdater(true) // the updater's state carries over between epochs
            .rngSeed(settings.seed())
            .collectTrainingStats(true)
            .storageLevel(StorageLevel.MEMORY_AND_DISK())
            .trainingHooks(hooks)
            .build();
    SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, initial.clone(), master);
    List<Epoch> epochs = new ArrayList<>();
    MultiLayerNetwork best = initial.clone();
    double bestAccuracy = Double.NEGATIVE_INFINITY;
    int bestEpoch = 0;
    try {
      for (int e = 1; e <= settings.epochs(); e++) {
        long started = System.nanoTime();
        net.fit(train);
        double seconds = (System.nanoTime() - started) / 1e9;
        Evaluation eval = net.evaluate(validation);
        Epoch epoch = new Epoch(e, net.getScore(), eval.accuracy(), examples / seconds);
        epochs.add(epoch);
        LOG.info(
            String.format(
                Locale.ROOT,
                "train: epoch %d of %d: loss %.5f, validation accuracy %.4f, %.0f examples/s",
                e,
                settings.epochs(),
                epoch.loss(),
                epoch.validationAccuracy(),
                epoch.examplesPerSecond()));
        if (epoch.validationAccuracy() > bestAccuracy) {
          bestAccuracy = epoch.validationAccuracy();
          bestEpoch = e;
          best = net.getNetwork().clone();
        } else if (e - bestEpoch >= settings.patience()) {
          LOG.info(
              "train: stopping early after epoch {}: no better validation accuracy than epoch {}"
                  + " ({}) for {} epochs",
              e,
              bestEpoch,
              bestAccuracy,
              settings.patience());
          break;
        }
      }
    } finally {
      master.deleteTempFiles(sc);
      train.unpersist(false);
      validation.unpersist(false);
    }
    Map<String, Long> stats = new TreeMap<>();
    sum(net.getSparkTrainingStats(), "", stats);
    return new Result(best, bestEpoch, epochs, stats);
  }

  private static void sum(SparkTrainingStats stats, String prefix, Map<String, Long> out) {
    if (stats == null) {
      return;
    }
    for (String key : stats.getKeySet()) {
      long ms = 0;
      for (EventStats e : stats.getValue(key)) {
        ms += e.getDurationMs();
      }
      out.merge(prefix + key, ms, Long::sum);
    }
    sum(stats.getNestedTrainingStats(), "worker.", out);
  }
}
