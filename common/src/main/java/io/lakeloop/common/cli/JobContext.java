package io.lakeloop.common.cli;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Lakehouse;
import java.time.LocalDate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * Everything a running job receives: the session, the validated config, the lakehouse, its
 * arguments, run id and logical date. Jobs record the Delta versions they read and write here; the
 * launcher puts them in job_runs.
 */
public final class JobContext {
  private final SparkSession spark;
  private final LakeloopConfig config;
  private final Lakehouse lakehouse;
  private final CliArgs args;
  private final String runId;
  private final Optional<LocalDate> logicalDate;
  private final Optional<Map<String, String>> previousSuccess;
  private final Map<String, Long> inputs = new LinkedHashMap<>();
  private final Map<String, Long> outputs = new LinkedHashMap<>();

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
    this.lakehouse = lakehouse;
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

  public Lakehouse lakehouse() {
    return lakehouse;
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

  public void recordInput(String table, long version) {
    inputs.put(table, version);
  }

  public void recordOutput(String table, long version) {
    outputs.put(table, version);
  }

  public Map<String, Long> inputs() {
    return Collections.unmodifiableMap(inputs);
  }

  public Map<String, Long> outputs() {
    return Collections.unmodifiableMap(outputs);
  }
}
