package io.lakeloop.modeling.testing;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** The small networks the training tests use: one ReLU hidden layer, then the output layer. */
public final class Nets {
  private Nets() {}

  /** An initialised in → hidden (ReLU) → out network trained with Adam at {@code learningRate}. */
  public static MultiLayerNetwork mlp(
      int in,
      int hidden,
      int out,
      Activation outActivation,
      ILossFunction loss,
      double learningRate,
      long seed) {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(learningRate))
                .list()
                .layer(
                    new DenseLayer.Builder()
                        .nIn(in)
                        .nOut(hidden)
                        .activation(Activation.RELU)
                        .build())
                .layer(
                    new OutputLayer.Builder()
                        .lossFunction(loss)
                        .nIn(hidden)
                        .nOut(out)
                        .activation(outActivation)
                        .build())
                .build());
    net.init();
    return net;
  }
}
