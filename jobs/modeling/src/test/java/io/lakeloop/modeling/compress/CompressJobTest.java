package io.lakeloop.modeling.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Job;
import io.lakeloop.common.cli.JobLauncher;
import io.lakeloop.common.cli.JobResult;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.train.TrainJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import org.junit.jupiter.api.Test;

/** Train, then compress the winner: published, smaller, within the gate's limits, champion. */
class CompressJobTest extends SparkTestBase {
  private static JobResult run(Job job, LakeloopConfig config, String... args) throws Exception {
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark());
  }

  @Test
  void theWinnerIsPrunedQuantizedGatedAndPublishedAsTheChampion() throws Exception {
    String warehouse = newWarehouse("compress");
    LakeloopConfig config =
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
    run(new TrainJob(), config, "--date", "2026-01-14", "--run-id", "t1");
    ModelRegistry registry = new ModelRegistry(new Lakehouse(spark(), warehouse));
    ModelRegistry.Entry challenger =
        registry.resolve("churn", ModelRegistry.CHALLENGER).orElseThrow();

    JobResult r = run(new CompressJob(), config, "--date", "2026-01-14", "--run-id", "c1");
    System.out.println(r.output());
    assertThat(r.exitCode()).isEqualTo(JobLauncher.OK);
    ModelRegistry.Entry published = registry.resolve("churn", ModelRegistry.CHAMPION).orElseThrow();
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
  }
}
