package io.lakeloop.common.job;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * Everything a running job receives: the session, the validated config, its arguments, run id and
 * logical date, and the lakehouse as the run sees it ({@link #tables()}), which records the Delta
 * versions the run reads and writes; the launcher puts them in job_runs. Engines take the tables
 * handle and explicit values, never this context.
 */
public final class JobContext {
  private final SparkSession spark;
  private final LakeloopConfig config;
  private final RunTables tables;
  private final CliArgs args;
  private final String runId;
  private final Optional<LocalDate> logicalDate;
  private final Optional<Map<String, String>> previousSuccess;

  public JobContext(
      SparkSession spark,
      LakeloopConfig config,
      Lakehouse lakehouse,
      CliArgs args,
      String runId,
      Optional<LocalDate> logicalDate,
      Optional<Map<String, String>> previousSuccess) {
    this.previousSuccess = previousSuccess;
    this.spark = spark;
    this.config = config;
    this.tables = RunTables.of(lakehouse, runId);
    this.args = args;
    this.runId = runId;
    this.logicalDate = logicalDate;
  }

  public SparkSession spark() {
    return spark;
  }

  public LakeloopConfig config() {
    return config;
  }

  /** The lakehouse itself, for what is not the run's lineage (existence and window checks). */
  public Lakehouse lakehouse() {
    return tables.lakehouse();
  }

  /** The lakehouse as this run sees it: reads and writes through it are the run's lineage. */
  public RunTables tables() {
    return tables;
  }

  public CliArgs args() {
    return args;
  }

  public String runId() {
    return runId;
  }

  public Optional<LocalDate> logicalDate() {
    return logicalDate;
  }

  /** The model named by --model, or the configured default. */
  public ModelSpec model() {
    return config.model(args.get("model").orElse(null));
  }

  /**
   * The summary of an earlier attempt of this same run that succeeded. Append-only jobs use it to
   * report "already done" instead of recomputing (their writes are guarded anyway).
   */
  public Optional<Map<String, String>> previousSuccess() {
    return previousSuccess;
  }

  public Map<String, Long> inputs() {
    return tables.inputs();
  }

  public Map<String, Long> outputs() {
    return tables.outputs();
  }
}
