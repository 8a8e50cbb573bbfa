package io.lakeloop.modeling.score;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.registry.PublishedModels;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.artifact.CompactArtifact;
import io.lakeloop.modeling.compress.CompressJob;
import io.lakeloop.modeling.train.TrainJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.io.File;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The loop after training, on one warehouse: compress publishes the winner as the champion, score
 * writes later days' predictions with it, and a consumer — in this JVM and in one without Spark —
 * predicts exactly what the job logged. The last test tampers with the artifact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublishedModelLoopTest extends SparkTestBase {
  private static final String DATE = "2026-01-14";
  private String warehouse;
  private LakeloopConfig config;
  private ModelRegistry registry;
  private ModelRegistry.Entry challenger;
  private JobResult compressed;
  private String landing;

  private static JobResult run(Job job, LakeloopConfig config, String... args) throws Exception {
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark());
  }

  @BeforeAll
  void trainAndCompress() throws Exception {
    warehouse = newWarehouse("loop");
    config =
        config(
            warehouse,
            "lakeloop.train.teacher.hidden=[64]",
            "lakeloop.train.teacher.epochs=4",
            "lakeloop.train.student.hidden=[8]",
            "lakeloop.train.student.epochs=4",
            "lakeloop.train.batch-size-per-worker=32",
            "lakeloop.train.averaging-frequency=5",
            "lakeloop.compress.target-sparsity=0.5",
            "lakeloop.compress.pruning-steps=2",
            "lakeloop.compress.gate.max-accuracy-drop=0.05",
            "lakeloop.compress.gate.max-roc-auc-drop=0.05");
    run(new GenerateJob(), config, "--rows", "12000", "--run-id", "g1");
    run(new TrainJob(), config, "--date", DATE, "--run-id", "t1");
    registry = new ModelRegistry(new Lakehouse(spark(), warehouse));
    challenger = registry.resolve("churn", ModelRegistry.CHALLENGER).orElseThrow();
    compressed = run(new CompressJob(), config, "--date", DATE, "--run-id", "c1");
    System.out.println(compressed.output());
    // two later days of traffic, landed as files the way a feature pipeline would write them
    landing = Files.createTempDirectory("lakeloop-landing-").toString();
    run(
        new GenerateJob(),
        config,
        "--rows",
        "3000",
        "--days",
        "2",
        "--start-date",
        "2026-01-15",
        "--seed",
        "77",
        "--output",
        landing,
        "--format",
        "json",
        "--run-id",
        "g2");
  }

  private ModelRegistry.Entry champion() {
    return registry.resolve("churn", ModelRegistry.CHAMPION).orElseThrow();
  }

  @Test
  @Order(1)
  void compressPublishesTheWinnerSmallerWithinTheGateAsTheChampion() throws Exception {
    assertThat(compressed.exitCode()).isEqualTo(JobLauncher.OK);
    ModelRegistry.Entry published = champion();
    assertThat(published.status()).isEqualTo(CompressJob.PUBLISHED);
    assertThat(published.format()).isEqualTo(CompactArtifact.FORMAT);
    assertThat(published.parentVersion()).isEqualTo(challenger.version());
    assertThat(published.compression().bits()).isEqualTo(8);
    assertThat(published.compression().sizeRatio())
        .isEqualTo((double) challenger.sizeBytes() / published.sizeBytes())
        .isGreaterThan(1);
    double drop =
        published.metrics().get("uncompressed.holdout.accuracy")
            - published.metrics().get("holdout.accuracy");
    assertThat(drop).isLessThanOrEqualTo(0.05);
    // per-layer sparsity in the registry = the zeros the stored artifact holds, read back by the
    // consumers' own reader (common's CompactModel, no DL4J)
    Path local =
        new ArtifactStore(spark().sparkContext().hadoopConfiguration(), warehouse)
            .fetch(
                published.artifactUri(),
                published.sha256(),
                Files.createTempDirectory("loop-layers").resolve("published.llc"));
    List<CompactModel.Layer> layers = CompactModel.read(local).layers();
    assertThat(layers).isNotEmpty();
    for (int i = 0; i < layers.size(); i++) {
      CompactModel.Layer layer = layers.get(i);
      float[] w = layer.params().get("W");
      long z = 0;
      for (float x : w) {
        z += x == 0 ? 1 : 0;
      }
      assertThat(published.metrics().get("layer." + layer.index() + ".weights"))
          .isEqualTo((double) w.length);
      assertThat(published.metrics().get("layer." + layer.index() + ".sparsity"))
          .isCloseTo((double) z / w.length, Offset.offset(1e-12));
      if (i < layers.size() - 1) {
        // layer-wise pruning (the default) zeroes floor(s * n) weights of every hidden layer; the
        // output layer is not pruned by default
        assertThat((double) z / w.length)
            .isGreaterThanOrEqualTo(published.compression().sparsity() - 1.0 / w.length);
      }
    }
    // every attempt's checks are in gate_decisions, the published attempt the winner
    List<Row> checks =
        spark()
            .read()
            .format("delta")
            .load(warehouse + "/gate_decisions")
            .where(col("run_id").equalTo("c1"))
            .select("candidate", "candidate_version", "winner", "passed", "metric", "champion")
            .collectAsList();
    assertThat(checks).isNotEmpty();
    assertThat(checks)
        .filteredOn(r -> r.getBoolean(2))
        .isNotEmpty()
        .allMatch(r -> r.getInt(1) == published.version() && r.getBoolean(3))
        .allMatch(r -> r.getString(5).equals("uncompressed " + challenger.ref()));
    // a rerun of the run publishes nothing new
    int versions = registry.versions("churn").size();
    JobResult again = run(new CompressJob(), config, "--date", DATE, "--run-id", "c1");
    assertThat(again.output()).contains("already succeeded");
    assertThat(registry.versions("churn")).hasSize(versions);
    assertThat(champion().version()).isEqualTo(published.version());
  }

  @Test
  @Order(2)
  void scoreAppendsLaterDaysScoredByTheChampionLosingNothingAndWritingNothingTwice()
      throws Exception {
    String input = landing + "/prediction_log";
    long rows = spark().read().json(input).count();
    // four bad rows beside the good ones: not JSON, no request id, a request id sent twice, a
    // numeric feature that is not a number
    ObjectMapper json = new ObjectMapper();
    String first = spark().read().json(input).toJSON().first();
    String feature = config.model("churn").numericFeatures().get(0);
    ObjectNode noId = (ObjectNode) json.readTree(first);
    noId.putNull("request_id");
    ObjectNode notANumber = (ObjectNode) json.readTree(first);
    notANumber.put("request_id", "bad-feature-1").put(feature, "abc");
    Files.write(
        Path.of(input, "bad-rows.json"),
        List.of("{not json", noId.toString(), first, notANumber.toString()));
    rows += 4;
    String[] args = {"--date", "2026-01-16", "--input", input, "--format", "json"};
    JobResult r = run(new ScoreJob(), config, concat(args, "--run-id", "s1"));
    System.out.println(r.output());
    assertThat(r.exitCode()).isEqualTo(JobLauncher.OK);
    long written = Long.parseLong(r.summary().get("written"));
    long quarantined = Long.parseLong(r.summary().get("quarantined"));
    assertThat(written + quarantined).isEqualTo(rows);
    assertThat(quarantined).isGreaterThanOrEqualTo(4);
    Dataset<Row> log = spark().read().format("delta").load(warehouse + "/prediction_log");
    Dataset<Row> later = log.where(col("event_date").geq("2026-01-15"));
    assertThat(later.count()).isEqualTo(written);
    assertThat(
            later.select("model_name", "model_version").distinct().collectAsList().stream()
                .map(x -> x.getString(0) + "/" + x.getString(1))
                .toList())
        .containsExactly(champion().ref());
    assertThat(
            spark()
                .read()
                .format("delta")
                .load(warehouse + "/quarantine")
                .where(col("run_id").equalTo("s1"))
                .count())
        .isEqualTo(quarantined);
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    long version = lh.latestVersion("prediction_log").orElseThrow();
    JobResult again = run(new ScoreJob(), config, concat(args, "--run-id", "s1"));
    assertThat(again.output()).contains("already succeeded");
    // the rerun of the same run committed nothing to prediction_log
    assertThat(lh.latestVersion("prediction_log")).contains(version);
    JobResult other = run(new ScoreJob(), config, concat(args, "--run-id", "s2"));
    assertThat(other.summary().get("written")).isEqualTo("0");
    assertThat(later.count()).isEqualTo(written);
    // another run of the same rows adds none: any commit it made to prediction_log wrote no row
    for (long v = version + 1; v <= lh.latestVersion("prediction_log").orElseThrow(); v++) {
      assertThat(lh.commitMetrics("prediction_log", v).getOrDefault("numOutputRows", "0"))
          .as("rows committed to prediction_log at version %d", v)
          .isEqualTo("0");
    }
  }

  /** Up to 300 scored rows: their raw features and the probabilities the job logged. */
  private List<Row> scoredSample(ModelSpec spec) {
    List<String> cols = new ArrayList<>(spec.numericFeatures());
    cols.addAll(spec.categoricalFeatures());
    cols.add("scores");
    return spark()
        .read()
        .format("delta")
        .load(warehouse + "/prediction_log")
        .where(col("model_version").equalTo(Integer.toString(champion().version())))
        .orderBy("request_id")
        .limit(300)
        .select(cols.stream().map(c -> col(c)).toArray(Column[]::new))
        .collectAsList();
  }

  private static Map<String, Object> features(Row r) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < r.size() - 1; i++) {
      m.put(r.schema().fieldNames()[i], r.get(i));
    }
    return m;
  }

  private static double[] logged(Row r) {
    List<Double> s = r.getList(r.size() - 1);
    return s.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  @Order(3)
  void aConsumerLoadsTheChampionAndPredictsWhatTheJobLogged() throws Exception {
    List<Row> sample = scoredSample(config.model("churn"));
    assertThat(sample).hasSizeGreaterThanOrEqualTo(100);
    PublishedModels.Model m =
        new PublishedModels(spark().sparkContext().hadoopConfiguration(), warehouse)
            .load(ModelRef.parse("churn@champion"), Files.createTempDirectory("consumer-"));
    assertThat(m.entry().ref()).isEqualTo(champion().ref());
    assertThat(m.entry().sha256()).isEqualTo(champion().sha256());
    double worst = 0;
    for (Row r : sample) {
      PublishedModels.Prediction p = m.predict(features(r));
      double[] expected = logged(r);
      for (int k = 0; k < expected.length; k++) {
        worst = Math.max(worst, Math.abs(p.probabilities()[k] - expected[k]));
      }
      assertThat(p.label()).isEqualTo(argmax(expected));
    }
    assertThat(worst).isLessThan(1e-5);
    assertThatThrownBy(
            () -> m.predict(Map.of(config.model("churn").numericFeatures().get(0), "abc")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(config.model("churn").numericFeatures().get(0));
  }

  @Test
  @Order(4)
  void aConsumerWithoutSparkOrDl4jOnItsClasspathPredictsTheSame() throws Exception {
    List<Row> sample = scoredSample(config.model("churn"));
    Path dir = Files.createTempDirectory("consumer-jvm-");
    ObjectMapper json = new ObjectMapper();
    List<String> lines = new ArrayList<>();
    for (Row r : sample) {
      lines.add(json.writeValueAsString(features(r)));
    }
    Files.write(dir.resolve("in.jsonl"), lines);
    String full =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> kept = new ArrayList<>();
    for (String entry : full.split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (!name.matches("(spark-|scala-|delta-spark|deeplearning4j-|nd4j-|dl4j-).*")) {
        kept.add(entry);
      }
    }
    assertThat(kept).noneMatch(e -> e.contains("spark-core") || e.contains("nd4j-api"));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                String.join(File.pathSeparator, kept),
                ConsumerProbe.class.getName(),
                warehouse,
                "churn@champion",
                dir.toString(),
                dir.resolve("in.jsonl").toString(),
                dir.resolve("out.jsonl").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log.txt").toFile())
            .start();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("log.txt"))).isZero();
    List<String> out = Files.readAllLines(dir.resolve("out.jsonl"));
    assertThat(out.get(0)).isEqualTo(champion().ref() + " spark=false");
    assertThat(out).hasSize(sample.size() + 1);
    double worst = 0;
    for (int i = 0; i < sample.size(); i++) {
      double[] got = json.readValue(out.get(i + 1), double[].class);
      double[] expected = logged(sample.get(i));
      for (int k = 0; k < expected.length; k++) {
        worst = Math.max(worst, Math.abs(got[k] - expected[k]));
      }
    }
    assertThat(worst).isLessThan(1e-5);
  }

  @Test
  @Order(5)
  void aTamperedArtifactIsRefusedByTheConsumerAndTheScoreJob() throws Exception {
    ModelRegistry.Entry published = champion();
    Path file = Path.of(URI.create(published.artifactUri()));
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x01);
    }
    assertThatThrownBy(
            () ->
                new PublishedModels(spark().sparkContext().hadoopConfiguration(), warehouse)
                    .load(ModelRef.parse("churn@champion"), Files.createTempDirectory("tamper-")))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("SHA-256")
        .hasMessageContaining(published.sha256());
    assertThatThrownBy(
            () ->
                run(
                    new ScoreJob(),
                    config,
                    "--date",
                    "2026-01-17",
                    "--input",
                    landing + "/prediction_log",
                    "--format",
                    "json",
                    "--run-id",
                    "s3"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("SHA-256");
  }

  private static int argmax(double[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
