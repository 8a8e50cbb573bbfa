package io.lakeloop.modeling.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.modeling.testing.Nets;
import java.io.File;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** Scoring a row through a loaded artifact equals scoring it with the model as trained. */
class ModelArtifactTest {
  private static final FeatureEncoding ENCODING =
      new FeatureEncoding(
          List.of(new FeatureEncoding.Numeric("x", 5.0, 2.0)),
          List.of(new FeatureEncoding.Categorical("color", List.of("red", "green"))));
  private static final List<String> COLORS = Arrays.asList("red", "green", "blue", null);

  private static MultiLayerNetwork trained(Random random) {
    MultiLayerNetwork net =
        Nets.mlp(ENCODING.width(), 8, 2, Activation.SOFTMAX, new LossMCXENT(), 0.05, 7);
    float[][] x = new float[200][];
    float[][] y = new float[200][];
    for (int i = 0; i < 200; i++) {
      double v = 5 + 2 * random.nextGaussian();
      String c = COLORS.get(random.nextInt(4));
      x[i] = ENCODING.encode(new Double[] {v}, new String[] {c});
      y[i] = v > 5 == "red".equals(c) ? new float[] {1, 0} : new float[] {0, 1};
    }
    for (int epoch = 0; epoch < 5; epoch++) {
      net.fit(new DataSet(Nd4j.create(x), Nd4j.create(y)));
    }
    return net;
  }

  @Test
  void aLoadedArtifactScoresEveryRowExactlyAsTheTrainedModel() throws Exception {
    Random random = new Random(5);
    ModelArtifact trained = new ModelArtifact(trained(random), ENCODING);
    File file = Files.createTempFile("lakeloop-model", ".zip").toFile();
    file.deleteOnExit();
    trained.write(file);
    ModelArtifact loaded = ModelArtifact.read(file);

    assertThat(loaded.encoding()).isEqualTo(ENCODING);
    for (int i = 0; i < 200; i++) {
      Double[] n = {i % 10 == 0 ? null : 5 + 3 * random.nextGaussian()};
      String[] c = {i % 7 == 0 ? "never-seen" : COLORS.get(random.nextInt(4))};
      assertThat(loaded.score(n, c)).containsExactly(trained.score(n, c));
    }
    // the model learned something, so equal scores are not equal constants
    float[] a = trained.score(new Double[] {9.0}, new String[] {"red"});
    float[] b = trained.score(new Double[] {1.0}, new String[] {"red"});
    assertThat(a[0]).isNotEqualTo(b[0]);
  }

  @Test
  void aNetworkWithoutLakeloopsEncodingIsRefusedByName() throws Exception {
    File file = Files.createTempFile("plain-dl4j", ".zip").toFile();
    file.deleteOnExit();
    ModelSerializer.writeModel(trained(new Random(1)), file, false);
    assertThatThrownBy(() -> ModelArtifact.read(file))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("no lakeloop feature encoding")
        .hasMessageContaining(file.getName());
    File garbage = Files.createTempFile("garbage", ".zip").toFile();
    garbage.deleteOnExit();
    Files.writeString(garbage.toPath(), "not a model");
    assertThatThrownBy(() -> ModelArtifact.read(garbage))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("cannot read the model artifact");
  }
}
