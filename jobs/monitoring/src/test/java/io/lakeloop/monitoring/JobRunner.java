package io.lakeloop.monitoring;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import org.apache.spark.sql.SparkSession;

/** Runs a job in the test's session exactly as the CLI would (ledger included). */
public final class JobRunner {
  private JobRunner() {}

  public static JobResult run(Job job, SparkSession spark, LakeloopConfig config, String... args)
      throws Exception {
    CliArgs parsed = CliArgs.parse(job.name(), args, job.flags(), job.positionalHelp() != null);
    return JobLauncher.run(job, parsed, config, spark);
  }
}
