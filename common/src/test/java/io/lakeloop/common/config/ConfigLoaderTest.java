package io.lakeloop.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.testing.ProjectFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path file(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  private static LakeloopConfig local(String... sets) {
    return ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), List.of(sets));
  }

  @Test
  void defaultsComeFromReferenceConf() {
    LakeloopConfig c = ConfigLoader.load(Optional.empty(), List.of());
    assertThat(c.spark().master()).isEqualTo("local[*]");
    assertThat(c.models()).isEmpty();
    assertThat(c.section("generate").positiveLong("rows")).isEqualTo(200_000L);
  }

  @Test
  void fileOverridesDefaultsAndSetOverridesFileInOrder() throws IOException {
    Path f = file("a.conf", "lakeloop { warehouse = \"/from/file\", generate.rows = 7 }");
    LakeloopConfig c =
        ConfigLoader.load(
            Optional.of(f),
            List.of(
                "lakeloop.generate.rows=8",
                "lakeloop.generate.rows=9",
                "lakeloop.spark.master=local[3]"));
    assertThat(c.warehouse()).isEqualTo("/from/file");
    assertThat(c.section("generate").positiveLong("rows")).isEqualTo(9L);
    assertThat(c.section("generate").intAtLeast("days", 1)).isEqualTo(14);
    // A value that is not valid HOCON (brackets) is taken as a plain string.
    assertThat(c.spark().master()).isEqualTo("local[3]");
  }

  @Test
  void shippedConfigsLoadAndCarryTheDemoModel() {
    ModelSpec churn = local().model("churn");
    assertThat(churn.task()).isEqualTo(Task.BINARY);
    assertThat(churn.classLabels()).containsExactly("stay", "churn");
    assertThat(churn.numericFeatures()).hasSize(4);
    assertThat(churn.sliceColumns()).contains("region");
    assertThat(churn.labelDelay()).isEqualTo(Duration.ofDays(3));
    LakeloopConfig s3 =
        ConfigLoader.load(Optional.of(ProjectFiles.find("configs/s3.conf")), List.of());
    assertThat(s3.warehouse()).startsWith("s3a://");
    LakeloopConfig cluster =
        ConfigLoader.load(Optional.of(ProjectFiles.find("configs/cluster.conf")), List.of());
    assertThat(cluster.spark().conf()).containsEntry("spark.sql.shuffle.partitions", "200");
  }

  @Test
  void unknownKeyIsRejectedWithSuggestionAndFile() throws IOException {
    Path f = file("typo.conf", "lakeloop.generate {\n  rowz = 10\n}\n");
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("unknown key lakeloop.generate.rowz")
        .hasMessageContaining("typo.conf")
        .hasMessageContaining("did you mean lakeloop.generate.rows?");
  }

  @Test
  void unknownKeyFromSetIsRejectedToo() {
    assertThatThrownBy(() -> local("lakeloop.warehous=/x"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("unknown key lakeloop.warehous")
        .hasMessageContaining("--set lakeloop.warehous")
        .hasMessageContaining("did you mean lakeloop.warehouse?");
  }

  @Test
  void wrongTypeNamesKeyFileAndExpectedType() throws IOException {
    Path f = file("types.conf", "lakeloop.generate.rows = lots\n");
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.generate.rows")
        .hasMessageContaining("types.conf")
        .hasMessageContaining("NUMBER");
  }

  @Test
  void outOfRangeValueNamesKeyValueAndRange() {
    assertThatThrownBy(
            () ->
                local("lakeloop.generate.malformed-share=2")
                    .section("generate")
                    .doubleIn("malformed-share", 0, 0.5))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.generate.malformed-share = 2")
        .hasMessageContaining("[0.0, 0.5]");
  }

  @Test
  void missingAndUnparseableFilesAreReported() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(dir.resolve("nope.conf")), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("nope.conf does not exist");
    Path bad = file("broken.conf", "lakeloop { warehouse = \n");
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(bad), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("broken.conf cannot be parsed");
  }

  @Test
  void badSetSyntaxIsExplained() {
    assertThatThrownBy(() -> local("no-equals-sign"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("is not key=value");
    assertThatThrownBy(() -> local("generate.rows=5"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("did you mean lakeloop.generate.rows");
  }

  @Test
  void modelSpecsAreValidated() {
    assertThatThrownBy(() -> local("lakeloop.models.churn.class-labels=[a, b, c]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.models.churn.class-labels must list exactly 2 classes");
    assertThatThrownBy(() -> local("lakeloop.models.churn.slice-colums=[region]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("unknown key lakeloop.models.churn.slice-colums")
        .hasMessageContaining("did you mean lakeloop.models.churn.slice-columns?");
    assertThatThrownBy(() -> local("lakeloop.models.churn.task=clustering"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("'clustering' is not a task");
    assertThatThrownBy(() -> local("lakeloop.models.churn.numeric-features=[prediction]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("clashes with a prediction_log column");
    assertThatThrownBy(() -> local("lakeloop.models.churn.label-delay=soon"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("label-delay");
  }

  @Test
  void modelNamesWithPathCharactersAreRejected() {
    assertThatThrownBy(() -> local().model("../etc"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("'../etc' is not allowed");
    assertThatThrownBy(() -> local().model("fraud"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("no model named 'fraud'")
        .hasMessageContaining("[churn, delivery]");
  }

  @Test
  void secretsAreMaskedWhenTheConfigIsDescribed() {
    LakeloopConfig c =
        local("lakeloop.spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=SUPERSECRET-123");
    assertThat(c.spark().conf()).containsEntry("spark.hadoop.fs.s3a.secret.key", "SUPERSECRET-123");
    assertThat(c.describeRedacted()).doesNotContain("SUPERSECRET-123").contains("****");
    // webhook URLs carry their token in the path
    LakeloopConfig hook =
        local("lakeloop.drift.alerts.webhook-url=\"https://hooks.example.com/T0/B1/XYZTOKEN\"");
    assertThat(hook.describeRedacted()).doesNotContain("XYZTOKEN");
  }

  @Test
  void editDistanceIsLevenshtein() {
    assertThat(Strings.editDistance("kitten", "sitting")).isEqualTo(3);
    assertThat(Strings.editDistance("", "abc")).isEqualTo(3);
    assertThat(Strings.editDistance("rows", "rows")).isZero();
  }
}
