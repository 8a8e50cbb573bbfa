package io.lakeloop.modeling.tune;

import io.lakeloop.modeling.model.Hyper;
import java.io.Serializable;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fits one configuration in the calling thread: plain DL4J, no Spark. Each epoch visits the
 * training rows in an order drawn from the seed, in minibatches of the configuration's size; after
 * each epoch the network (dropout off) is scored on the validation rows. The result is the best
 * epoch's: highest accuracy, ties to the lower log loss — as {@code train} keeps its best epoch.
 * The same configuration, data, epochs and seed give the same figures.
 */
@FunctionalInterface
public interface TrialFit extends Serializable {

  /** A trial's figures: validation accuracy and log loss of the best epoch, and its number. */
  record Score(double accuracy, double logLoss, int bestEpoch) implements Serializable {}

  Score fit(Hyper hyper, int epochs, TrialData data, long seed);

  /** The network of a trial's best epoch (a copy) and its figures. */
  record Fitted(MultiLayerNetwork network, Score score) {}

  /** The fit lakeloop uses. */
  TrialFit DL4J = (hyper, epochs, data, seed) -> train(hyper, epochs, data, seed).score();

  /** Fits as {@link #DL4J} does, keeping the best epoch's network. */
  static Fitted train(Hyper hyper, int epochs, TrialData data, long seed) {
    MultiLayerNetwork net = hyper.classifier(data.inputs(), data.classes(), seed);
    int n = data.trainX().length;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Random rng = new Random(seed);
    INDArray validX = Nd4j.create(data.validX());
    Score best = null;
    MultiLayerNetwork bestNetwork = null;
    for (int e = 1; e <= epochs; e++) {
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (int from = 0; from < n; from += hyper.batchSize()) {
        int size = Math.min(hyper.batchSize(), n - from);
        float[][] x = new float[size][];
        float[][] y = new float[size][];
        for (int k = 0; k < size; k++) {
          x[k] = data.trainX()[order[from + k]];
          y[k] = data.trainY()[order[from + k]];
        }
        net.fit(new DataSet(Nd4j.create(x), Nd4j.create(y)));
      }
      Score s = score(net.output(validX, false).toFloatMatrix(), data.validY(), e);
      if (best == null || better(s, best)) {
        best = s;
        bestNetwork = net.clone();
      }
    }
    return new Fitted(bestNetwork, best);
  }

  /** Accuracy (arg-max) and log loss (probabilities clipped at 1e-15) against one-hot labels. */
  public static Score score(float[][] probabilities, float[][] labels, int epoch) {
    int right = 0;
    double loss = 0;
    for (int i = 0; i < labels.length; i++) {
      int truth = argMax(labels[i]);
      if (argMax(probabilities[i]) == truth) {
        right++;
      }
      loss -= Math.log(Math.max(probabilities[i][truth], 1e-15));
    }
    return new Score((double) right / labels.length, loss / labels.length, epoch);
  }

  private static int argMax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Higher accuracy, then lower log loss (a NaN loss is worse than any number). */
  static boolean better(Score a, Score b) {
    if (a.accuracy() != b.accuracy()) {
      return a.accuracy() > b.accuracy();
    }
    return Double.compare(a.logLoss(), b.logLoss()) < 0 && !Double.isNaN(a.logLoss());
  }
}
