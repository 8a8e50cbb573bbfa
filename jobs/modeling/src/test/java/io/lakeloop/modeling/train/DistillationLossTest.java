package io.lakeloop.modeling.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.File;
import java.nio.file.Files;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The loss against the formula computed in plain Java, DL4J's numerical gradient check through a
 * network, and a save/load round trip of a network using it.
 */
class DistillationLossTest {
  private static final int CLASSES = 3;

  private static MultiLayerNetwork net(DistillationLoss loss) {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(12)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build())
                .layer(
                    new OutputLayer.Builder()
                        .lossFunction(loss)
                        .nIn(5)
                        .nOut(CLASSES)
                        .activation(Activation.IDENTITY)
                        .build())
                .build());
    net.init();
    return net;
  }

  /** Rows of [one-hot | softmax(random logits / 2)]. */
  private static double[][] labels(int n, Random random) {
    double[][] out = new double[n][2 * CLASSES];
    for (int i = 0; i < n; i++) {
      out[i][random.nextInt(CLASSES)] = 1;
      double[] p = softmax(new double[] {random.nextGaussian(), random.nextGaussian(), 0}, 2);
      System.arraycopy(p, 0, out[i], CLASSES, CLASSES);
    }
    return out;
  }

  private static double[] softmax(double[] z, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v / t);
    }
    double sum = 0;
    double[] out = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      out[i] = Math.exp(z[i] / t - max);
      sum += out[i];
    }
    for (int i = 0; i < z.length; i++) {
      out[i] /= sum;
    }
    return out;
  }

  @Test
  void scoreIsHintonsFormula() {
    Random random = new Random(4);
    double alpha = 0.7;
    double t = 3;
    double[][] logits = new double[20][CLASSES];
    for (double[] row : logits) {
      for (int j = 0; j < CLASSES; j++) {
        row[j] = 2 * random.nextGaussian();
      }
    }
    double[][] labels = labels(20, random);
    double expected = 0;
    for (int i = 0; i < 20; i++) {
      double[] q = softmax(logits[i], 1);
      double[] qt = softmax(logits[i], t);
      double ce = 0;
      double kl = 0;
      for (int j = 0; j < CLASSES; j++) {
        ce -= labels[i][j] * Math.log(q[j]);
        double p = labels[i][CLASSES + j];
        kl += p * Math.log(p / qt[j]);
      }
      expected += (1 - alpha) * ce + alpha * t * t * kl;
    }
    DistillationLoss loss = new DistillationLoss(alpha, t);
    double got =
        loss.computeScore(
            Nd4j.createFromArray(labels),
            Nd4j.createFromArray(logits),
            new ActivationIdentity(),
            null,
            true);
    assertThat(got).isCloseTo(expected / 20, within(1e-9));
  }

  @Test
  void gradientsMatchNumericalOnesForEveryMix() {
    DataType before = Nd4j.dataType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE); // the check needs double precision
    try {
      check();
    } finally {
      Nd4j.setDefaultDataTypes(before, before);
    }
  }

  private static void check() {
    Random random = new Random(9);
    INDArray input = Nd4j.rand(DataType.DOUBLE, 10, 4).subi(0.5).muli(4);
    INDArray labels = Nd4j.createFromArray(labels(10, random));
    for (double[] at : new double[][] {{0.7, 3}, {0, 1}, {1, 5}, {0.5, 0.5}}) {
      MultiLayerNetwork net = net(new DistillationLoss(at[0], at[1]));
      boolean ok =
          GradientCheckUtil.checkGradients(
              new GradientCheckUtil.MLNConfig()
                  .net(net)
                  .input(input)
                  .labels(labels)
                  .epsilon(1e-6)
                  .maxRelError(1e-3)
                  .minAbsoluteError(1e-8));
      assertThat(ok).as("alpha=%s, T=%s", at[0], at[1]).isTrue();
    }
  }

  @Test
  void aNetworkUsingItSurvivesSaveAndLoad() throws Exception {
    MultiLayerNetwork net = net(new DistillationLoss(0.25, 4));
    File file = Files.createTempFile("distilled", ".zip").toFile();
    file.deleteOnExit();
    ModelSerializer.writeModel(net, file, false);
    MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(file, false);
    OutputLayer layer = (OutputLayer) back.getLayerWiseConfigurations().getConf(1).getLayer();
    assertThat(layer.getLossFn()).isEqualTo(new DistillationLoss(0.25, 4));
    INDArray input = Nd4j.rand(DataType.DOUBLE, 5, 4);
    assertThat(back.output(input)).isEqualTo(net.output(input));
  }

  @Test
  void refusesSettingsAndLabelsItCannotUse() {
    assertThatThrownBy(() -> new DistillationLoss(1.5, 2)).hasMessageContaining("alpha");
    assertThatThrownBy(() -> new DistillationLoss(0.5, 0)).hasMessageContaining("temperature");
    DistillationLoss loss = new DistillationLoss(0.5, 2);
    assertThatThrownBy(
            () ->
                loss.computeScore(
                    Nd4j.zeros(DataType.DOUBLE, 2, CLASSES),
                    Nd4j.zeros(DataType.DOUBLE, 2, CLASSES),
                    new ActivationIdentity(),
                    null,
                    true))
        .hasMessageContaining("[hard one-hot | teacher probabilities], 6 columns for 3 classes");
  }
}
