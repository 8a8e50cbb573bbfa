package io.lakeloop.monitoring.ingest;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;

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
import io.lakeloop.common.table.Landing;
import io.lakeloop.common.table.Tables;
import java.io.IOException;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code bin/lakeloop ingest-served --date D}: loads what {@code bin/lakeloop serve} published for
 * day D ({@link Landing#served}: JSON-lines segments of prediction_log rows) through ingest's
 * validation. A row already in prediction_log with the same request id and event time was loaded
 * before and is skipped (counted, not quarantined), so re-running after more segments arrived loads
 * only the new rows; the same segments again change nothing (each commit is made once per listing
 * of the day's folder).
 */
public final class IngestServedJob
    implements StagedJob<
        IngestServedJob.Planned, IngestServedJob.Computed, IngestServedJob.Outcome> {

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new IngestServedJob(), args));
  }

  @Override
  public String name() {
    return "ingest-served";
  }

  @Override
  public String description() {
    return "Load the traffic bin/lakeloop serve answered on --date into prediction_log (ingest's"
        + " validation; rows loaded before are skipped, so reruns add only what is new).";
  }

  @Override
  public List<Flag> flags() {
    return List.of();
  }

  @Override
  public Optional<String> defaultRunId(CliArgs args) {
    return args.date().map(d -> "ingest-served-" + args.get("model").orElse("default") + "-" + d);
  }

  @Override
  public void check(CliArgs args, LakeloopConfig config, SparkSession spark) {
    if (args.date().isEmpty()) {
      throw new LakeloopException(
          "ingest-served needs --date YYYY-MM-DD (the UTC day of the served traffic to load)");
    }
  }

  /** The day's folder, its segments and a digest of their names and sizes. */
  public record Planned(
      ModelSpec spec, LocalDate date, String folder, List<String> files, String listing) {}

  /** The day's rows not loaded before, classified by ingest's validation (lazy). */
  public record Computed(Dataset<Row> classified, long rows, long alreadyLoaded) {}

  public record Outcome(
      Planned planned, Ingestion.Outcome written, long rows, long alreadyLoaded) {}

  @Override
  public Planned plan(JobContext ctx) {
    LocalDate date = ctx.logicalDate().orElseThrow();
    String folder =
        Landing.served(ctx.config().warehouse(), ctx.model().name()) + "/event_date=" + date;
    Path dir = new Path(folder);
    List<String> files;
    try {
      FileSystem fs = dir.getFileSystem(ctx.spark().sparkContext().hadoopConfiguration());
      FileStatus[] found = fs.exists(dir) ? fs.listStatus(dir) : new FileStatus[0];
      files =
          Arrays.stream(found)
              .filter(f -> f.isFile() && f.getPath().getName().endsWith(".jsonl"))
              .filter(f -> !f.getPath().getName().startsWith("."))
              .map(f -> f.getPath().getName() + ":" + f.getLen())
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new LakeloopException(
          "cannot list the served traffic at " + folder + ": " + e.getMessage(), e);
    }
    return new Planned(
        ctx.model(), date, folder, files, IngestJob.shortDigest(String.join("\n", files)));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    if (p.files().isEmpty()) {
      return new Computed(null, 0, 0);
    }
    Dataset<Row> raw =
        SourceReader.read(ctx.spark(), "json", p.folder(), Tables.predictionLog(p.spec()).schema());
    long rows = raw.count();
    Dataset<Row> fresh = raw;
    Optional<Lakehouse.Snapshot> log = ctx.tables().readIfExists(Tables.PREDICTION_LOG);
    if (log.isPresent()) {
      Dataset<Row> loaded =
          log.get()
              .data()
              .where(col(EVENT_DATE).equalTo(java.sql.Date.valueOf(p.date())))
              .select(col(REQUEST_ID).as("_loaded_id"), col(EVENT_TIME).as("_loaded_time"));
      fresh =
          raw.join(
              loaded,
              raw.col(REQUEST_ID)
                  .equalTo(loaded.col("_loaded_id"))
                  .and(raw.col(EVENT_TIME).cast("timestamp").equalTo(loaded.col("_loaded_time"))),
              "left_anti");
    }
    long freshRows = fresh.count();
    if (freshRows == 0) {
      return new Computed(null, rows, rows);
    }
    return new Computed(
        Ingestion.classifyPredictions(ctx.tables(), ctx.config(), p.spec(), fresh),
        rows,
        rows - freshRows);
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    if (c.classified() == null) {
      return new Outcome(p, null, c.rows(), c.alreadyLoaded());
    }
    // One commit per listing of the folder: the same segments again append nothing.
    Ingestion.Outcome o =
        Ingestion.commitPredictions(
            ctx.tables(),
            name() + "-" + p.listing(),
            p.spec(),
            ctx.logicalDate(),
            c.classified(),
            p.folder());
    return new Outcome(p, o, c.rows(), c.alreadyLoaded());
  }

  @Override
  public JobResult render(Outcome outcome) {
    Planned p = outcome.planned();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("folder", p.folder());
    summary.put("segments", Integer.toString(p.files().size()));
    summary.put("rows", Long.toString(outcome.rows()));
    summary.put("already_loaded", Long.toString(outcome.alreadyLoaded()));
    if (outcome.written() == null) {
      summary.put("written", "0");
      summary.put("quarantined", "0");
      String said =
          outcome.rows() > 0
              ? String.format(
                  "ingest-served: nothing new: the %,d served rows of %s on %s in %s were all"
                      + " loaded before",
                  outcome.rows(), p.spec().name(), p.date(), p.folder())
              : String.format(
                  "ingest-served: no served traffic for %s on %s at %s (nothing to load; is serve"
                      + " running with this warehouse and its traffic log on?)",
                  p.spec().name(), p.date(), p.folder());
      return new JobResult(said, summary);
    }
    Ingestion.Outcome o = outcome.written();
    summary.put("written", Long.toString(o.written()));
    summary.put("quarantined", Long.toString(o.quarantined()));
    summary.put("version", Long.toString(o.tableVersion()));
    return new JobResult(
        String.format(
            "ingest-served: %,d served rows of %s on %s in %d segment(s): %,d into prediction_log"
                + " (v%d), %,d loaded before (skipped), %,d quarantined",
            outcome.rows(),
            p.spec().name(),
            p.date(),
            p.files().size(),
            o.written(),
            o.tableVersion(),
            outcome.alreadyLoaded(),
            o.quarantined()),
        summary);
  }
}
