package io.lakeloop.monitoring;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.testing.ProjectFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** Runs a job in the test's session exactly as the CLI would (ledger included). */
public final class JobRunner {
  private JobRunner() {}

  public static JobResult run(Job job, SparkSession spark, LakeloopConfig config, String... args)
      throws Exception {
    CliArgs parsed = CliArgs.parse(job.name(), args, job.flags(), job.positionalHelp() != null);
    return JobLauncher.run(job, parsed, config, spark);
  }

  /** What a launch printed and its exit code. */
  public record Launched(int code, String out, String err) {}

  /**
   * Launches a job as {@code bin/lakeloop} does (exit code, printed output) on configs/local.conf
   * with the warehouse and each of {@code sets} as {@code --set}.
   */
  public static Launched launch(
      Job job, SparkSession spark, String warehouse, List<String> sets, String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(
        List.of(
            "--config",
            ProjectFiles.find("configs/local.conf").toString(),
            "--set",
            "lakeloop.warehouse=\"" + warehouse + "\""));
    for (String s : sets) {
      argv.add("--set");
      argv.add(s);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobLauncher.launch(
            job, argv.toArray(new String[0]), spark, new PrintStream(out), new PrintStream(err));
    return new Launched(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
