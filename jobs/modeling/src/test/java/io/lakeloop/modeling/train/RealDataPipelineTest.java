package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.ingest.IngestJob;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real data through the path a user takes: each data set becomes JSON landing files of a prediction
 * log (logged by a "deployed" model that always answers the same) and late labels over three days,
 * is ingested with validation, and the train job trains, distils and gates on its fixed held-out
 * split (a hash of request_id, never trained on).
 *
 * <ul>
 *   <li>scikit-learn's digits (1,797 8×8 images, 10 classes; test resource copied from scikit-learn
 *       1.9.1's sklearn/datasets/data/digits.csv.gz): teacher accuracy ≥ 0.95; a student with at
 *       most a quarter of its parameters within 3 points of it.
 *   <li>scikit-learn's diabetes (442 patients, 10 variables, disease progression; {@code
 *       diabetes-reference/}, written by its make_reference.py): the teacher's held-out R² within
 *       0.05 of scikit-learn's MLPRegressor fitted on the same rows and scored on the same held-out
 *       rows (the script splits them with Spark's own hash).
 * </ul>
 */
class RealDataPipelineTest extends SparkTestBase {
  private static final Instant START = Instant.parse("2026-03-01T00:00:00Z");

  private static JobResult run(Job job, LakeloopConfig config, String... args) throws Exception {
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark());
  }

  /**
   * Lands {@code rows} (a gzipped CSV resource: feature columns, then the label) as a prediction
   * log of model {@code name} and its labels in JSON lines, three days of traffic a few seconds
   * apart; every row logged with {@code prediction} and {@code scores} (null: none); returns the
   * row count.
   */
  private static int land(
      String resource,
      boolean header,
      List<String> features,
      String name,
      double prediction,
      double[] scores,
      Path folder)
      throws Exception {
    Path predictions = folder.resolve(Tables.PREDICTION_LOG);
    Path labels = folder.resolve(Tables.LABELS_TABLE);
    Files.createDirectories(predictions);
    Files.createDirectories(labels);
    ObjectMapper json = new ObjectMapper();
    int i = 0;
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(
                    new GZIPInputStream(RealDataPipelineTest.class.getResourceAsStream(resource)),
                    StandardCharsets.US_ASCII));
        BufferedWriter p = Files.newBufferedWriter(predictions.resolve("part-0.json"));
        BufferedWriter l = Files.newBufferedWriter(labels.resolve("part-0.json"))) {
      String line = header ? in.readLine() : null;
      while ((line = in.readLine()) != null) {
        String[] f = line.split(",");
        Instant t = START.plusSeconds(86_400L * (i % 3) + 7L * i);
        String id = name + "-" + i;
        ObjectNode row = json.createObjectNode();
        row.put(REQUEST_ID, id);
        row.put(EVENT_TIME, t.toString());
        row.put(MODEL_NAME, name);
        row.put(MODEL_VERSION, "0");
        row.put(PREDICTION, prediction);
        if (scores != null) {
          ArrayNode s = row.putArray(SCORES);
          for (double v : scores) {
            s.add(v);
          }
        }
        for (int k = 0; k < features.size(); k++) {
          row.put(features.get(k), Double.parseDouble(f[k]));
        }
        p.write(json.writeValueAsString(row));
        p.newLine();
        ObjectNode label = json.createObjectNode();
        label.put(REQUEST_ID, id);
        label.put(LABEL, Double.parseDouble(f[features.size()]));
        label.put(LABEL_TIME, t.plusSeconds(3_600).toString());
        l.write(json.writeValueAsString(label));
        l.newLine();
        i++;
      }
    }
    return i;
  }

  /**
   * The test config for a data set {@link #land} spread over three days: those days are train's
   * window, without replay, and a fifth of the rows not held out validate (the split
   * diabetes-reference/make_reference.py reproduces); averaging every 5 minibatches; then {@code
   * settings} (the model spec and the networks).
   */
  private static LakeloopConfig landedConfig(String warehouse, String model, String... settings) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "lakeloop.models." + model + ".label-delay=1 day",
                "lakeloop.train.window=3 days",
                "lakeloop.train.replay.days=0",
                "lakeloop.train.validation-fraction=0.2",
                "lakeloop.train.averaging-frequency=5"));
    all.addAll(List.of(settings));
    return config(warehouse, all.toArray(String[]::new));
  }

  /** Ingests the landed log and labels of {@code model}; both tables hold every row. */
  private static Lakehouse ingest(
      LakeloopConfig config, String warehouse, String model, Path folder, int rows)
      throws Exception {
    for (String table : List.of(Tables.PREDICTION_LOG, Tables.LABELS_TABLE)) {
      run(
          new IngestJob(),
          config,
          "--model",
          model,
          "--table",
          table,
          "--format",
          "json",
          "--path",
          folder.resolve(table).toString(),
          "--run-id",
          model + "-" + table);
    }
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    assertThat(lh.read(Tables.PREDICTION_LOG).data().count()).isEqualTo(rows);
    assertThat(lh.read(Tables.LABELS_TABLE).data().count()).isEqualTo(rows);
    return lh;
  }

  @Test
  void digitsReachTheClassificationTargets(@TempDir Path tmp) throws Exception {
    List<String> pixels = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    for (int k = 0; k < 64; k++) {
      pixels.add("p" + k);
    }
    for (int d = 0; d < 10; d++) {
      classes.add("d" + d);
    }
    double[] uniform = new double[10];
    java.util.Arrays.fill(uniform, 0.1);
    assertThat(land("/digits.csv.gz", false, pixels, "digits", 0.0, uniform, tmp)).isEqualTo(1797);
    String warehouse = newWarehouse("digits");
    LakeloopConfig config =
        landedConfig(
            warehouse,
            "digits",
            "lakeloop.models.digits.task=multiclass",
            "lakeloop.models.digits.class-labels=[" + String.join(",", classes) + "]",
            "lakeloop.models.digits.numeric-features=[" + String.join(",", pixels) + "]",
            "lakeloop.train.batch-size-per-worker=32",
            "lakeloop.train.teacher.hidden=[128]",
            "lakeloop.train.teacher.learning-rate=0.005",
            "lakeloop.train.early-stopping=loss",
            "lakeloop.train.teacher.epochs=20",
            "lakeloop.train.teacher.patience=4",
            "lakeloop.train.student.hidden=[31]",
            "lakeloop.train.student.learning-rate=0.01",
            "lakeloop.train.student.epochs=20",
            "lakeloop.train.student.patience=4",
            "lakeloop.train.gate.value-thresholds.accuracy.min=0.9");
    Lakehouse lh = ingest(config, warehouse, "digits", tmp, 1797);

    JobResult r =
        run(new TrainJob(), config, "--model", "digits", "--date", "2026-03-03", "--run-id", "d1");
    System.out.println(r.output());
    ModelRegistry registry = new ModelRegistry(lh);
    ModelRegistry.Entry teacher = registry.versions("digits").get(0);
    ModelRegistry.Entry student = registry.versions("digits").get(1);
    double teacherAccuracy = teacher.metrics().get("holdout.accuracy");
    double studentAccuracy = student.metrics().get("holdout.accuracy");
    double teacherParams = teacher.metrics().get("parameters");
    double studentParams = student.metrics().get("parameters");
    System.out.printf(
        "digits: teacher %.0f parameters, held-out accuracy %.4f; student %.0f parameters, %.4f"
            + " (hard labels only: %.4f)%n",
        teacherParams,
        teacherAccuracy,
        studentParams,
        studentAccuracy,
        student.metrics().get("hard_label_student.accuracy"));
    assertThat(studentParams * 4).isLessThanOrEqualTo(teacherParams);
    assertThat(teacherAccuracy).isGreaterThanOrEqualTo(0.95);
    assertThat(studentAccuracy).isGreaterThanOrEqualTo(teacherAccuracy - 0.03);
    // both pass the gate (accuracy ≥ 0.9, no worse than the constant guess): a winner is chosen
    assertThat(r.exitCode()).isEqualTo(JobLauncher.OK);
    assertThat(registry.alias("digits", ModelRegistry.CHALLENGER)).isPresent();
    assertThat(r.output()).contains("deployed v0 (logged)");
  }

  @Test
  void diabetesComesWithinFivePointsOfScikitLearnsR2(@TempDir Path tmp) throws Exception {
    JsonNode expected =
        new ObjectMapper()
            .readTree(getClass().getResourceAsStream("/diabetes-reference/expected.json"));
    List<String> features = List.of("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6");
    // the deployed model answers the mean progression of the data
    int rows =
        land("/diabetes-reference/diabetes.csv.gz", true, features, "diabetes", 152.13, null, tmp);
    assertThat(rows).isEqualTo(expected.get("rows").asInt());
    String warehouse = newWarehouse("diabetes");
    LakeloopConfig config =
        landedConfig(
            warehouse,
            "diabetes",
            "lakeloop.models.diabetes.task=regression",
            "lakeloop.models.diabetes.numeric-features=[" + String.join(",", features) + "]",
            "lakeloop.train.batch-size-per-worker=16",
            "lakeloop.train.teacher.hidden=[32]",
            "lakeloop.train.teacher.learning-rate=0.003",
            "lakeloop.train.teacher.epochs=40",
            "lakeloop.train.teacher.patience=6",
            "lakeloop.train.student.hidden=[4]",
            "lakeloop.train.student.learning-rate=0.01",
            "lakeloop.train.student.epochs=40",
            "lakeloop.train.student.patience=6");
    Lakehouse lh = ingest(config, warehouse, "diabetes", tmp, rows);
    JobResult r =
        run(
            new TrainJob(),
            config,
            "--model",
            "diabetes",
            "--date",
            "2026-03-03",
            "--run-id",
            "d1");
    System.out.println(r.output());
    ModelRegistry.Entry teacher = new ModelRegistry(lh).versions("diabetes").get(0);
    double r2 = teacher.metrics().get("holdout.r2");
    System.out.printf(
        "diabetes: teacher held-out R² %.4f; scikit-learn's MLPRegressor %.4f, least squares %.4f%n",
        r2, expected.get("mlp_r2").asDouble(), expected.get("ols_r2").asDouble());
    // the same held-out rows as the reference's split (the gate's row count is the job's)
    assertThat(r.output())
        .contains("gated on " + expected.get("holdout_rows").asInt() + " held-out rows");
    assertThat(r2).isGreaterThanOrEqualTo(expected.get("mlp_r2").asDouble() - 0.05);
  }
}
