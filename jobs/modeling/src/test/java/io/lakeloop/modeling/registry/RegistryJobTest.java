package io.lakeloop.modeling.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.model.Networks;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryJobTest extends SparkTestBase {
  private static JobResult run(LakeloopConfig config, String... args) throws Exception {
    RegistryJob job = new RegistryJob();
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), true), config, spark());
  }

  @Test
  void listShowAliasLoadAndVerifyTheRegisteredModels(@TempDir Path tmp) throws Exception {
    String warehouse = newWarehouse("registry-cli");
    LakeloopConfig config = config(warehouse);
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    ModelRegistry registry = new ModelRegistry(lh);
    ArtifactStore store =
        new ArtifactStore(spark().sparkContext().hadoopConfiguration(), warehouse);
    FeatureEncoding encoding =
        new FeatureEncoding(
            List.of(new FeatureEncoding.Numeric("x", 1.0, 2.0)),
            List.of(new FeatureEncoding.Categorical("plan", List.of("basic", "premium"))));
    long[] params = new long[2];
    for (int i = 0; i < 2; i++) {
      MultiLayerNetwork net = Networks.classifier(encoding.width(), List.of(3 + i), 2, 0.01, i);
      params[i] = net.numParams();
      Path file = tmp.resolve("m" + i + ".zip");
      new ModelArtifact(net, encoding).write(file.toFile());
      ArtifactStore.Stored s = store.put("churn", file, "zip");
      registry.register(
          new ModelRegistry.Entry(
              "churn",
              0,
              s.uri(),
              s.sha256(),
              s.sizeBytes(),
              "dl4j-multilayer+encoding",
              i == 0 ? null : 1,
              List.of(new ModelRegistry.Lineage("prediction_log", 4, 4)),
              Map.of("holdout.accuracy", 0.8 + i / 100.0, "parameters", (double) params[i]),
              null,
              ModelRegistry.CANDIDATE,
              Instant.parse("2026-01-14T12:00:00Z"),
              "t" + i));
    }

    String list = run(config, "list").output();
    assertThat(list).contains("churn").contains("0.8000").contains("0.8100");
    assertThat(list.lines()).hasSize(3);

    assertThat(run(config, "alias", "churn", "champion", "1").output())
        .isEqualTo("alias churn@champion: unset -> 1");
    assertThatThrownBy(() -> run(config, "alias", "churn", "champion", "2", "--expect", "none"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("was not moved: it points at 1");
    assertThat(run(config, "alias", "churn", "champion", "2", "--expect", "1").output())
        .isEqualTo("alias churn@champion: 1 -> 2");
    assertThat(run(config, "list", "churn").output())
        .containsPattern("churn +2 +candidate +1 +champion");

    String show = run(config, "show", "churn@champion").output();
    assertThat(show)
        .startsWith("churn/2 (churn@champion)")
        .contains(registry.get("churn", 2).orElseThrow().sha256())
        .contains("prediction_log at Delta version 4")
        .contains("holdout.accuracy");

    String load = run(config, "load", "churn/1").output();
    assertThat(load)
        .contains("churn/1: loaded from")
        .contains("SHA-256 verified")
        .contains(params[0] + " parameters")
        .contains("plan (2 values");

    JobResult ok = run(config, "verify");
    assertThat(ok.exitCode()).isEqualTo(JobLauncher.OK);
    assertThat(ok.output()).startsWith("verified 2 artifact(s): 2 intact, 0 missing or changed");

    // tamper with version 1's file: verify names it and fails; load refuses it
    Path stored = Path.of(URI.create(registry.get("churn", 1).orElseThrow().artifactUri()));
    byte[] bytes = Files.readAllBytes(stored);
    bytes[bytes.length / 2] ^= 1;
    Files.write(stored, bytes);
    JobResult bad = run(config, "verify", "churn");
    assertThat(bad.exitCode()).isEqualTo(RegistryJob.VERIFY_FAILED);
    assertThat(bad.output()).contains("1 missing or changed").containsPattern("churn/1 +FAILED");
    assertThat(bad.output()).containsPattern("churn/2 +ok");
    assertThatThrownBy(() -> run(config, "load", "churn/1"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("changed after it was published");
    assertThatThrownBy(() -> run(config, "show", "churn@challenger"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("the alias is not set");
  }

  @Test
  void modelReferencesParseOrSayBothForms() {
    assertThat(ModelRef.parse("churn/3").version()).contains(3);
    assertThat(ModelRef.parse("churn@champion").alias()).contains("champion");
    for (String bad : List.of("churn", "churn/0", "churn/x", "/3", "churn@", "a/b@c")) {
      assertThatThrownBy(() -> ModelRef.parse(bad))
          .as(bad)
          .isInstanceOf(LakeloopException.class)
          .hasMessageContaining("NAME/VERSION");
    }
  }
}
