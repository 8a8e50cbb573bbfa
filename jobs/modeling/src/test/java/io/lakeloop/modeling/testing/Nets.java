package io.lakeloop.modeling.testing;

import io.lakeloop.modeling.model.Networks;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
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
    return Networks.mlp(in, List.of(hidden), out, outActivation, loss, learningRate, seed);
  }
}
