package io.lakeloop.monitoring.generate;

import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.table.Columns;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.ingest.Ingestion;
import io.lakeloop.monitoring.ingest.Validation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code bin/lakeloop generate}: synthetic prediction traffic and delayed labels for a model spec
 * (see {@link SyntheticTraffic} for what the data contains). By default the rows go through the
 * same validation as ingest into prediction_log, labels and quarantine; with {@code --output DIR}
 * they are written as raw landing files (for ingest) instead. Idempotent per run id (default:
 * derived from model, seed, dates and size). Cost: two narrow passes over generated rows, one
 * shuffle for duplicate detection per table.
 */
public final class GenerateJob implements Job {
  static final List<Flag> FLAGS =
      List.of(
          Flag.value("rows", "N", "number of predictions (default lakeloop.generate.rows)"),
          Flag.value("days", "N", "days of traffic (default lakeloop.generate.days)"),
          Flag.value("start-date", "YYYY-MM-DD", "first day of traffic"),
          Flag.value("seed", "N", "random seed; the same seed gives the same data"),
          Flag.value(
              "output",
              "DIR",
              "write raw landing files to DIR/prediction_log and DIR/labels instead"),
          Flag.value("format", "parquet|json|csv", "format of the landing files (with --output)"));

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new GenerateJob(), args));
  }

  @Override
  public String name() {
    return "generate";
  }

  @Override
  public String description() {
    return "Write realistic synthetic prediction traffic and delayed labels for a model spec, with"
        + " malformed rows, a daily cycle and injected covariate and concept drift (settings under"
        + " lakeloop.generate).";
  }

  @Override
  public List<Flag> flags() {
    return FLAGS;
  }

  @Override
  public Optional<String> defaultRunId(CliArgs args) {
    return Optional.empty();
  }

  @Override
  public JobResult run(JobContext ctx) {
    ModelSpec spec = ctx.model();
    GenerateSettings s = GenerateSettings.from(ctx.config().section("generate"), ctx.args());
    if (ctx.previousSuccess().isPresent()) {
      return JobResult.alreadyDone(name(), ctx.runId(), ctx.previousSuccess().get());
    }
    // Predictions and labels both derive from the same generated rows: generate them once.
    Dataset<Row> traffic =
        SyntheticTraffic.traffic(ctx.spark(), spec, s).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return write(ctx, spec, s, traffic);
    } finally {
      traffic.unpersist();
    }
  }

  private JobResult write(
      JobContext ctx, ModelSpec spec, GenerateSettings s, Dataset<Row> traffic) {
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("rows", Long.toString(s.rows()));
    summary.put("seed", Long.toString(s.seed()));
    summary.put("start_date", s.startDate().toString());
    summary.put("days", Integer.toString(s.days()));
    String range = s.startDate() + " .. " + s.startDate().plusDays(s.days() - 1);
    Optional<String> output = ctx.args().get("output");
    if (output.isPresent()) {
      String format = ctx.args().get("format").orElse("parquet").toLowerCase(Locale.ROOT);
      if (!List.of("parquet", "json", "csv").contains(format)) {
        throw new LakeloopException(
            "--format '" + format + "' is not supported; use parquet, json or csv");
      }
      String dir = output.get().replaceAll("/$", "");
      writeLanding(
          SyntheticTraffic.predictionRows(traffic, spec),
          format,
          dir + "/" + Tables.PREDICTION_LOG);
      writeLanding(SyntheticTraffic.labelRows(traffic), format, dir + "/" + Tables.LABELS_TABLE);
      summary.put("output", dir);
      return new JobResult(
          String.format(
              "generate: %,d predictions for model %s (%s) written as %s to %s/{prediction_log,labels}; load them with bin/lakeloop ingest",
              s.rows(), spec.name(), range, format, dir),
          summary);
    }
    ctx.lakehouse().ensure(Tables.predictionLog(spec));
    double tol = ctx.config().section("ingest").doubleIn("score-sum-tolerance", 0, 1);
    Dataset<Row> predictions =
        Validation.predictions(
            SyntheticTraffic.predictionRows(traffic, spec),
            spec,
            tol,
            Ingestion.existingIds(ctx.tables(), Tables.PREDICTION_LOG));
    Ingestion.Outcome p =
        Ingestion.commit(
            ctx.tables(),
            name(),
            ctx.model().name(),
            ctx.logicalDate(),
            Tables.predictionLog(spec),
            predictions,
            null);
    Dataset<Row> known =
        ctx.lakehouse().readAt(Tables.PREDICTION_LOG, p.tableVersion()).select(Columns.REQUEST_ID);
    Dataset<Row> labels =
        Validation.labels(
            SyntheticTraffic.labelRows(traffic),
            spec,
            known,
            Ingestion.existingIds(ctx.tables(), Tables.LABELS_TABLE));
    Ingestion.Outcome l =
        Ingestion.commit(
            ctx.tables(),
            name(),
            ctx.model().name(),
            ctx.logicalDate(),
            Tables.LABELS,
            labels,
            null);
    summary.put("predictions_written", Long.toString(p.written()));
    summary.put("predictions_quarantined", Long.toString(p.quarantined()));
    summary.put("labels_written", Long.toString(l.written()));
    summary.put("labels_quarantined", Long.toString(l.quarantined()));
    return new JobResult(
        String.format(
            "generate: model %s, %s: %,d predictions into prediction_log (v%d), %,d labels into labels (v%d); %,d + %,d malformed rows quarantined",
            spec.name(),
            range,
            p.written(),
            p.tableVersion(),
            l.written(),
            l.tableVersion(),
            p.quarantined(),
            l.quarantined()),
        summary);
  }

  /** Raw files as a logging system would land them (overwrites DIR, so reruns are identical). */
  static void writeLanding(Dataset<Row> rows, String format, String path) {
    Dataset<Row> out = rows;
    if (format.equals("csv")) {
      // CSV has no arrays: write them as JSON text, which ingest parses back.
      for (var f : rows.schema().fields()) {
        if (f.dataType() instanceof ArrayType) {
          out = out.withColumn(f.name(), to_json(col(f.name())));
        }
      }
    }
    out.write().mode("overwrite").format(format).option("header", "true").save(path);
  }
}
