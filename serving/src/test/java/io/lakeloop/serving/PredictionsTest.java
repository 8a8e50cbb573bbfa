package io.lakeloop.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.model.Int8Quantizer;
import io.lakeloop.common.registry.PublishedModels;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A regression model's answer: a hand-made compact artifact (one identity output layer, a target
 * standardisation) answers its value in the label's units, computed here from the artifact's
 * dequantized weights; the traffic log's line carries that value as the prediction and no scores.
 */
class PredictionsTest {
  private static final ModelSpec SPEC =
      new ModelSpec(
          "delivery",
          Task.REGRESSION,
          List.of(),
          List.of("distance_km"),
          List.of("city"),
          List.of("city"),
          Duration.ofDays(1));

  /** A linear regressor over the encoding (distance: value and missing flag; city: one-hot). */
  private static CompactModel regressor(Path dir, FeatureEncoding encoding) throws Exception {
    float[] w = {0.5f, -1f, 0.25f, 0.75f, -0.125f};
    ByteArrayOutputStream params = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(params)) {
      CompactModel.writeWeights(out, Int8Quantizer.quantize(w, w.length, 1, false, null));
      out.writeInt(1);
      out.writeFloat(0.1f);
    }
    String manifest =
        "{\"format\": \""
            + CompactModel.FORMAT
            + "\", \"asymmetric\": false, \"layers\": [{\"index\": 0, \"type\": \"output\","
            + " \"activation\": \"identity\", \"loss\":"
            + " \"org.nd4j.linalg.lossfunctions.impl.LossMSE\", \"params\": [\"W\", \"b\"]}]}";
    Path file = dir.resolve("m.llc");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      put(zip, CompactModel.MANIFEST, manifest.getBytes(StandardCharsets.UTF_8));
      put(zip, CompactModel.ENCODING, encoding.toJson().getBytes(StandardCharsets.UTF_8));
      put(zip, CompactModel.PARAMS, params.toByteArray());
    }
    return CompactModel.read(file);
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws Exception {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  @Test
  void aRegressorAnswersItsValueInTheLabelsUnitsAndLogsItWithoutScores(@TempDir Path dir)
      throws Exception {
    FeatureEncoding encoding =
        new FeatureEncoding(
                List.of(new FeatureEncoding.Numeric("distance_km", 4.0, 2.0)),
                List.of(new FeatureEncoding.Categorical("city", List.of("lisbon"))))
            .withTarget(new FeatureEncoding.Numeric("label", 30.0, 8.0));
    CompactModel network = regressor(dir, encoding);
    PublishedModels.Model model =
        new PublishedModels.Model(
            new PublishedModels.Published(
                "delivery",
                3,
                "file:/m.llc",
                "sha",
                1,
                CompactModel.FORMAT,
                "published",
                Map.of(),
                Instant.EPOCH),
            network);
    byte[] body =
        ("{\"instances\": [{\"request_id\": \"r1\", \"distance_km\": 7.0, \"city\": \"lisbon\"},"
                + " {\"request_id\": \"r2\", \"distance_km\": null, \"city\": \"porto\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    Predictions.Answer a = Predictions.answer(body, 10, SPEC, model, Instant.EPOCH);

    // by hand: x = [(7 - 4) / 2, 0, 1, 0, 0] and [0, 1, 0, 1, 0] (missing distance; porto is
    // outside the vocabulary), z = b + x · W with the artifact's dequantized W, value = z · 8 + 30
    float[] w = network.layers().get(0).params().get("W");
    float b = network.layers().get(0).params().get("b")[0];
    double first = (b + 1.5 * w[0] + w[2]) * 8 + 30;
    double second = (b + w[1] + w[3]) * 8 + 30;
    JsonNode answer = Predictions.JSON.readTree(a.body()).get("predictions");
    assertThat(answer.get(0).get("prediction").asDouble()).isCloseTo(first, within(1e-4));
    assertThat(answer.get(1).get("prediction").asDouble()).isCloseTo(second, within(1e-4));
    assertThat(answer.get(0).has("probabilities")).isFalse();
    assertThat(answer.get(0).has("label")).isFalse();
    assertThat(answer.get(0).get("model_version").asText()).isEqualTo("3");
    JsonNode line = Predictions.JSON.readTree(a.logLines().get(0));
    assertThat(line.get("prediction").asDouble())
        .isEqualTo(answer.get(0).get("prediction").asDouble());
    assertThat(line.get("scores").isNull()).isTrue();
    assertThat(line.get("distance_km").asDouble()).isEqualTo(7.0);
  }
}
