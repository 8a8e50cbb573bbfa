package io.lakeloop.monitoring.generate;

import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.ingest.Ingestion;
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
public final class GenerateJob
    implements StagedJob<GenerateJob.Planned, GenerateJob.Computed, GenerateJob.Outcome> {
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

  /**
   * What to generate and where: the model, the settings, and the landing folder and format when the
   * rows go to files ({@code --output}) instead of the tables.
   */
  public record Planned(
      ModelSpec spec, GenerateSettings settings, Optional<String> landing, String format) {
    String range() {
      return settings.startDate() + " .. " + settings.startDate().plusDays(settings.days() - 1);
    }
  }

  /**
   * The generated rows, persisted once (predictions and labels both derive from them), and the
   * predictions classified by validation; closing it releases the rows.
   */
  public record Computed(Dataset<Row> traffic, Dataset<Row> predictions) implements AutoCloseable {
    @Override
    public void close() {
      traffic.unpersist();
    }
  }

  /** What was written: the two tables' commits, or nothing but the landing files. */
  public record Outcome(
      Planned planned,
      Optional<Ingestion.Outcome> predictions,
      Optional<Ingestion.Outcome> labels) {}

  @Override
  public boolean skipsSucceededRun() {
    return true;
  }

  @Override
  public Planned plan(JobContext ctx) {
    GenerateSettings s = GenerateSettings.from(ctx.config().section("generate"), ctx.args());
    Optional<String> landing = ctx.args().get("output").map(dir -> dir.replaceAll("/$", ""));
    String format = ctx.args().get("format").orElse("parquet").toLowerCase(Locale.ROOT);
    if (landing.isPresent() && !List.of("parquet", "json", "csv").contains(format)) {
      throw new LakeloopException(
          "--format '" + format + "' is not supported; use parquet, json or csv");
    }
    return new Planned(ctx.model(), s, landing, format);
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    Dataset<Row> traffic =
        SyntheticTraffic.traffic(ctx.spark(), p.spec(), p.settings())
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> predictions = SyntheticTraffic.predictionRows(traffic, p.spec());
    return new Computed(
        traffic,
        p.landing().isPresent()
            ? predictions
            : Ingestion.classifyPredictions(ctx.tables(), ctx.config(), p.spec(), predictions));
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    if (p.landing().isPresent()) {
      String dir = p.landing().get();
      writeLanding(c.predictions(), p.format(), dir + "/" + Tables.PREDICTION_LOG);
      writeLanding(
          SyntheticTraffic.labelRows(c.traffic()), p.format(), dir + "/" + Tables.LABELS_TABLE);
      return new Outcome(p, Optional.empty(), Optional.empty());
    }
    Ingestion.Outcome written =
        Ingestion.commitPredictions(
            ctx.tables(), name(), p.spec(), ctx.logicalDate(), c.predictions(), null);
    // Labels are checked against the predictions just committed, this run's included.
    Dataset<Row> labels =
        Ingestion.classifyLabels(
            ctx.tables(),
            ctx.config(),
            p.spec(),
            SyntheticTraffic.labelRows(c.traffic()),
            ctx.lakehouse().readAt(Tables.PREDICTION_LOG, written.tableVersion()));
    Ingestion.Outcome l =
        Ingestion.commit(
            ctx.tables(), name(), p.spec().name(), ctx.logicalDate(), Tables.LABELS, labels, null);
    return new Outcome(p, Optional.of(written), Optional.of(l));
  }

  @Override
  public JobResult render(Outcome outcome) {
    Planned p = outcome.planned();
    GenerateSettings s = p.settings();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("rows", Long.toString(s.rows()));
    summary.put("seed", Long.toString(s.seed()));
    summary.put("start_date", s.startDate().toString());
    summary.put("days", Integer.toString(s.days()));
    if (p.landing().isPresent()) {
      summary.put("output", p.landing().get());
      return new JobResult(
          String.format(
              "generate: %,d predictions for model %s (%s) written as %s to %s/{prediction_log,labels}; load them with bin/lakeloop ingest",
              s.rows(), p.spec().name(), p.range(), p.format(), p.landing().get()),
          summary);
    }
    Ingestion.Outcome w = outcome.predictions().orElseThrow();
    Ingestion.Outcome l = outcome.labels().orElseThrow();
    summary.put("predictions_written", Long.toString(w.written()));
    summary.put("predictions_quarantined", Long.toString(w.quarantined()));
    summary.put("labels_written", Long.toString(l.written()));
    summary.put("labels_quarantined", Long.toString(l.quarantined()));
    return new JobResult(
        String.format(
            "generate: model %s, %s: %,d predictions into prediction_log (v%d), %,d labels into labels (v%d); %,d + %,d malformed rows quarantined",
            p.spec().name(),
            p.range(),
            w.written(),
            w.tableVersion(),
            l.written(),
            l.tableVersion(),
            w.quarantined(),
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
