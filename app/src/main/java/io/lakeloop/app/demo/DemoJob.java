package io.lakeloop.app.demo;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Predicate;
import io.lakeloop.modeling.compress.CompressJob;
import io.lakeloop.modeling.score.ScoreJob;
import io.lakeloop.modeling.train.TrainJob;
import io.lakeloop.modeling.tune.TuneJob;
import io.lakeloop.monitoring.drift.ConstraintsJob;
import io.lakeloop.monitoring.drift.DriftJob;
import io.lakeloop.monitoring.evaluate.CustomMetric;
import io.lakeloop.monitoring.evaluate.EvaluateJob;
import io.lakeloop.monitoring.evaluate.Measures;
import io.lakeloop.monitoring.generate.GenerateJob;
import io.lakeloop.monitoring.ingest.IngestJob;
import io.lakeloop.monitoring.report.ReportJob;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop demo}: runs every stage of the loop that exists, in one session, on the
 * configured warehouse (the embedded default: ./lakehouse), and prints what each did and where to
 * look: generate and ingest two weeks of traffic, evaluate, detect the drift, retrain and distil,
 * compress and publish the winner, let it score the days after, and write the HTML report.
 * Idempotent: each stage has a fixed run id, so a second demo run changes nothing.
 */
public final class DemoJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(DemoJob.class);

  /** Days of traffic after the training date that the published model scores. */
  static final int LATER_DAYS = 2;

  /**
   * The regression model's generator seed: request ids are {@code req-<seed>-<n>}, unique across
   * prediction_log, so not the default model's seeds (42 and 43).
   */
  static final long REGRESSION_SEED = 7;

  /** The request-id prefix of the rows the demo sends to the server. */
  static final String ONLINE = "online-";

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new DemoJob(), args));
  }

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String description() {
    return "Run the whole maintenance loop, as far as it is built, on the embedded default"
        + " (Spark local[*], tables under ./lakehouse) and print where to look.";
  }

  @Override
  public boolean recordsRun() {
    return false;
  }

  @Override
  public JobResult run(JobContext ctx) throws Exception {
    List<String> lines = new ArrayList<>();
    String landing = ctx.lakehouse().root() + "/landing/demo";
    lines.add("lakeloop demo: warehouse " + ctx.lakehouse().root());
    LocalDate start = ctx.config().section("generate").date("start-date");
    LocalDate last = start.plusDays(ctx.config().section("generate").positiveLong("days") - 1);
    lines.addAll(monitor(ctx, landing, start, last));
    lines.addAll(update(ctx, landing, last));
    lines.add("");
    lines.addAll(regression(ctx, last));
    lines.add("");
    lines.addAll(dailyTable(ctx));
    lines.add("");
    lines.addAll(measuresTable(ctx));
    JobResult report = run(ctx, ctx.config(), new ReportJob(), "--run-id", "demo-report");
    lines.add("");
    lines.add(line("report", report));
    lines.add("");
    lines.addAll(serveOnline(ctx, landing + "-later"));
    lines.add("");
    lines.addAll(whereToLook(ctx, report));
    return new JobResult(String.join("\n", lines), Map.of());
  }

  /**
   * Generates two weeks of traffic as landing files, ingests them, evaluates every generated day
   * (the labels known by the last day: metrics per window and slice with bootstrap intervals),
   * measures the drift of every day against the model's baseline (its first week, built on first
   * use) and the previous day/week, suggests data-quality constraints from the baseline and checks
   * them on the last day, whose log the generator breaks.
   */
  private static List<String> monitor(
      JobContext ctx, String landing, LocalDate start, LocalDate last) throws Exception {
    List<String> lines = new ArrayList<>();
    // the last day's log breaks: a share of its rows log a categorical feature as "unknown"
    long breakDay = last.toEpochDay() - start.toEpochDay();
    lines.add(
        line(
            "generate",
            run(
                ctx,
                sliceDrift(ctx, ctx.config().withSetting("generate.quality-break.day", breakDay)),
                new GenerateJob(),
                "--run-id",
                "demo-generate",
                "--output",
                landing,
                "--format",
                "json")));
    lines.add(
        ingest(
            ctx, "ingest predictions", "demo-ingest-predictions", landing, Tables.PREDICTION_LOG));
    lines.add(ingest(ctx, "ingest labels", "demo-ingest-labels", landing, Tables.LABELS_TABLE));
    lines.add(
        step(
            ctx,
            new EvaluateJob(),
            "evaluate",
            "--run-id",
            "demo-evaluate",
            "--date",
            last.toString(),
            "--since",
            start.toString()));
    // drift builds the baseline and profiles the days before the last; constraints are suggested
    // from that baseline; drift of the last day then checks them and names the break
    LakeloopConfig sliced = driftSlices(ctx);
    lines.add(
        line(
            "drift",
            run(
                ctx,
                sliced,
                new DriftJob(),
                "--run-id",
                "demo-drift",
                "--date",
                last.minusDays(1).toString(),
                "--since",
                start.toString())));
    lines.add(step(ctx, new ConstraintsJob(), "constraints", "suggest"));
    lines.add(
        line(
            "drift (last day, with constraints)",
            run(
                ctx,
                sliced,
                new DriftJob(),
                "--run-id",
                "demo-drift-last",
                "--date",
                last.toString())));
    return lines;
  }

  /**
   * The demo's drift per slice: the model's drift-slices, or else its first slice column (churn:
   * region); the demo's drift runs use it.
   */
  private static LakeloopConfig driftSlices(JobContext ctx) {
    List<String> slices = ctx.config().modelSettings(ctx.model().name()).strings("drift-slices");
    List<String> columns = ctx.model().sliceColumns();
    return slices.isEmpty() && !columns.isEmpty()
        ? ctx.config()
            .withSetting("models." + ctx.model().name() + ".drift-slices", List.of(columns.get(0)))
        : ctx.config();
  }

  /**
   * With drift per slice on, the generator also shifts one slice from the second week: the rarest
   * listed value of the model's first drift-slices column (churn: region mea), by a tenth of a
   * standard deviation — found in that region, diluted below every threshold in all rows.
   */
  private static LakeloopConfig sliceDrift(JobContext ctx, LakeloopConfig config) {
    List<String> slices =
        driftSlices(ctx).modelSettings(ctx.model().name()).strings("drift-slices");
    Settings categories = config.section("generate").child("categories");
    if (slices.isEmpty() || !categories.raw().hasPath(slices.get(0))) {
      return config;
    }
    List<String> values = categories.strings(slices.get(0));
    return config
        .withSetting("generate.slice-drift.start-day", 7)
        .withSetting("generate.slice-drift.column", slices.get(0))
        .withSetting("generate.slice-drift.value", values.get(values.size() - 1))
        .withSetting("generate.slice-drift.strength", 0.1);
  }

  /**
   * A search small enough for the demo: 9 of 16 configurations by successive halving, 1 epoch each,
   * then the best 3 for 3 epochs, on 5,000 sampled training rows.
   */
  private static LakeloopConfig demoSearch(LakeloopConfig config) {
    return config
        .withSetting("tune.space.learning-rate", List.of(0.002, 0.01))
        .withSetting("tune.space.hidden", List.of(List.of(48), List.of(64, 32)))
        .withSetting("tune.space.l2", List.of(0, 0.0001))
        .withSetting("tune.space.dropout", List.of(0, 0.2))
        .withSetting("tune.space.batch-size", List.of(64))
        .withSetting("tune.samples", 9)
        .withSetting("tune.max-epochs", 3)
        .withSetting("tune.halving.eta", 3)
        .withSetting("tune.sample-rows", 5000)
        .withSetting("tune.validation-rows", 2000);
  }

  private static String ingest(
      JobContext ctx, String title, String runId, String landing, String table) throws Exception {
    return step(
        ctx,
        new IngestJob(),
        title,
        "--run-id",
        runId,
        "--table",
        table,
        "--format",
        "json",
        "--path",
        landing + "/" + table);
  }

  /**
   * Searches hyper-parameters on the last days (tune), trains the winning configuration on them
   * (the injected concept drift), distils a student and gates both against the deployed model on
   * held-out rows; when the gate blesses one, compresses and publishes it and lets it serve.
   */
  private static List<String> update(JobContext ctx, String landing, LocalDate last)
      throws Exception {
    List<String> lines = new ArrayList<>();
    LakeloopConfig tuned = demoSearch(ctx.config());
    JobResult search =
        run(ctx, tuned, new TuneJob(), "--run-id", "demo-tune", "--date", last.toString());
    lines.add(line("tune (a search before training)", search));
    LakeloopConfig training =
        search.exitCode() == JobLauncher.OK
            ? tuned.withSetting("train.from-tuning", "latest")
            : ctx.config();
    JobResult trained =
        run(ctx, training, new TrainJob(), "--run-id", "demo-train", "--date", last.toString());
    lines.add(line("train (the tuned configuration), distil and gate", trained));
    if (trained.exitCode() == JobLauncher.OK) {
      lines.addAll(publishAndServe(ctx, landing, last));
    } else {
      lines.add("  compress, score: skipped — the gate blessed no model, the deployed one stays");
    }
    return lines;
  }

  /**
   * A regression model ({@code lakeloop.demo.regression-model}) through the loop: its traffic
   * generated straight into the tables, train (target standardised, student distilled on blended
   * targets, gate on RMSE), compress (judged on RMSE) and score of the days after with the
   * champion.
   */
  private static List<String> regression(JobContext ctx, LocalDate last) throws Exception {
    Settings demo = ctx.config().section("demo");
    String model = demo.string("regression-model");
    if (model.isEmpty()) {
      return List.of("regression model: skipped (lakeloop.demo.regression-model is \"\")");
    }
    long rows = demo.positiveLong("regression-rows");
    long days = ctx.config().section("generate").positiveLong("days");
    String later = ctx.lakehouse().root() + "/landing/demo-" + model + "-later";
    List<String> lines = new ArrayList<>();
    lines.add(
        "regression model " + model + " (" + ctx.config().model(model).task().configName() + "):");
    lines.add(
        line(
            "generate",
            runFor(
                ctx,
                model,
                new GenerateJob(),
                "generate",
                "--rows",
                "" + rows,
                "--seed",
                "" + REGRESSION_SEED)));
    JobResult trained = runFor(ctx, model, new TrainJob(), "train", "--date", "" + last);
    lines.add(line("train, distil and gate on RMSE", trained));
    if (trained.exitCode() != JobLauncher.OK) {
      lines.add("  compress, score: skipped — the gate blessed no model");
      return lines;
    }
    JobResult compressed = runFor(ctx, model, new CompressJob(), "compress", "--date", "" + last);
    lines.add(line("compress and publish (judged on RMSE)", compressed));
    if (compressed.exitCode() != JobLauncher.OK) {
      lines.add("  score: skipped — no compressed model passed the gate");
      return lines;
    }
    lines.add(
        line(
            "generate later days",
            runFor(
                ctx,
                model,
                new GenerateJob(),
                "generate-later",
                "--start-date",
                "" + last.plusDays(1),
                "--days",
                "" + LATER_DAYS,
                "--rows",
                "" + Math.max(1, rows * LATER_DAYS / days),
                "--seed",
                "" + (REGRESSION_SEED + 1),
                "--output",
                later,
                "--format",
                "json")));
    lines.add(
        line(
            "score later days with the champion",
            runFor(
                ctx,
                model,
                new ScoreJob(),
                "score",
                "--date",
                "" + last.plusDays(LATER_DAYS),
                "--input",
                later + "/" + Tables.PREDICTION_LOG,
                "--format",
                "json")));
    return lines;
  }

  /** A step of another model's loop in the demo: its --model and a run id of its own. */
  private static JobResult runFor(
      JobContext ctx, String model, Job job, String step, String... args) throws Exception {
    List<String> argv =
        new ArrayList<>(List.of("--model", model, "--run-id", "demo-" + model + "-" + step));
    argv.addAll(List.of(args));
    return run(ctx, ctx.config(), job, argv.toArray(new String[0]));
  }

  /**
   * What the data holds, as one aggregate: daily traffic, label coverage and the accuracy of the
   * deployed model's predictions, where the injected concept drift shows.
   */
  private static List<String> dailyTable(JobContext ctx) {
    ctx.spark()
        .read()
        .format("delta")
        .load(ctx.lakehouse().path(Tables.PREDICTION_LOG))
        .where(Predicate.eq(Columns.MODEL_NAME, ctx.model().name()).column())
        .createOrReplaceTempView("demo_log");
    ctx.spark()
        .read()
        .format("delta")
        .load(ctx.lakehouse().path(Tables.LABELS_TABLE))
        .createOrReplaceTempView("demo_labels");
    List<Row> days =
        ctx.spark()
            .sql(
                "select p.event_date, p.model_version, count(*) as n, count(l.label) as labeled,"
                    + " avg(cast(case when l.label is null then null when l.label = p.prediction then 1 else 0 end as double)) as accuracy"
                    + " from demo_log p left join demo_labels l on p.request_id = l.request_id"
                    + " group by p.event_date, p.model_version order by p.event_date")
            .collectAsList();
    List<String> lines = new ArrayList<>();
    lines.add(
        "  day          model version  predictions  labeled  accuracy (vs labels; version 1 is"
            + " the deployed model, the later days are scored by the published one)");
    for (Row r : days) {
      lines.add(
          String.format(
              "  %s  %13s  %11d  %7d  %s",
              r.get(0),
              r.get(1),
              r.getLong(2),
              r.getLong(3),
              r.isNullAt(4) ? "-" : String.format("%.3f", r.getDouble(4))));
    }
    return lines;
  }

  /**
   * The model spec's own measures as evaluate wrote them for the deployed model's first weekly
   * window: its custom metric, its slice expression and its fairness grouping's disparities, each
   * with its bootstrap interval (a small read of eval_metrics rows).
   */
  private static List<String> measuresTable(JobContext ctx) {
    Measures measures = Measures.of(ctx.config(), ctx.model());
    Dataset<Row> eval =
        ctx.spark()
            .read()
            .format("delta")
            .load(ctx.lakehouse().path(Tables.EVAL_METRICS))
            .where(
                Predicate.eq(Columns.MODEL_NAME, ctx.model().name())
                    .column()
                    .and(col(Columns.GRANULARITY).equalTo("1 week"))
                    .and(col(Columns.MODEL_VERSION).equalTo("1")));
    // the week with the most rows (the first and last weeks of the traffic are partial)
    List<Row> busiest =
        eval.where(col(Columns.SLICE_KEY).equalTo("*").and(col(Columns.METRIC).equalTo("count")))
            .orderBy(col(Columns.VALUE).desc(), col(Columns.WINDOW_START))
            .select(Columns.WINDOW_START)
            .limit(1)
            .collectAsList();
    List<String> lines = new ArrayList<>();
    if (measures.isEmpty() || busiest.isEmpty()) {
      return lines;
    }
    Timestamp week = busiest.get(0).getTimestamp(0);
    List<String> custom = measures.customMetrics().stream().map(CustomMetric::name).toList();
    List<String> expressions =
        measures.sliceExpressions().stream().map(Measures.Named::name).toList();
    List<String> fairness =
        measures.fairness().stream().map(f -> Measures.FAIRNESS_PREFIX + f.name()).toList();
    List<Row> rows =
        eval.where(col(Columns.WINDOW_START).equalTo(lit(week)))
            .where(
                col(Columns.SLICE_KEY)
                    .equalTo("*")
                    .and(col(Columns.METRIC).isin(custom.toArray()))
                    .or(
                        col(Columns.SLICE_KEY)
                            .isin(expressions.toArray())
                            .and(col(Columns.SLICE_VALUE).equalTo("true"))
                            .and(col(Columns.METRIC).isin("accuracy", "count")))
                    .or(
                        col(Columns.SLICE_KEY)
                            .isin(fairness.toArray())
                            .and(
                                col(Columns.METRIC)
                                    .isin(
                                        Measures.PARITY_DIFFERENCE,
                                        Measures.OPPORTUNITY_DIFFERENCE))))
            .orderBy(Columns.SLICE_KEY, Columns.SLICE_VALUE, Columns.METRIC)
            .select(
                Columns.SLICE_KEY,
                Columns.SLICE_VALUE,
                Columns.METRIC,
                Columns.VALUE,
                Columns.CI_LOW,
                Columns.CI_HIGH)
            .collectAsList();
    lines.add(
        "the model spec's own measures (evaluate, same pass; version 1, week of "
            + week.toInstant().toString().substring(0, 10)
            + ", 95% bootstrap intervals):");
    for (Row r : rows) {
      String where =
          r.getString(0).equals("*")
              ? "all rows"
              : r.getString(0).startsWith(Measures.FAIRNESS_PREFIX)
                  ? r.getString(0) + " group " + r.getString(1)
                  : "slice " + r.getString(0) + "=" + r.getString(1);
      lines.add(
          String.format(
              "  %-32s %-30s %12s  %s",
              r.getString(2),
              where,
              r.isNullAt(3) ? "-" : String.format("%.4f", r.getDouble(3)),
              r.isNullAt(4) ? "" : String.format("[%.4f, %.4f]", r.getDouble(4), r.getDouble(5))));
    }
    return lines;
  }

  private static List<String> whereToLook(JobContext ctx, JobResult report) {
    return List.of(
        "where to look:",
        "  open " + report.summary().get("report") + "   (the HTML report, self-contained)",
        "  bin/lakeloop query \"select reason, count(*) as n from quarantine group by reason order by n desc\"",
        "  bin/lakeloop query \"select job, run_id, status, outputs from job_runs\"",
        "  bin/lakeloop registry list        (then: registry show churn@challenger)",
        "  bin/lakeloop query \"select model_name, version, parent_version, status,"
            + " metrics['holdout.accuracy'] as accuracy, metrics['parameters'] as parameters"
            + " from model_registry order by version\"",
        "  bin/lakeloop query \"select candidate, candidate_version, blessed, winner, passed,"
            + " reason from gate_decisions\"",
        "  bin/lakeloop query \"select window_start, value, ci_low, ci_high from eval_metrics where"
            + " slice_value='*' and metric='roc_auc' and granularity='1 day' order by 1\"",
        "  bin/lakeloop query \"select window_start, column, value, drifted from drift_metrics where"
            + " slice_key='*' and comparison='BASELINE' and granularity='1 day' and statistic='psi'"
            + " order by 2, 1\"",
        "  bin/lakeloop query \"select window_start, slice_value, column, value, threshold from"
            + " drift_metrics where slice_key='region' and comparison='BASELINE' and"
            + " granularity='1 day' and statistic='psi' and drifted order by 1, 2, 3\"     (drift"
            + " per region)",
        "  bin/lakeloop query \"select window_start, value, threshold, p_value, drifted from"
            + " drift_metrics where column='pca_reconstruction' and granularity='1 day' order by"
            + " 1\"     (multivariate drift)",
        "  bin/lakeloop constraints show     (then edit "
            + ctx.lakehouse().root()
            + "/constraints/"
            + ctx.model().name()
            + ".conf)",
        "  bin/lakeloop query \"select window_start, granularity, constraint_name, observed, bound"
            + " from constraint_checks where not passed\"",
        "  tables: "
            + ctx.lakehouse().root()
            + "/{"
            + Tables.PREDICTION_LOG
            + ","
            + Tables.FIXED.stream().map(TableSpec::name).collect(Collectors.joining(","))
            + "} and models/");
  }

  /** Compresses and publishes the gate's winner, then lets it serve ({@link #serveLaterDays}). */
  private static List<String> publishAndServe(JobContext ctx, String landing, LocalDate last)
      throws Exception {
    List<String> lines = new ArrayList<>();
    JobResult compressed =
        run(ctx, ctx.config(), new CompressJob(), "--run-id", "demo-compress", "--date", "" + last);
    lines.add(line("compress and publish", compressed));
    if (compressed.exitCode() != JobLauncher.OK) {
      lines.add("  score later days: skipped — no compressed model passed the gate");
      return lines;
    }
    lines.addAll(serveLaterDays(ctx, landing + "-later", last));
    return lines;
  }

  /**
   * {@link #LATER_DAYS} more days of traffic (the drifted world goes on) land as files, are scored
   * by the new champion into prediction_log, get their labels and are evaluated.
   */
  private static List<String> serveLaterDays(JobContext ctx, String later, LocalDate last)
      throws Exception {
    LakeloopConfig config = ctx.config();
    Settings g = config.section("generate");
    // the same world (true relation, deployed model), new rows (another seed), still drifted
    LakeloopConfig drifted =
        config
            .withSetting("generate.world-seed", g.positiveLong("seed"))
            .withSetting("generate.covariate-drift.start-day", 0)
            .withSetting("generate.concept-drift.start-day", 0);
    long rows = Math.max(1, g.positiveLong("rows") * LATER_DAYS / g.positiveLong("days"));
    LocalDate end = last.plusDays(LATER_DAYS);
    List<String> lines = new ArrayList<>();
    lines.add(
        line(
            "generate later days",
            run(
                ctx,
                drifted,
                new GenerateJob(),
                "--run-id",
                "demo-generate-later",
                "--start-date",
                "" + last.plusDays(1),
                "--days",
                "" + LATER_DAYS,
                "--rows",
                "" + rows,
                "--seed",
                "" + (g.positiveLong("seed") + 1),
                "--output",
                later,
                "--format",
                "json")));
    lines.add(
        step(
            ctx,
            new ScoreJob(),
            "score later days with the champion",
            "--run-id",
            "demo-score",
            "--date",
            "" + end,
            "--input",
            later + "/" + Tables.PREDICTION_LOG,
            "--format",
            "json"));
    lines.add(
        ingest(ctx, "ingest their labels", "demo-ingest-labels-later", later, Tables.LABELS_TABLE));
    lines.add(
        step(
            ctx,
            new EvaluateJob(),
            "evaluate later days",
            "--run-id",
            "demo-evaluate-later",
            "--date",
            "" + end,
            "--since",
            "" + last.plusDays(1)));
    return lines;
  }

  /**
   * The published champion answers a day's worth of the later days' requests over HTTP: {@code
   * serve} in this JVM on a loopback port, its traffic log on; the logged rows (today's, by the
   * clock: served traffic is stamped when answered) are loaded by ingest-served and evaluated — no
   * labels yet, so evaluate estimates their quality.
   */
  private static List<String> serveOnline(JobContext ctx, String later) throws Exception {
    List<String> lines = new ArrayList<>();
    LakeloopConfig config = ctx.config();
    String model = ctx.model().name();
    try {
      new io.lakeloop.common.registry.PublishedModels(
              ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root())
          .resolve(io.lakeloop.common.registry.ModelRef.parse(model + "@champion"));
    } catch (io.lakeloop.common.LakeloopException e) {
      lines.add("  serve over HTTP: skipped — no model was published, nothing to serve");
      return lines;
    }
    // A rerun serves nothing again: the same requests, answered later, would be new rows.
    long before =
        ctx.lakehouse()
            .readIfExists(Tables.PREDICTION_LOG)
            .map(
                t ->
                    t.data()
                        .where(
                            org.apache
                                .spark
                                .sql
                                .functions
                                .col(Columns.REQUEST_ID)
                                .startsWith(ONLINE))
                        .count())
            .orElse(0L);
    if (before > 0) {
      lines.add(
          String.format(
              "  serve over HTTP: done by an earlier demo run (%,d served rows in prediction_log)",
              before));
      return lines;
    }
    Settings g = config.section("generate");
    long rows = Math.max(1, g.positiveLong("rows") / g.positiveLong("days"));
    List<Row> requests =
        ctx.spark()
            .read()
            .json(later + "/" + Tables.PREDICTION_LOG)
            .limit((int) rows)
            .collectAsList();
    java.nio.file.Path tmp = java.nio.file.Files.createTempDirectory("lakeloop-demo-serve");
    LakeloopConfig serving =
        config
            .withSetting("serve.ref", model + "@champion")
            .withSetting("serve.port", 0)
            .withSetting("serve.watch-interval", "1s")
            .withSetting("serve.model-dir", tmp.resolve("models").toString())
            .withSetting("serve.log.spool", tmp.resolve("spool").toString());
    List<String> features = new ArrayList<>(ctx.model().numericFeatures());
    features.addAll(ctx.model().stringColumns());
    long answered = 0;
    Map<String, Integer> refused = new java.util.TreeMap<>();
    long start = System.nanoTime();
    int version;
    try (io.lakeloop.serving.Serve.Running server = io.lakeloop.serving.Serve.embedded(serving)) {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (server.servedVersion().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      version =
          server
              .servedVersion()
              .orElseThrow(
                  () -> new IllegalStateException("serve: the champion did not load in 60 s"));
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      com.fasterxml.jackson.databind.ObjectMapper json =
          new com.fasterxml.jackson.databind.ObjectMapper();
      java.net.URI uri =
          java.net.URI.create(
              "http://127.0.0.1:" + server.port() + "/v1/models/" + model + ":predict");
      for (int from = 0; from < requests.size(); from += 100) {
        List<Map<String, Object>> batch = new ArrayList<>();
        for (Row r : requests.subList(from, Math.min(requests.size(), from + 100))) {
          Map<String, Object> instance = new java.util.LinkedHashMap<>();
          instance.put("request_id", ONLINE + r.getAs(Columns.REQUEST_ID));
          for (String f : features) {
            instance.put(f, r.getAs(f));
          }
          batch.add(instance);
        }
        // The generated traffic has malformed rows: a refused instance (the error names it) is
        // dropped and counted, and the rest of the batch sent again.
        while (!batch.isEmpty()) {
          java.net.http.HttpResponse<String> answer =
              http.send(
                  java.net.http.HttpRequest.newBuilder(uri)
                      .POST(
                          java.net.http.HttpRequest.BodyPublishers.ofString(
                              json.writeValueAsString(Map.of("instances", batch))))
                      .header("Content-Type", "application/json")
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
          if (answer.statusCode() == 200) {
            answered += json.readTree(answer.body()).get("predictions").size();
            break;
          }
          com.fasterxml.jackson.databind.JsonNode error =
              json.readTree(answer.body()).path("error");
          java.util.regex.Matcher at =
              java.util.regex.Pattern.compile("^instances\\[(\\d+)]")
                  .matcher(error.path("field").asText(""));
          if (answer.statusCode() != 400 || !at.find()) {
            throw new IllegalStateException(
                "serve answered " + answer.statusCode() + ": " + answer.body());
          }
          batch.remove(Integer.parseInt(at.group(1)));
          refused.merge(error.path("code").asText(), 1, Integer::sum);
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    lines.add(
        String.format(
            "  serve over HTTP: %,d requests answered by %s/%d in batches of up to 100 (%.1f s,"
                + " loopback), each row logged and published to landing/served; %,d malformed"
                + " rows refused with a 400 %s",
            answered,
            model,
            version,
            seconds,
            refused.values().stream().mapToInt(Integer::intValue).sum(),
            refused));
    String today = LocalDate.now(java.time.ZoneOffset.UTC).toString();
    lines.add(
        step(
            ctx,
            new io.lakeloop.monitoring.ingest.IngestServedJob(),
            "ingest what it served",
            "--run-id",
            "demo-ingest-served",
            "--date",
            today));
    lines.add(
        step(
            ctx,
            new EvaluateJob(),
            "evaluate the served day (its labels have not arrived)",
            "--run-id",
            "demo-evaluate-served",
            "--date",
            today,
            "--since",
            today));
    return lines;
  }

  private static String step(JobContext ctx, Job job, String title, String... args)
      throws Exception {
    return line(title, run(ctx, ctx.config(), job, args));
  }

  private static String line(String title, JobResult r) {
    return "  " + title + ": " + r.output();
  }

  private static JobResult run(JobContext ctx, LakeloopConfig config, Job job, String... args)
      throws Exception {
    List<String> argv = new ArrayList<>(List.of(args));
    if (!argv.contains("--model")) {
      ctx.args().get("model").ifPresent(m -> argv.addAll(List.of("--model", m)));
    }
    CliArgs parsed =
        CliArgs.parse(
            job.name(), argv.toArray(new String[0]), job.flags(), job.positionalHelp() != null);
    LOG.info("demo: {} {}", job.name(), String.join(" ", args));
    return JobLauncher.run(job, parsed, config, ctx.spark());
  }
}
