package io.lakeloop.monitoring.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import io.lakeloop.monitoring.ingest.IngestJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateJobTest extends SparkTestBase {
  @TempDir Path landing;

  @Test
  void generatesIntoTheLakehouseOnceAndMatchesTheCsvLandingPath() throws Exception {
    String warehouse = newWarehouse("generate");
    LakeloopConfig config = config(warehouse, "lakeloop.generate.malformed-share=0.02");
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "4000", "--run-id", "g1");
    long written = lh.read(Tables.PREDICTION_LOG).data().count();
    long quarantined =
        lh.read(Tables.QUARANTINE).data().where("source_table = 'prediction_log'").count();
    assertThat(written + quarantined).isEqualTo(4000);
    assertThat(quarantined).isBetween(40L, 130L); // 2 % of 4000, some kinds are caught twice
    long labels = lh.read(Tables.LABELS_TABLE).data().count();
    assertThat(labels).isBetween(3300L, 3700L);
    assertThat(
            lh.read(Tables.JOB_RUNS)
                .data()
                .where("job = 'generate' and run_id = 'g1' and status = 'SUCCEEDED'")
                .count())
        .isEqualTo(1);

    long v = lh.latestVersion(Tables.PREDICTION_LOG).orElseThrow();
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "4000", "--run-id", "g1");
    assertThat(lh.latestVersion(Tables.PREDICTION_LOG)).contains(v);
    assertThat(
            JobRuns.latest(lh.read(Tables.JOB_RUNS).data())
                .where("run_id = 'g1'")
                .head()
                .<Integer>getAs("attempt"))
        .isEqualTo(2);

    // The same data through CSV landing files and ingest gives the same good rows.
    String other = newWarehouse("generate-csv");
    LakeloopConfig config2 = config(other, "lakeloop.generate.malformed-share=0.02");
    JobRunner.run(
        new GenerateJob(),
        spark(),
        config2,
        "--rows",
        "4000",
        "--output",
        landing.toString(),
        "--format",
        "csv");
    JobRunner.run(
        new IngestJob(),
        spark(),
        config2,
        "--table",
        "prediction_log",
        "--format",
        "csv",
        "--path",
        landing.resolve("prediction_log").toString());
    JobRunner.run(
        new IngestJob(),
        spark(),
        config2,
        "--table",
        "labels",
        "--format",
        "csv",
        "--path",
        landing.resolve("labels").toString());
    Lakehouse lh2 = new Lakehouse(spark(), other);
    assertThat(
            lh2.read(Tables.PREDICTION_LOG)
                .data()
                .except(lh.read(Tables.PREDICTION_LOG).data())
                .count())
        .isZero();
    assertThat(lh2.read(Tables.PREDICTION_LOG).data().count()).isEqualTo(written);
    assertThat(lh2.read(Tables.LABELS_TABLE).data().count()).isEqualTo(labels);
  }

  @Test
  void badConfigFailsBeforeSparkWithExitCode2() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobLauncher.launch(
            new GenerateJob(),
            new String[] {"--set", "lakeloop.generate.rowz=5"},
            spark(),
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err));
    assertThat(code).isEqualTo(JobLauncher.USER_ERROR);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("did you mean lakeloop.generate.rows?");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(
            JobLauncher.launch(
                new GenerateJob(),
                new String[] {"--help"},
                spark(),
                new PrintStream(out),
                new PrintStream(err)))
        .isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--rows N").contains("--config FILE");
    assertThat(
            JobLauncher.launch(
                new GenerateJob(),
                new String[] {"--rowz", "3"},
                spark(),
                new PrintStream(out),
                new PrintStream(err)))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("unknown flag --rowz (did you mean --rows?)");
  }
}
