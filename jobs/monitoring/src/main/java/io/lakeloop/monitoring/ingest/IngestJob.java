package io.lakeloop.monitoring.ingest;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.table.Tables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop ingest}: loads prediction logs or labels from CSV, JSON or Parquet into the
 * lakehouse, validating every row against the model spec; defects go to {@code quarantine} with
 * their reasons. Idempotent per run id (default: derived from table, format, path and model, so
 * re-ingesting the same source adds nothing). Cost: one read of the source, one shuffle for
 * duplicates, one join with the target's request ids.
 */
public final class IngestJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

  static final List<Flag> FLAGS =
      List.of(
          Flag.value("table", "prediction_log|labels", "which table the source feeds"),
          Flag.value("format", "csv|json|parquet|delta", "the source's format (default parquet)"),
          Flag.value("path", "PATH", "file or folder to load (local path, file:, s3a:)"));

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new IngestJob(), args));
  }

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public String description() {
    return "Validate and load prediction logs or delayed labels into the lakehouse; bad rows go to"
        + " quarantine with the reason. Rerunning the same run id adds nothing.";
  }

  @Override
  public List<Flag> flags() {
    return FLAGS;
  }

  @Override
  public Optional<String> defaultRunId(CliArgs args) {
    String key =
        args.get("table").orElse("")
            + "|"
            + args.get("format").orElse("parquet")
            + "|"
            + args.get("path").orElse("")
            + "|"
            + args.get("model").orElse("");
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Optional.of("ingest-" + HexFormat.of().formatHex(h, 0, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void check(CliArgs args, LakeloopConfig config, SparkSession spark) {
    table(args);
    String format = format(args);
    String path = path(args);
    Path source = new Path(path);
    FileStatus[] found;
    try {
      found = source.getFileSystem(spark.sparkContext().hadoopConfiguration()).globStatus(source);
    } catch (IOException e) {
      throw new LakeloopException(
          "cannot read " + format + " source at " + path + ": " + e.getMessage(), e);
    }
    if (found == null || found.length == 0) {
      throw new LakeloopException(
          "cannot read "
              + format
              + " source at "
              + path
              + ": nothing exists there; check --path (a file, a folder or a glob)");
    }
  }

  private static String table(CliArgs args) {
    String table =
        args.get("table")
            .orElseThrow(() -> new LakeloopException("ingest needs --table prediction_log|labels"));
    if (!table.equals(Tables.PREDICTION_LOG) && !table.equals(Tables.LABELS_TABLE)) {
      throw new LakeloopException(
          "--table '" + table + "' cannot be ingested; use prediction_log or labels");
    }
    return table;
  }

  private static String path(CliArgs args) {
    return args.get("path")
        .orElseThrow(
            () -> new LakeloopException("ingest needs --path PATH (the file or folder to load)"));
  }

  private static String format(CliArgs args) {
    String format = args.get("format").orElse("parquet");
    SourceReader.checkFormat(format);
    return format;
  }

  @Override
  public JobResult run(JobContext ctx) {
    String table = table(ctx.args());
    String path = path(ctx.args());
    String format = format(ctx.args());
    ModelSpec spec = ctx.model();
    if (ctx.previousSuccess().isPresent()) {
      // The default run id names the table, format and path, not the files' content: say so, so a
      // source fixed in place is not taken for loaded.
      Map<String, String> previous = ctx.previousSuccess().get();
      return new JobResult(
          String.format(
              "ingest: run %s already succeeded; nothing to do: %s of %s was loaded into %s by"
                  + " it (%s rows written, %s quarantined). A source changed in place since is"
                  + " loaded again with a new --run-id (rows already in the table are then"
                  + " quarantined as duplicates)",
              ctx.runId(),
              format,
              path,
              table,
              previous.getOrDefault("written", "?"),
              previous.getOrDefault("quarantined", "?")),
          previous);
    }
    StructType target =
        table.equals(Tables.PREDICTION_LOG)
            ? Tables.predictionLog(spec).schema()
            : Tables.LABELS.schema();
    Dataset<Row> raw = SourceReader.read(ctx.spark(), format, path, target);
    List<String> ignored =
        Validation.extraColumns(SourceReader.columns(ctx.spark(), format, path, raw), target);
    String ignoredNote = "";
    if (!ignored.isEmpty()) {
      ignoredNote =
          String.format(
              "; the source's %s %s %s not in %s's schema and were not ingested (the values of"
                  + " the others are read by name, so nothing shifted); add them to model %s's"
                  + " spec to keep them",
              format.equalsIgnoreCase("json")
                  ? String.format(
                      "key(s), seen in its first %,d lines,", SourceReader.JSON_KEY_SAMPLE)
                  : "column(s)",
              ignored,
              ignored.size() == 1 ? "is" : "are",
              table,
              spec.name());
      LOG.warn("ingest: {}", ignoredNote.substring(2));
    }
    Ingestion.Outcome o =
        table.equals(Tables.PREDICTION_LOG)
            ? ingestPredictions(ctx, spec, raw, path)
            : ingestLabels(ctx, spec, raw, path);
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("table", table);
    summary.put("written", Long.toString(o.written()));
    summary.put("quarantined", Long.toString(o.quarantined()));
    summary.put("version", Long.toString(o.tableVersion()));
    summary.put("ignored_columns", String.join(",", ignored));
    return new JobResult(
        String.format(
            "ingest: %,d rows into %s (v%d), %,d quarantined (see: bin/lakeloop query \"select reason, count(*) from quarantine where run_id = '%s' group by reason\")%s",
            o.written(), table, o.tableVersion(), o.quarantined(), ctx.runId(), ignoredNote),
        summary);
  }

  static Ingestion.Outcome ingestPredictions(
      JobContext ctx, ModelSpec spec, Dataset<Row> raw, String path) {
    ctx.lakehouse().ensure(Tables.predictionLog(spec));
    return Ingestion.commitPredictions(
        ctx.tables(),
        "ingest",
        spec,
        ctx.logicalDate(),
        Ingestion.classifyPredictions(ctx.tables(), ctx.config(), spec, raw),
        path);
  }

  static Ingestion.Outcome ingestLabels(
      JobContext ctx, ModelSpec spec, Dataset<Row> raw, String path) {
    Dataset<Row> known = Ingestion.existingIds(ctx.tables(), Tables.PREDICTION_LOG);
    if (known == null) {
      throw new LakeloopException(
          "prediction_log does not exist yet at "
              + ctx.lakehouse().path(Tables.PREDICTION_LOG)
              + ": ingest predictions before their labels");
    }
    Dataset<Row> classified =
        Validation.labels(
            raw, spec, known, Ingestion.existingIds(ctx.tables(), Tables.LABELS_TABLE));
    return Ingestion.commit(
        ctx.tables(),
        "ingest",
        ctx.model().name(),
        ctx.logicalDate(),
        Tables.LABELS,
        classified,
        path);
  }
}
