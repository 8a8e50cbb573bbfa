package io.lakeloop.monitoring.ingest;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.TableSpec;
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
public final class IngestJob
    implements StagedJob<IngestJob.Planned, IngestJob.Computed, IngestJob.Outcome> {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

  /** The source format when --format is not given. */
  static final String DEFAULT_FORMAT = "parquet";

  static final List<Flag> FLAGS =
      List.of(
          Flag.value("table", "prediction_log|labels", "which table the source feeds"),
          Flag.value(
              "format",
              "csv|json|parquet|delta",
              "the source's format (default " + DEFAULT_FORMAT + ")"),
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
            + args.get("format").orElse(DEFAULT_FORMAT)
            + "|"
            + args.get("path").orElse("")
            + "|"
            + args.get("model").orElse("");
    return Optional.of("ingest-" + shortDigest(key));
  }

  /** The first 8 bytes of a text's SHA-256, in hex: a stable id derived from what a run reads. */
  static String shortDigest(String text) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 8);
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
    String format = args.get("format").orElse(DEFAULT_FORMAT);
    SourceReader.checkFormat(format);
    return format;
  }

  /** The source and where it goes: the table, the source's format and path, the model. */
  public record Planned(String table, String format, String path, ModelSpec spec) {
    boolean predictions() {
      return table.equals(Tables.PREDICTION_LOG);
    }

    StructType target() {
      return predictions() ? Tables.predictionLog(spec).schema() : Tables.LABELS.schema();
    }
  }

  /** The source's rows classified by validation (lazy), and its columns the target lacks. */
  public record Computed(Dataset<Row> classified, List<String> ignored) {}

  /** What the two commits wrote, with the source's ignored columns. */
  public record Outcome(
      Planned planned, String runId, Ingestion.Outcome written, List<String> ignored) {}

  @Override
  public boolean skipsSucceededRun() {
    return true;
  }

  @Override
  public JobResult alreadyDone(JobContext ctx, Map<String, String> previous) {
    // The default run id names the table, format and path, not the files' content: say so, so a
    // source fixed in place is not taken for loaded.
    return new JobResult(
        String.format(
            "ingest: run %s already succeeded; nothing to do: %s of %s was loaded into %s by"
                + " it (%s rows written, %s quarantined). A source changed in place since is"
                + " loaded again with a new --run-id (rows already in the table are then"
                + " quarantined as duplicates)",
            ctx.runId(),
            format(ctx.args()),
            path(ctx.args()),
            table(ctx.args()),
            previous.getOrDefault("written", "?"),
            previous.getOrDefault("quarantined", "?")),
        previous);
  }

  @Override
  public Planned plan(JobContext ctx) {
    return new Planned(table(ctx.args()), format(ctx.args()), path(ctx.args()), ctx.model());
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    Dataset<Row> raw = SourceReader.read(ctx.spark(), p.format(), p.path(), p.target());
    List<String> ignored =
        Validation.extraColumns(
            SourceReader.columns(ctx.spark(), p.format(), p.path(), raw), p.target());
    if (!ignored.isEmpty()) {
      LOG.warn("ingest: {}", ignoredNote(p, ignored).substring(2));
    }
    Dataset<Row> classified =
        p.predictions()
            ? Ingestion.classifyPredictions(ctx.tables(), ctx.config(), p.spec(), raw)
            : classifyLabels(ctx, p.spec(), raw);
    return new Computed(classified, ignored);
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    TableSpec target = p.predictions() ? Tables.predictionLog(p.spec()) : Tables.LABELS;
    Ingestion.Outcome o =
        Ingestion.commit(
            ctx.tables(),
            name(),
            p.spec().name(),
            ctx.logicalDate(),
            target,
            c.classified(),
            p.path());
    return new Outcome(p, ctx.runId(), o, c.ignored());
  }

  @Override
  public JobResult render(Outcome outcome) {
    Ingestion.Outcome o = outcome.written();
    Planned p = outcome.planned();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("table", p.table());
    summary.put("written", Long.toString(o.written()));
    summary.put("quarantined", Long.toString(o.quarantined()));
    summary.put("version", Long.toString(o.tableVersion()));
    summary.put("ignored_columns", String.join(",", outcome.ignored()));
    o.labels().ifPresent(f -> summary.putAll(f.summary()));
    return new JobResult(
        String.format(
            "ingest: %,d rows into %s (v%d), %,d quarantined (see: bin/lakeloop query \"select reason, count(*) from quarantine where run_id = '%s' group by reason\")%s%s",
            o.written(),
            p.table(),
            o.tableVersion(),
            o.quarantined(),
            outcome.runId(),
            o.labels().map(IngestJob::labelNote).orElse(""),
            outcome.ignored().isEmpty() ? "" : ignoredNote(p, outcome.ignored())),
        summary);
  }

  /** What the CLI says of labels that correct or precede stored ones. */
  private static String labelNote(Ingestion.LabelFacts f) {
    if (f.corrections() == 0 && f.older() == 0) {
      return "";
    }
    return String.format(
        "; %,d correction(s) of earlier labels (evaluate uses each request's latest label by"
            + " label_time and re-evaluates the windows they touch on its next run), %,d older"
            + " label(s) kept but not used",
        f.corrections(), f.older());
  }

  /** What the CLI and the log say of source columns the target's schema lacks. */
  private static String ignoredNote(Planned p, List<String> ignored) {
    return String.format(
        "; the source's %s %s %s not in %s's schema and were not ingested (the values of"
            + " the others are read by name, so nothing shifted); add them to model %s's"
            + " spec to keep them",
        p.format().equalsIgnoreCase("json")
            ? String.format("key(s), seen in its first %,d lines,", SourceReader.JSON_KEY_SAMPLE)
            : "column(s)",
        ignored,
        ignored.size() == 1 ? "is" : "are",
        p.table(),
        p.spec().name());
  }

  /** Label rows classified against prediction_log and the labels stored. */
  private static Dataset<Row> classifyLabels(JobContext ctx, ModelSpec spec, Dataset<Row> raw) {
    Dataset<Row> logs =
        ctx.tables()
            .readIfExists(Tables.PREDICTION_LOG)
            .map(Lakehouse.Snapshot::data)
            .orElseThrow(
                () ->
                    new LakeloopException(
                        "prediction_log does not exist yet at "
                            + ctx.lakehouse().path(Tables.PREDICTION_LOG)
                            + ": ingest predictions before their labels"));
    return Ingestion.classifyLabels(ctx.tables(), ctx.config(), spec, raw, logs);
  }
}
