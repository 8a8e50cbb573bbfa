package io.lakeloop.common.job;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.LakeloopConfig;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * One lakeloop command: its name, help, flags, and what it does given a started context. A job's
 * {@code main} is a one-liner: {@code System.exit(JobLauncher.launch(new XJob(), args))}.
 */
public interface Job {
  /** The command name, e.g. {@code generate}; also the job name in job_runs. */
  String name();

  /** One paragraph for --help. */
  String description();

  /** The job's own flags (the common ones are added by the launcher). */
  default List<Flag> flags() {
    return List.of();
  }

  /** Help for positional arguments, or null when the job takes none. */
  default String positionalHelp() {
    return null;
  }

  /** A run id for when --run-id is absent, or empty to use {@code <job>-<date>}. */
  default Optional<String> defaultRunId(CliArgs args) {
    return Optional.empty();
  }

  /**
   * Checks the arguments against what exists before anything is recorded or computed (a source path
   * that is missing, a table or format that is unknown), so such a mistake fails in seconds with a
   * {@link io.lakeloop.common.LakeloopException} rather than after the ledger and the first Delta
   * reads. Reads no table. Does nothing by default.
   */
  default void check(CliArgs args, LakeloopConfig config, SparkSession spark) {}

  /** Whether the run is recorded in job_runs (false for read-only commands like query). */
  default boolean recordsRun() {
    return true;
  }

  /**
   * Runs the job. Exceptions fail the run; {@link io.lakeloop.common.LakeloopException}s are user
   * errors.
   */
  JobResult run(JobContext ctx) throws Exception;
}
