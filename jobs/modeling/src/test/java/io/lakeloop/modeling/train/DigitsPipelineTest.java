package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.*;
import static org.assertj.core.api.Assertions.assertThat;

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
 * Real data through the path a user takes: scikit-learn's digits (1,797 8×8 images, 10 classes;
 * test resource copied from scikit-learn 1.9.1's sklearn/datasets/data/digits.csv.gz) become JSON
 * landing files of a prediction log (logged by a "deployed" model that always answers 0 with
 * uniform scores) and late labels, are ingested with validation, and the train job trains, distils
 * and gates. Targets of the issue, on the job's fixed held-out split (a hash of request_id, never
 * trained on): teacher accuracy ≥ 0.95; a student with at most a quarter of its parameters within 3
 * points of it.
 */
class DigitsPipelineTest extends SparkTestBase {
  private static final int PIXELS = 64;
  private static final Instant START = Instant.parse("2026-03-01T00:00:00Z");

  private static JobResult run(Job job, LakeloopConfig config, String... args) throws Exception {
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark());
  }

  /** Writes the digits as a prediction log and labels in JSON lines; returns the row count. */
  private static int land(Path predictions, Path labels) throws Exception {
    Files.createDirectories(predictions);
    Files.createDirectories(labels);
    ObjectMapper json = new ObjectMapper();
    int i = 0;
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(
                    new GZIPInputStream(
                        DigitsPipelineTest.class.getResourceAsStream("/digits.csv.gz")),
                    StandardCharsets.US_ASCII));
        BufferedWriter p = Files.newBufferedWriter(predictions.resolve("part-0.json"));
        BufferedWriter l = Files.newBufferedWriter(labels.resolve("part-0.json"))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] f = line.split(",");
        // three days of traffic, a few seconds apart
        Instant t = START.plusSeconds(86_400L * (i % 3) + 7L * i);
        ObjectNode row = json.createObjectNode();
        row.put(REQUEST_ID, "digit-" + i);
        row.put(EVENT_TIME, t.toString());
        row.put(MODEL_NAME, "digits");
        row.put(MODEL_VERSION, "0");
        row.put(PREDICTION, 0.0);
        ArrayNode scores = row.putArray(SCORES);
        for (int k = 0; k < 10; k++) {
          scores.add(0.1);
        }
        for (int k = 0; k < PIXELS; k++) {
          row.put("p" + k, Double.parseDouble(f[k]));
        }
        p.write(json.writeValueAsString(row));
        p.newLine();
        ObjectNode label = json.createObjectNode();
        label.put(REQUEST_ID, "digit-" + i);
        label.put(LABEL, Double.parseDouble(f[PIXELS]));
        label.put(LABEL_TIME, t.plusSeconds(3_600).toString());
        l.write(json.writeValueAsString(label));
        l.newLine();
        i++;
      }
    }
    return i;
  }

  @Test
  void ingestTrainAndGateReachTheTargets(@TempDir Path tmp) throws Exception {
    assertThat(land(tmp.resolve("prediction_log"), tmp.resolve("labels"))).isEqualTo(1797);
    List<String> pixels = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    for (int k = 0; k < PIXELS; k++) {
      pixels.add("p" + k);
    }
    for (int d = 0; d < 10; d++) {
      classes.add("d" + d);
    }
    String warehouse = newWarehouse("digits");
    LakeloopConfig config =
        config(
            warehouse,
            "lakeloop.models.digits.task=multiclass",
            "lakeloop.models.digits.class-labels=[" + String.join(",", classes) + "]",
            "lakeloop.models.digits.numeric-features=[" + String.join(",", pixels) + "]",
            "lakeloop.models.digits.label-delay=1 day",
            "lakeloop.train.window=3 days",
            "lakeloop.train.replay.days=0",
            "lakeloop.train.validation-fraction=0.2",
            "lakeloop.train.batch-size-per-worker=32",
            "lakeloop.train.averaging-frequency=5",
            "lakeloop.train.teacher.hidden=[128]",
            "lakeloop.train.teacher.learning-rate=0.005",
            "lakeloop.train.teacher.epochs=20",
            "lakeloop.train.teacher.patience=4",
            "lakeloop.train.student.hidden=[31]",
            "lakeloop.train.student.learning-rate=0.005",
            "lakeloop.train.student.epochs=40",
            "lakeloop.train.student.patience=8",
            "lakeloop.train.gate.value-thresholds.accuracy.min=0.9");
    for (String table : List.of(Tables.PREDICTION_LOG, Tables.LABELS_TABLE)) {
      run(
          new IngestJob(),
          config,
          "--model",
          "digits",
          "--table",
          table,
          "--format",
          "json",
          "--path",
          tmp.resolve(table).toString(),
          "--run-id",
          "digits-" + table);
    }
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    assertThat(lh.read(Tables.PREDICTION_LOG).data().count()).isEqualTo(1797);
    assertThat(lh.read(Tables.LABELS_TABLE).data().count()).isEqualTo(1797);

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
}
