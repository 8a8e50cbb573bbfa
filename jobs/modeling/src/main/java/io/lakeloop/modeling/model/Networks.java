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

/** The networks lakeloop trains: multilayer perceptrons built from configuration. */
public final class Networks {
  private Networks() {}

  /**
   * An initialised network: {@code in} inputs, a ReLU dense layer per entry of {@code hidden}, then
   * an output layer of {@code out} units with {@code outActivation} and {@code loss}; Adam at
   * {@code learningRate}; weights drawn from {@code seed}.
   */
  public static MultiLayerNetwork mlp(
      int in,
      List<Integer> hidden,
      int out,
      Activation outActivation,
      ILossFunction loss,
      double learningRate,
      long seed) {
    NeuralNetConfiguration.ListBuilder b =
        new NeuralNetConfiguration.Builder().seed(seed).updater(new Adam(learningRate)).list();
    int width = in;
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("a hidden layer needs at least 1 unit; got " + hidden);
      }
      b.layer(new DenseLayer.Builder().nIn(width).nOut(h).activation(Activation.RELU).build());
      width = h;
    }
    b.layer(
        new OutputLayer.Builder()
            .lossFunction(loss)
            .nIn(width)
            .nOut(out)
            .activation(outActivation)
            .build());
    MultiLayerNetwork net = new MultiLayerNetwork(b.build());
    net.init();
    return net;
  }

  /** A classifier: softmax output trained with cross-entropy. */
  public static MultiLayerNetwork classifier(
      int in, List<Integer> hidden, int classes, double learningRate, long seed) {
    return mlp(in, hidden, classes, Activation.SOFTMAX, new LossMCXENT(), learningRate, seed);
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
