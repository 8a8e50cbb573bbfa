package io.lakeloop.modeling.model;

import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/** The networks lakeloop trains: multilayer perceptrons built from configuration. */
public final class Networks {
  private Networks() {}

  /**
   * An initialised network: {@code in} inputs, a ReLU dense layer per entry of {@code hidden}, then
   * an output layer of {@code out} units with {@code outActivation} and {@code loss}; Adam at
   * {@code learningRate}; weights drawn from {@code seed}; no regularisation.
   */
  public static MultiLayerNetwork mlp(
      int in,
      List<Integer> hidden,
      int out,
      Activation outActivation,
      ILossFunction loss,
      double learningRate,
      long seed) {
    return mlp(in, hidden, out, outActivation, loss, learningRate, 0, 0, seed);
  }

  /**
   * As {@link #mlp(int, List, int, Activation, ILossFunction, double, long)}, with an L2 penalty
   * {@code l2} on every weight matrix and {@code dropout}, the probability of dropping a hidden
   * unit's activation during training (0: none; the raw inputs are never dropped). DL4J's own
   * dropout parameter is the probability of keeping a unit, hence {@code 1 - dropout}.
   */
  public static MultiLayerNetwork mlp(
      int in,
      List<Integer> hidden,
      int out,
      Activation outActivation,
      ILossFunction loss,
      double learningRate,
      double l2,
      double dropout,
      long seed) {
    if (!(l2 >= 0) || !(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException(
          "l2 must be ≥ 0 and dropout in [0, 1); got l2 " + l2 + ", dropout " + dropout);
    }
    NeuralNetConfiguration.Builder conf =
        new NeuralNetConfiguration.Builder().seed(seed).updater(new Adam(learningRate));
    if (l2 > 0) {
      conf.l2(l2);
    }
    NeuralNetConfiguration.ListBuilder b = conf.list();
    int width = in;
    boolean first = true;
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("a hidden layer needs at least 1 unit; got " + hidden);
      }
      DenseLayer.Builder layer =
          new DenseLayer.Builder().nIn(width).nOut(h).activation(Activation.RELU);
      if (dropout > 0 && !first) {
        layer.dropOut(1 - dropout); // a layer's dropout applies to its input
      }
      b.layer(layer.build());
      width = h;
      first = false;
    }
    OutputLayer.Builder output =
        new OutputLayer.Builder().lossFunction(loss).nIn(width).nOut(out).activation(outActivation);
    if (dropout > 0 && !first) {
      output.dropOut(1 - dropout);
    }
    b.layer(output.build());
    MultiLayerNetwork net = new MultiLayerNetwork(b.build());
    net.init();
    return net;
  }

  /** A classifier: softmax output trained with cross-entropy. */
  public static MultiLayerNetwork classifier(
      int in, List<Integer> hidden, int classes, double learningRate, long seed) {
    return mlp(in, hidden, classes, Activation.SOFTMAX, new LossMCXENT(), learningRate, seed);
  }

  /** A classifier with an L2 penalty and dropout (see {@link #mlp}). */
  public static MultiLayerNetwork classifier(
      int in,
      List<Integer> hidden,
      int classes,
      double learningRate,
      double l2,
      double dropout,
      long seed) {
    return mlp(
        in, hidden, classes, Activation.SOFTMAX, new LossMCXENT(), learningRate, l2, dropout, seed);
  }

  /**
   * A regressor: one identity output trained with the mean squared error, on targets the feature
   * encoding standardises (so one learning rate suits any label scale).
   */
  public static MultiLayerNetwork regressor(
      int in, List<Integer> hidden, double learningRate, double l2, double dropout, long seed) {
    return mlp(in, hidden, 1, Activation.IDENTITY, new LossMSE(), learningRate, l2, dropout, seed);
  }

  /**
   * The same network for inference as a classifier: its output layer switched to softmax with
   * cross-entropy, parameters unchanged. A distilled student is trained on logits (identity output,
   * {@code DistillationLoss}); this makes its output class probabilities, so it scores, evaluates
   * and serves like any other classifier. A network that already ends in softmax comes back as an
   * equal copy.
   */
  public static MultiLayerNetwork asClassifier(MultiLayerNetwork trained) {
    MultiLayerConfiguration conf =
        MultiLayerConfiguration.fromJson(trained.getLayerWiseConfigurations().toJson());
    int last = conf.getConfs().size() - 1;
    OutputLayer out = (OutputLayer) conf.getConf(last).getLayer();
    out.setActivationFn(new ActivationSoftmax());
    out.setLossFn(new LossMCXENT());
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init(trained.params().dup(), false);
    return net;
  }
}
