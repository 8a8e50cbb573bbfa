package io.lakeloop.modeling.model;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * One point of the search space: how a network is shaped and trained. Serializable: a trial's
 * configuration travels to the Spark task that fits it.
 *
 * @param learningRate Adam's step size
 * @param hidden ReLU layer widths
 * @param l2 the L2 penalty on every weight matrix
 * @param dropout the probability of dropping a hidden activation in training
 * @param batchSize the minibatch size
 */
public record Hyper(
    double learningRate, List<Integer> hidden, double l2, double dropout, int batchSize)
    implements Serializable {
  public Hyper {
    hidden = List.copyOf(hidden);
    if (!(learningRate > 0) || !(l2 >= 0) || !(dropout >= 0 && dropout < 1) || batchSize < 1) {
      throw new IllegalArgumentException(
          "a configuration needs learning rate > 0, l2 ≥ 0, dropout in [0, 1) and batch size ≥ 1;"
              + " got "
              + this);
    }
  }

  /** An initialised classifier of this shape (softmax, cross-entropy), weights drawn from seed. */
  public MultiLayerNetwork classifier(int inputs, int classes, long seed) {
    return Networks.classifier(inputs, hidden, classes, learningRate, l2, dropout, seed);
  }

  /** The number of weights and biases of the network this configuration gives. */
  public long parameters(int inputs, int outputs) {
    long n = 0;
    int width = inputs;
    for (int h : hidden) {
      n += (long) width * h + h;
      width = h;
    }
    return n + (long) width * outputs + outputs;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "lr %s, hidden %s, l2 %s, dropout %s, batch %d",
        learningRate,
        hidden,
        l2,
        dropout,
        batchSize);
  }
}
