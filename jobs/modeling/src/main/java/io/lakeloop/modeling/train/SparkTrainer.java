package io.lakeloop.modeling.train;

import io.lakeloop.modeling.model.BroadcastNetwork;
import io.lakeloop.modeling.model.Networks;
import java.util.ArrayList;
import java.util.Iterator;
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

  /**
   * How to train; every field comes from config. {@code stopOnLoss}: the best epoch is the one of
   * the lowest validation loss (the network's score on the validation set, averaged per example:
   * one more distributed pass per epoch) instead of the highest validation accuracy, which on a
   * small validation set moves in steps and stops too early. {@code regression}: the network
   * predicts one standardised value; the validation loss is its mean squared error, always the
   * criterion (there is no accuracy).
   */
  public record Settings(
      int batchSizePerWorker,
      int averagingFrequency,
      int epochs,
      int patience,
      long seed,
      boolean stopOnLoss,
      boolean regression) {
    public Settings(
        int batchSizePerWorker, int averagingFrequency, int epochs, int patience, long seed) {
      this(batchSizePerWorker, averagingFrequency, epochs, patience, seed, false, false);
    }

    public Settings(
        int batchSizePerWorker,
        int averagingFrequency,
        int epochs,
        int patience,
        long seed,
        boolean stopOnLoss) {
      this(batchSizePerWorker, averagingFrequency, epochs, patience, seed, stopOnLoss, false);
    }

    /** Whether the best epoch is the lowest validation loss (always, for a regression). */
    public boolean onLoss() {
      return stopOnLoss || regression;
    }

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

  /**
   * One epoch's figures; the validation loss is NaN unless early stopping is on the loss, the
   * validation accuracy NaN for a regression.
   */
  public record Epoch(
      int epoch,
      double loss,
      double validationAccuracy,
      double validationLoss,
      double examplesPerSecond) {}

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
    double bestValue = Double.NEGATIVE_INFINITY; // accuracy, or minus the loss
    int bestEpoch = 0;
    try {
      for (int e = 1; e <= settings.epochs(); e++) {
        long started = System.nanoTime();
        net.fit(train);
        double seconds = (System.nanoTime() - started) / 1e9;
        double accuracy =
            settings.regression() ? Double.NaN : net.<Evaluation>evaluate(validation).accuracy();
        double validationLoss =
            settings.onLoss()
                ? validationLoss(sc, net.getNetwork(), validation, settings.regression())
                : Double.NaN;
        Epoch epoch = new Epoch(e, net.getScore(), accuracy, validationLoss, examples / seconds);
        epochs.add(epoch);
        LOG.info(
            String.format(
                Locale.ROOT,
                "train: epoch %d of %d: loss %.5f%s%s, %.0f examples/s",
                e,
                settings.epochs(),
                epoch.loss(),
                settings.regression()
                    ? ""
                    : String.format(
                        Locale.ROOT, ", validation accuracy %.4f", epoch.validationAccuracy()),
                settings.onLoss()
                    ? String.format(Locale.ROOT, ", validation loss %.5f", validationLoss)
                    : "",
                epoch.examplesPerSecond()));
        double value = settings.onLoss() ? -validationLoss : epoch.validationAccuracy();
        if (value > bestValue) {
          bestValue = value;
          bestEpoch = e;
          best = net.getNetwork().clone();
        } else if (e - bestEpoch >= settings.patience()) {
          LOG.info(
              "train: stopping early after epoch {}: no better validation {} than epoch {} for {}"
                  + " epochs",
              e,
              settings.onLoss() ? "loss" : "accuracy",
              bestEpoch,
              settings.patience());
          break;
        }
      }
    } finally {
      master.deleteTempFiles(sc);
      // Blocking: compress calls this once per pruning step with the same RDDs, and a removal
      // still running when the next step caches and reads them again deleted the new blocks
      // under a task ("Block rdd_…_2 does not exist", seen once in CI).
      train.unpersist(true);
      validation.unpersist(true);
    }
    Map<String, Long> stats = new TreeMap<>();
    sum(net.getSparkTrainingStats(), "", stats);
    return new Result(best, bestEpoch, epochs, stats);
  }

  /**
   * A classifier's mean cross-entropy of its class probabilities (softmax of its output, as {@link
   * Networks#asClassifier} makes it: a distilled student outputs logits) against the validation
   * labels; a regressor's mean squared error against the (standardised) labels. The penalty terms
   * of the training loss are not in it. One Spark job; the network is broadcast. DL4J's own {@code
   * calculateScore} is not used: in 1.0.0-M2 it releases the parameters' buffer that the next
   * epoch's parameter averaging then broadcasts.
   */
  static double validationLoss(
      JavaSparkContext sc, MultiLayerNetwork net, JavaRDD<DataSet> validation, boolean regression) {
    BroadcastNetwork shipped =
        BroadcastNetwork.of(sc, regression ? net : Networks.asClassifier(net));
    double[] sums =
        validation
            .mapPartitions(batches -> loss(shipped, batches, regression))
            .fold(new double[2], (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
    return sums[0] / sums[1];
  }

  /**
   * {sum of −ln p(label) (classifier) or of the squared error (regressor), rows} over one
   * partition's minibatches.
   */
  private static Iterator<double[]> loss(
      BroadcastNetwork shipped, Iterator<DataSet> batches, boolean regression) {
    MultiLayerNetwork local = null;
    double loss = 0;
    long rows = 0;
    while (batches.hasNext()) {
      DataSet b = batches.next();
      if (local == null) {
        local = shipped.network();
      }
      float[][] p = local.output(b.getFeatures(), false).toFloatMatrix();
      float[][] y = b.getLabels().toFloatMatrix();
      for (int i = 0; i < p.length; i++) {
        for (int k = 0; k < y[i].length; k++) {
          if (regression) {
            double err = p[i][k] - y[i][k];
            loss += err * err;
          } else if (y[i][k] > 0) {
            loss -= y[i][k] * Math.log(Math.max(p[i][k], 1e-15));
          }
        }
        rows++;
      }
    }
    return List.of(new double[] {loss, rows}).iterator();
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
