package io.lakeloop.modeling.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.modeling.compress.PruningMask;
import io.lakeloop.modeling.model.Networks;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class CompactArtifactTest {
  @TempDir Path tmp;

  private static final FeatureEncoding ENCODING =
      new FeatureEncoding(
          List.of(new FeatureEncoding.Numeric("a", 0, 1), new FeatureEncoding.Numeric("b", 2, 3)),
          List.of(new FeatureEncoding.Categorical("c", List.of("x", "y", "z"))));

  private static MultiLayerNetwork net(long seed) {
    return Networks.classifier(ENCODING.width(), List.of(256, 128), 3, 0.01, seed);
  }

  @Test
  void aLoadedCompactModelPredictsExactlyAsTheQuantizedModelInEveryLayout() {
    INDArray x = Nd4j.rand(DataType.FLOAT, 50, ENCODING.width());
    Map<Double, String> layoutOfFirstLayer = Map.of(0.0, "dense", 0.8, "bitmap", 0.995, "csr");
    for (Map.Entry<Double, String> c : layoutOfFirstLayer.entrySet()) {
      for (boolean asymmetric : new boolean[] {false, true}) {
        MultiLayerNetwork net = net(7);
        if (c.getKey() > 0) {
          PruningMask.prune(net, c.getKey(), false, false);
        }
        File f = tmp.resolve("m-" + c.getKey() + "-" + asymmetric + ".llc").toFile();
        Map<Integer, CompactArtifact.Stored> stored =
            CompactArtifact.write(net, ENCODING, asymmetric, f);
        assertThat(stored.get(1).layout()).as("%s", c).isEqualTo(c.getValue());
        ModelArtifact loaded = CompactArtifact.read(f);
        assertThat(loaded.encoding()).isEqualTo(ENCODING);
        MultiLayerNetwork expected = CompactArtifact.quantized(net, asymmetric);
        assertThat(loaded.network().output(x, false))
            .as("%s asymmetric=%s", c, asymmetric)
            .isEqualTo(expected.output(x, false));
        // pruned weights are still exactly zero after the round trip
        INDArray w = loaded.network().getLayer(1).paramTable().get("W");
        assertThat(CompactModel.sparsity(w.dup('c').data().asFloat()))
            .isGreaterThanOrEqualTo(Math.floor(c.getKey() * 256 * 128) / (256 * 128));
      }
    }
  }

  @Test
  void theSparkFreeForwardPassAgreesWithDl4jForEveryLayoutAndActivation() {
    float[][] rows = new float[40][];
    Random r = new Random(11);
    for (int i = 0; i < rows.length; i++) {
      rows[i] =
          ENCODING.encode(
              new Double[] {r.nextGaussian(), i % 7 == 0 ? null : 2 + 3 * r.nextGaussian()},
              new String[] {List.of("x", "y", "z", "w").get(i % 4)});
    }
    MultiLayerNetwork mixed =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .seed(5)
                .list()
                .layer(dense(ENCODING.width(), 32, Activation.TANH))
                .layer(dense(32, 16, Activation.SIGMOID))
                .layer(
                    new OutputLayer.Builder()
                        .nIn(16)
                        .nOut(2)
                        .activation(Activation.IDENTITY)
                        .lossFunction(LossFunctions.LossFunction.MSE)
                        .build())
                .build());
    mixed.init();
    Map<String, MultiLayerNetwork> nets = new LinkedHashMap<>();
    nets.put("relu+softmax dense", net(7));
    MultiLayerNetwork bitmap = net(8);
    PruningMask.prune(bitmap, 0.8, false, false);
    nets.put("relu+softmax bitmap", bitmap);
    MultiLayerNetwork csr = net(9);
    PruningMask.prune(csr, 0.995, false, false);
    nets.put("relu+softmax csr", csr);
    nets.put("tanh+sigmoid+identity", mixed);
    for (Map.Entry<String, MultiLayerNetwork> n : nets.entrySet()) {
      for (boolean asymmetric : new boolean[] {false, true}) {
        File f = tmp.resolve(n.getKey().replaceAll("\\W", "_") + asymmetric + ".llc").toFile();
        CompactArtifact.write(n.getValue(), ENCODING, asymmetric, f);
        CompactModel plain = CompactModel.read(f.toPath());
        MultiLayerNetwork dl4j = CompactArtifact.read(f).network();
        // dense and output layers only: the manifest describes them, no DL4J JSON stored
        assertThat(plain.configuration()).isEmpty();
        assertThat(plain.parameters()).isEqualTo(dl4j.numParams());
        double worst = 0;
        for (float[] x : rows) {
          double[] expected = dl4j.output(Nd4j.create(new float[][] {x}), false).toDoubleVector();
          double[] actual = plain.output(x);
          assertThat(actual).hasSameSizeAs(expected);
          for (int k = 0; k < expected.length; k++) {
            worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
          }
        }
        assertThat(worst).as("%s asymmetric=%s", n.getKey(), asymmetric).isLessThan(1e-5);
      }
    }
  }

  @Test
  void anActivationThePlainPredictorDoesNotComputeIsRefusedByName() {
    MultiLayerNetwork elu =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .list()
                .layer(dense(ENCODING.width(), 4, Activation.ELU))
                .layer(
                    new OutputLayer.Builder().nIn(4).nOut(2).activation(Activation.SOFTMAX).build())
                .build());
    elu.init();
    File f = tmp.resolve("elu.llc").toFile();
    CompactArtifact.write(elu, ENCODING, false, f);
    CompactModel plain = CompactModel.read(f.toPath());
    // the manifest cannot describe ELU: the DL4J configuration is kept and DL4J still loads it
    assertThat(plain.configuration()).isPresent();
    INDArray x = Nd4j.rand(DataType.FLOAT, 5, ENCODING.width());
    assertThat(CompactArtifact.read(f).network().output(x, false))
        .isEqualTo(CompactArtifact.quantized(elu, false).output(x, false));
    assertThatThrownBy(() -> plain.output(new float[ENCODING.width()]))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("layer 0")
        .hasMessageContaining("ActivationELU")
        .hasMessageContaining("load the model with DL4J");
  }

  private static DenseLayer dense(int in, int out, Activation a) {
    return new DenseLayer.Builder().nIn(in).nOut(out).activation(a).build();
  }

  @Test
  void aCalibratedArtifactLoadsExactlyAsTheCalibratedQuantizedModel() {
    MultiLayerNetwork net = net(4);
    PruningMask.prune(net, 0.5, false, false);
    INDArray sample = Nd4j.rand(DataType.FLOAT, 256, ENCODING.width());
    Map<Integer, float[]> clips =
        CompactArtifact.calibrate(net, sample, false, new double[] {100, 99.9, 99});
    assertThat(clips).containsOnlyKeys(0, 1, 2);
    File f = tmp.resolve("calibrated.llc").toFile();
    CompactArtifact.write(net, ENCODING, false, clips, f);
    assertThat(CompactArtifact.read(f).network().output(sample, false))
        .isEqualTo(CompactArtifact.quantized(net, false, clips).output(sample, false));
  }

  @Test
  void eightyPercentSparseInt8IsFarSmallerThanTheUncompressedDl4jFile() throws Exception {
    MultiLayerNetwork net = net(3);
    File dl4j = tmp.resolve("m.zip").toFile();
    new ModelArtifact(net, ENCODING).write(dl4j); // the model as trained, before compression
    PruningMask.prune(net, 0.8, false, false);
    File compact = tmp.resolve("m.llc").toFile();
    CompactArtifact.write(net, ENCODING, false, compact);
    double ratio = (double) Files.size(dl4j.toPath()) / Files.size(compact.toPath());
    System.out.printf(
        "compact: %d bytes vs DL4J %d bytes (%.1fx) for %d parameters at 80%% sparsity%n",
        Files.size(compact.toPath()), Files.size(dl4j.toPath()), ratio, net.numParams());
    assertThat(ratio).isGreaterThan(8);
  }

  @Test
  void aFileThatIsNotACompactArtifactIsRefusedByName() throws Exception {
    File dl4j = tmp.resolve("plain.zip").toFile();
    new ModelArtifact(net(1), ENCODING).write(dl4j);
    assertThatThrownBy(() -> CompactArtifact.read(dl4j))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("plain.zip");
  }
}
