package io.lakeloop.monitoring.evaluate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.RunMetrics;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.notify.Webhook;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.schema.Metrics;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Granularity;
import io.lakeloop.common.window.Predicate;
import io.lakeloop.monitoring.LabeledPredictions;
import io.lakeloop.monitoring.estimate.Calibrations;
import io.lakeloop.monitoring.quality.QualityCheck;
import io.lakeloop.monitoring.quality.QualityRules;
import io.lakeloop.monitoring.quality.QualitySettings;
import io.lakeloop.monitoring.quality.QualityText;
import java.sql.Date;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop evaluate --date D}: model quality of one model from {@code prediction_log}
 * joined with {@code labels} (both pinned snapshots; labels that arrived after D are ignored, so a
 * run for D reads the same data whenever it runs), written to {@code eval_metrics}.
 *
 * <p>Which windows: every window (per granularity) that ends after D minus the model's label delay
 * and starts by D — the windows whose labels may have changed since the run for D-1 — or, with
 * {@code --since S}, every window from S on (a backfill). Those windows are overwritten with one
 * {@code replaceWhere} commit, so a rerun leaves identical content and late labels re-evaluate a
 * window instead of adding to it. Cost: the engine's ({@link Evaluator}) top-K job and one fused
 * aggregation, plus a shuffle to keep the latest label per request.
 */
public final class EvaluateJob
    implements StagedJob<EvaluateJob.Planned, EvaluateJob.Computed, EvaluateJob.Outcome> {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  static final List<Flag> FLAGS =
      List.of(
          Flag.value(
              "since",
              "YYYY-MM-DD",
              "also re-evaluate every window from this date on (backfill); default: only windows"
                  + " within the model's label delay"),
          Flag.toggle(
              "fail-on-alert",
              "exit with code 3 (after writing every table) when a window broke a quality rule"
                  + " (lakeloop.models.<name>.quality), so a scheduler can branch on it"));

  /** Metrics shown in the CLI's summary table. */
  static final List<String> HEADLINE =
      List.of(
          "count",
          "labeled_share",
          "accuracy",
          Metrics.estimated("accuracy"),
          "f1_macro",
          "roc_auc",
          "log_loss",
          "mae",
          "rmse");

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new EvaluateJob(), args));
  }

  @Override
  public String name() {
    return "evaluate";
  }

  @Override
  public String description() {
    return "Compute model quality (accuracy, F1, ROC-AUC, log-loss, calibration, MAE/RMSE, ...)"
        + " per model version x window x slice with bootstrap intervals, for the windows whose"
        + " labels may have changed by --date; overwrites exactly those windows in eval_metrics.";
  }

  @Override
  public List<Flag> flags() {
    return FLAGS;
  }

  /**
   * The windows a run for {@code date} evaluates, and the eval_metrics predicate they cover: every
   * window from {@code firstDate} on, and the older windows of the {@code corrected} days.
   */
  record Plan(
      Evaluator.WindowScope scope,
      LocalDate firstDate,
      LocalDate lastDate,
      Predicate predicate,
      List<LocalDate> corrected) {

    /** The first day whose predictions the run reads: its own or its oldest added window's. */
    LocalDate readFrom() {
      return scope.also().values().stream()
          .flatMap(Set::stream)
          .min(Instant::compareTo)
          .map(i -> LocalDate.ofInstant(i, ZoneOffset.UTC))
          .filter(d -> d.isBefore(firstDate))
          .orElse(firstDate);
    }

    /** The predictions the run reads, within [readFrom, lastDate]: its windows' days. */
    Column days() {
      Column in = col(EVENT_DATE).geq(lit(Date.valueOf(firstDate)));
      for (Map.Entry<Granularity, Set<Instant>> e : scope.also().entrySet()) {
        for (Instant start : e.getValue()) {
          in =
              in.or(
                  col(EVENT_DATE)
                      .between(
                          Date.valueOf(LocalDate.ofInstant(start, ZoneOffset.UTC)),
                          Date.valueOf(
                              LocalDate.ofInstant(
                                  e.getKey().end(start).minusSeconds(1), ZoneOffset.UTC))));
        }
      }
      return in;
    }
  }

  /**
   * The plan with the windows of {@code changed} days added where they are older than the plan's
   * (days whose labels changed since the model was last evaluated, however long ago).
   */
  static Plan withCorrected(Plan plan, ModelSpec model, Collection<LocalDate> changed) {
    List<LocalDate> older =
        changed.stream().filter(d -> d.isBefore(plan.firstDate())).sorted().distinct().toList();
    if (older.isEmpty()) {
      return plan;
    }
    Map<Granularity, Set<Instant>> also = new LinkedHashMap<>();
    for (Map.Entry<Granularity, Instant> e : plan.scope().from().entrySet()) {
      Granularity g = e.getKey();
      for (LocalDate d : older) {
        Instant start = g.start(d.atStartOfDay(ZoneOffset.UTC).toInstant());
        if (start.isBefore(e.getValue())) {
          also.computeIfAbsent(g, k -> new TreeSet<>()).add(start);
        }
      }
    }
    if (also.isEmpty()) {
      return plan;
    }
    // per granularity one IN list of dates and of starts: an OR per window outgrows codegen when
    // many old days changed
    List<Predicate> clauses = new ArrayList<>();
    also.forEach(
        (g, starts) ->
            clauses.add(
                Predicate.and(
                    Predicate.in(
                        WINDOW_DATE,
                        starts.stream().map(t -> LocalDate.ofInstant(t, ZoneOffset.UTC)).toList()),
                    Predicate.eq(GRANULARITY, g.label()),
                    Predicate.inInstants(WINDOW_START, starts))));
    Predicate predicate =
        Predicate.or(
            List.of(
                plan.predicate(),
                Predicate.and(Predicate.eq(MODEL_NAME, model.name()), Predicate.or(clauses))));
    return new Plan(
        new Evaluator.WindowScope(plan.scope().from(), plan.scope().until(), also),
        plan.firstDate(),
        plan.lastDate(),
        predicate,
        older);
  }

  static Plan plan(
      ModelSpec model, EvalSettings settings, LocalDate date, Optional<LocalDate> since) {
    Instant dayStart = date.atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant until = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    // Labels seen by the run for D-1 cover everything before dayStart; a window can still change
    // if its end + label delay is after that.
    Instant changedAfter = dayStart.minus(model.labelDelay());
    if (since.isPresent()) {
      Instant s = since.get().atStartOfDay(ZoneOffset.UTC).toInstant();
      changedAfter = s.isBefore(changedAfter) ? s : changedAfter;
    }
    Map<Granularity, Instant> from = new LinkedHashMap<>();
    List<Predicate> clauses = new ArrayList<>();
    Instant earliest = until;
    for (Granularity g : settings.granularities()) {
      Instant start = g.start(changedAfter);
      from.put(g, start);
      earliest = start.isBefore(earliest) ? start : earliest;
      clauses.add(
          Predicate.and(
              Predicate.eq(GRANULARITY, g.label()), Predicate.atLeast(WINDOW_START, start)));
    }
    LocalDate first = LocalDate.ofInstant(earliest, ZoneOffset.UTC);
    Predicate predicate =
        Predicate.and(
            Predicate.eq(MODEL_NAME, model.name()),
            Predicate.atLeast(WINDOW_DATE, first),
            Predicate.atMost(WINDOW_DATE, date),
            Predicate.or(clauses));
    return new Plan(new Evaluator.WindowScope(from, until), first, date, predicate, List.of());
  }

  /**
   * What a run will do: the model, its settings, the logical date, the windows, the quality rules
   * they are judged by and where alerts are sent.
   */
  record Planned(
      ModelSpec model,
      EvalSettings settings,
      LocalDate date,
      Plan windows,
      QualitySettings quality,
      Measures measures,
      Optional<Webhook> webhook,
      boolean failOnAlert) {}

  /**
   * The run's Spark work, not executed yet: the joined rows, the metrics over them, and the
   * out-of-order message (empty unless this run rewrites windows a later date evaluated).
   */
  record Computed(
      Plan windows,
      Evaluator evaluator,
      Dataset<Row> joined,
      Dataset<Row> metrics,
      String outOfOrder,
      Calibrations.Use calibration) {}

  /** What a run wrote and found. */
  record Outcome(
      Planned planned,
      String runId,
      long version,
      String rows,
      long invalidRows,
      String outOfOrder,
      String headline,
      List<JobResult.Gauge> gauges,
      QualityRules.Judgement quality,
      long alertsVersion,
      List<LocalDate> corrected,
      String estimation) {}

  @Override
  public Planned plan(JobContext ctx) {
    LocalDate date =
        ctx.logicalDate()
            .orElseThrow(
                () ->
                    new LakeloopException(
                        "evaluate needs --date YYYY-MM-DD: the logical date whose labels are"
                            + " known (e.g. the last day of traffic)"));
    ModelSpec model = ctx.model();
    EvalSettings settings = EvalSettings.from(ctx.config());
    Measures measures = Measures.of(ctx.config(), model);
    return new Planned(
        model,
        settings,
        date,
        plan(model, settings, date, ctx.args().date("since")),
        QualitySettings.of(ctx.config(), model.name(), measures.lowerIsBetter()),
        measures,
        Webhook.configured(ctx.config().section("drift").child("alerts"), "lakeloop.drift.alerts"),
        ctx.args().has("fail-on-alert"));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    Plan w =
        withCorrected(
            p.windows(), p.model(), LabelChanges.since(ctx.lakehouse(), p.model().name()));
    Dataset<Row> joined = LabeledPredictions.read(ctx.tables(), p.model(), w.readFrom(), p.date());
    if (!w.corrected().isEmpty()) {
      joined = joined.where(w.days());
    }
    // custom metrics and slice expressions resolve before any Spark job (a bad one fails here)
    new Evaluator(p.model(), p.settings(), p.measures()).check(joined);
    Calibrations.Use calibration = calibration(ctx, p);
    Evaluator evaluator = new Evaluator(p.model(), p.settings(), calibration.maps(), p.measures());
    Dataset<Row> metrics = evaluator.evaluate(joined, Optional.of(w.scope()), ctx.runId());
    return new Computed(
        w,
        evaluator,
        joined,
        metrics,
        outOfOrder(ctx.lakehouse(), name(), w, p.date()),
        calibration);
  }

  /**
   * The calibrations the run estimates with (CBPE): none for regression models, with {@code
   * quality.estimate = false} or without a reference period; otherwise the model's stored ones, or
   * new ones fitted on the reference period once its labels are all in.
   */
  static Calibrations.Use calibration(JobContext ctx, Planned p) {
    QualitySettings q = p.quality();
    if (!q.estimate() || !p.model().task().isClassification()) {
      return Calibrations.Use.none("");
    }
    if (q.referenceFrom().isEmpty()) {
      return Calibrations.Use.none(
          "no estimates: they need a reference period to calibrate on"
              + " (lakeloop.models."
              + p.model().name()
              + ".quality.reference or a window baseline)");
    }
    Evaluator evaluator = new Evaluator(p.model(), p.settings());
    return Calibrations.prepare(
        ctx.tables(),
        p.model(),
        q.referenceFrom().get(),
        q.referenceUntil().get(),
        p.date().plusDays(1),
        evaluator.invalidReason(),
        evaluator.sliceValues(),
        p.settings().topKSliceValues(),
        p.settings().aucBins(),
        q.minLabeled());
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    Lakehouse lh = ctx.lakehouse();
    p.quality()
        .referenceFrom()
        .ifPresent(
            from -> Calibrations.write(ctx.tables(), p.model().name(), from, c.calibration()));
    lh.ensure(Tables.EVAL_METRICS_SPEC);
    if (!c.outOfOrder().isEmpty()) {
      LOG.warn("evaluate: {}", c.outOfOrder());
    }
    long version =
        ctx.tables().replaceWhere(c.metrics(), Tables.EVAL_METRICS_SPEC, c.windows().predicate());
    String written =
        lh.commitMetrics(Tables.EVAL_METRICS, version).getOrDefault("numOutputRows", "?");
    LOG.info(
        "evaluate model={} date={} windows from {} rows={} version={}",
        p.model().name(),
        p.date(),
        c.windows().firstDate(),
        written,
        version);
    long invalid = invalidRows(lh, version, p.model().name(), c.windows().firstDate());
    if (invalid > 0) {
      long qv = quarantine(ctx.tables(), c.evaluator(), c.joined(), c.windows());
      LOG.warn(
          "evaluate: {} rows could not be scored and were left out of the metrics; they are in"
              + " quarantine (v{}) with their reasons",
          invalid,
          qv);
    }
    Granularity shown = p.settings().granularities().get(0);
    List<Row> headlineRows =
        headlineRows(lh, version, p.model().name(), shown, c.windows().firstDate());
    String headline = headlineTable(headlineRows, shown);
    QualityRules.Judgement quality =
        QualityCheck.judge(
            lh,
            version,
            p.model().name(),
            p.quality(),
            c.windows().predicate(),
            c.windows().readFrom(),
            p.date()
                .plusDays(1)
                .atStartOfDay(ZoneOffset.UTC)
                .toInstant()
                .minus(p.model().labelDelay()));
    long alertsVersion = -1;
    if (!p.quality().rules().isEmpty() || !p.quality().anomaly().metrics().isEmpty()) {
      alertsVersion =
          QualityCheck.write(
              ctx.tables(), p.model().name(), c.windows().predicate(), quality.breaches());
      if (!quality.breaches().isEmpty() && p.webhook().isPresent()) {
        p.webhook()
            .get()
            .post(QualityCheck.document(p.model().name(), ctx.runId(), quality.breaches()));
      }
    }
    return new Outcome(
        p,
        ctx.runId(),
        version,
        written,
        invalid,
        c.outOfOrder(),
        headline,
        // one more read of eval_metrics, only for a run that pushes its metrics
        RunMetrics.configured(ctx.config()).isPresent()
            ? headlineGauges(lh, version, p.model().name(), shown, headlineRows)
            : List.of(),
        quality,
        alertsVersion,
        c.windows().corrected(),
        c.calibration().text());
  }

  @Override
  public JobResult render(Outcome o) {
    Planned p = o.planned();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("model", p.model().name());
    summary.put("invalid_rows", Long.toString(o.invalidRows()));
    summary.put("windows_from", p.windows().firstDate().toString());
    summary.put("rows", o.rows());
    summary.put("version", Long.toString(o.version()));
    summary.put("out_of_order", Boolean.toString(!o.outOfOrder().isEmpty()));
    List<QualityRules.Breach> breaches = o.quality().breaches();
    summary.put("quality_alerts", Integer.toString(breaches.size()));
    boolean fail = p.failOnAlert() && !breaches.isEmpty();
    String output =
        String.format(
            "evaluate: %s metric rows for model %s, windows %s..%s (eval_metrics v%d)%s%n%s",
            o.rows(),
            p.model().name(),
            p.windows().firstDate(),
            p.date(),
            o.version(),
            o.invalidRows() == 0
                ? ""
                : String.format(
                    "; %,d rows could not be scored (see: bin/lakeloop query \"select reason,"
                        + " count(*) from quarantine where run_id = '%s' group by reason\")",
                    o.invalidRows(), o.runId()),
            o.outOfOrder().isEmpty() ? o.headline() : o.headline() + "\n" + o.outOfOrder());
    if (!o.estimation().isEmpty()) {
      output += "\n" + o.estimation();
    }
    String quality = QualityText.render(p.quality(), o.quality(), o.alertsVersion());
    if (!quality.isEmpty()) {
      output += "\n" + quality;
    }
    if (!o.corrected().isEmpty()) {
      summary.put("corrected_days", Integer.toString(o.corrected().size()));
      output +=
          String.format(
              "%nlabels changed since the last evaluate on %d older day(s) (%s): their windows"
                  + " were evaluated again",
              o.corrected().size(),
              o.corrected().size() <= 10
                  ? String.join(", ", o.corrected().stream().map(LocalDate::toString).toList())
                  : o.corrected().get(0) + " .. " + o.corrected().get(o.corrected().size() - 1));
    }
    if (fail) {
      output += "\n(--fail-on-alert: exit code " + JobLauncher.ALERT_RAISED + ")";
    }
    List<JobResult.Gauge> gauges = new ArrayList<>(o.gauges());
    gauges.add(
        new JobResult.Gauge(
            "lakeloop_evaluate_quality_alerts",
            "Quality rules the run's windows broke (alerts of kind quality and anomaly).",
            Map.of(),
            breaches.size()));
    return new JobResult(output, summary, fail ? JobLauncher.ALERT_RAISED : JobLauncher.OK)
        .withGauges(gauges);
  }

  /**
   * Whether this run is an out-of-order backfill: the windows it is about to rewrite that
   * eval_metrics holds from succeeded runs with a later {@code --date}. Each window's metrics are
   * those of the labels known by the date of the run that wrote it last, so after an older date
   * they are older figures; nothing is lost (the later run's rows are in the table's history) but
   * it is worth saying. Empty when no such window; otherwise the message, naming the later runs and
   * how to bring the windows up to date again. Reads the plan's distinct windows and run ids only.
   */
  static String outOfOrder(Lakehouse lh, String job, Plan plan, LocalDate date) {
    if (lh.latestVersion(Tables.EVAL_METRICS).isEmpty()
        || lh.latestVersion(Tables.JOB_RUNS).isEmpty()) {
      return "";
    }
    Dataset<Row> windows =
        lh.read(Tables.EVAL_METRICS)
            .data()
            .where(plan.predicate().column())
            .select(GRANULARITY, WINDOW_START, RUN_ID)
            .distinct();
    Dataset<Row> later =
        lh.read(Tables.JOB_RUNS)
            .data()
            .where(
                col(JOB)
                    .equalTo(job)
                    .and(col(STATUS).equalTo(JobRuns.SUCCEEDED))
                    .and(col(LOGICAL_DATE).gt(lit(Date.valueOf(date)))))
            .select(RUN_ID, LOGICAL_DATE)
            .distinct();
    List<Row> runs =
        windows
            .join(later, RUN_ID)
            .groupBy(RUN_ID, LOGICAL_DATE)
            .agg(count(lit(1)))
            .orderBy(LOGICAL_DATE, RUN_ID)
            .collectAsList();
    if (runs.isEmpty()) {
      return "";
    }
    long count = runs.stream().mapToLong(r -> r.getLong(2)).sum();
    List<String> by = new ArrayList<>();
    runs.forEach(r -> by.add(r.getString(0) + " (--date " + r.getDate(1) + ")"));
    LocalDate latest = runs.get(runs.size() - 1).getDate(1).toLocalDate();
    return String.format(
        "out-of-order backfill: %d window(s) were last evaluated as of a later date by %s and now"
            + " hold the metrics of the labels known by %s; to bring them up to date again, run"
            + " evaluate --date %s with a new --run-id",
        count, String.join(", ", by), date, latest);
  }

  /**
   * Rows the run could not score, from the eval_metrics it just wrote (aggregates only): per
   * granularity the all-rows slice's invalid rows, the largest (the granularity reaching furthest
   * back covers every row the run read).
   */
  static long invalidRows(Lakehouse lh, long version, String model, LocalDate from) {
    Row r =
        lh.readAt(Tables.EVAL_METRICS, version)
            .where(
                col(MODEL_NAME)
                    .equalTo(model)
                    .and(col(WINDOW_DATE).geq(from.toString()))
                    .and(col(SLICE_KEY).equalTo(Evaluator.ALL))
                    .and(col(METRIC).equalTo("invalid_rows")))
            .groupBy(GRANULARITY)
            .agg(sum(VALUE).as(VALUE))
            .agg(max(VALUE))
            .first();
    return r.isNullAt(0) ? 0 : Math.round(r.getDouble(0));
  }

  /**
   * Writes the rows the run could not score to quarantine (source table prediction_log, reason
   * "evaluate: code (meaning)"), replacing what an earlier attempt of the same run wrote there.
   */
  static long quarantine(RunTables tables, Evaluator evaluator, Dataset<Row> joined, Plan plan) {
    tables.lakehouse().ensure(Tables.QUARANTINE_SPEC);
    Column meaning = lit(null).cast("string");
    for (Evaluator.Invalid r : Evaluator.Invalid.values()) {
      meaning = when(col(REASON).equalTo(r.code()), lit(r.meaning)).otherwise(meaning);
    }
    Column record =
        to_json(struct(Arrays.stream(joined.columns()).map(c -> col(c)).toArray(Column[]::new)));
    Dataset<Row> bad =
        evaluator
            .scoped(joined, Optional.of(plan.scope()))
            .withColumn(RECORD, record)
            .withColumn(REASON, evaluator.invalidReason())
            .where(col(REASON).isNotNull())
            .select(
                lit(Tables.PREDICTION_LOG).as(SOURCE_TABLE),
                lit(null).cast("string").as(SOURCE_PATH),
                col(MODEL_NAME),
                lit(tables.runId()).as(RUN_ID),
                lit(Date.valueOf(plan.lastDate())).as(LOGICAL_DATE),
                concat(lit(QUARANTINE_PREFIX), col(REASON), lit(" ("), meaning, lit(")"))
                    .as(REASON),
                col(RECORD));
    return tables.replaceWhere(
        bad,
        Tables.QUARANTINE_SPEC,
        Predicate.and(
            Predicate.eq(SOURCE_TABLE, Tables.PREDICTION_LOG),
            Predicate.eq(RUN_ID, tables.runId()),
            Predicate.startsWith(REASON, QUARANTINE_PREFIX)));
  }

  /** How this job's quarantine reasons start, so reruns replace only its own rows. */
  static final String QUARANTINE_PREFIX = "evaluate: ";

  /** eval_metrics at a version: a model's headline metrics on all rows for one granularity. */
  private static Dataset<Row> headlineMetrics(
      Lakehouse lh, long version, String model, Granularity granularity) {
    return lh.readAt(Tables.EVAL_METRICS, version)
        .where(
            col(MODEL_NAME)
                .equalTo(model)
                .and(col(GRANULARITY).equalTo(granularity.label()))
                .and(col(SLICE_VALUE).equalTo(Evaluator.ALL))
                .and(col(METRIC).isin(HEADLINE.toArray())));
  }

  /**
   * The headline metrics on all rows ({@code slice_value = '*'}) for one granularity from a date
   * on, read from eval_metrics at a version: model version, window start, metric, value, interval.
   * Reads aggregates only.
   */
  static List<Row> headlineRows(
      Lakehouse lh, long version, String model, Granularity granularity, LocalDate from) {
    return headlineMetrics(lh, version, model, granularity)
        .where(col(WINDOW_DATE).geq(from.toString()))
        .select(MODEL_VERSION, WINDOW_START, METRIC, VALUE, CI_LOW, CI_HIGH)
        .orderBy(MODEL_VERSION, WINDOW_START, METRIC)
        .collectAsList();
  }

  /**
   * For Prometheus: for each model version in the run's windows, its headline metrics in the latest
   * window (of all eval_metrics, not only the run's) that has a value, and when that window starts.
   * The newest days often have no labels yet; the push replaces the whole family, so a run whose
   * windows are all unlabeled still reports the accuracy last measured. Reads aggregates only.
   */
  static List<JobResult.Gauge> headlineGauges(
      Lakehouse lh, long version, String model, Granularity granularity, List<Row> runRows) {
    List<String> versions = runRows.stream().map(r -> r.getString(0)).distinct().toList();
    if (versions.isEmpty()) {
      return List.of();
    }
    List<Row> latest =
        headlineMetrics(lh, version, model, granularity)
            .where(
                col(MODEL_VERSION)
                    .isin(versions.toArray())
                    .and(col(VALUE).isNotNull())
                    .and(not(isnan(col(VALUE)))))
            .groupBy(MODEL_VERSION, METRIC)
            .agg(max_by(col(VALUE), col(WINDOW_START)), max(col(WINDOW_START)))
            .orderBy(MODEL_VERSION, METRIC)
            .collectAsList();
    List<JobResult.Gauge> gauges = new ArrayList<>();
    for (Row r : latest) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("model_version", r.getString(0));
      labels.put("granularity", granularity.label());
      labels.put("metric", r.getString(1));
      gauges.add(
          new JobResult.Gauge(
              "lakeloop_evaluate_metric",
              "A headline metric on all rows in the latest window that has it (eval_metrics).",
              labels,
              r.getDouble(2)));
      gauges.add(
          new JobResult.Gauge(
              "lakeloop_evaluate_metric_window_start_timestamp_seconds",
              "When the window of lakeloop_evaluate_metric starts.",
              labels,
              r.getTimestamp(3).getTime() / 1000.0));
    }
    return gauges;
  }

  /** A short text table of {@link #headlineRows} for one granularity. */
  static String headlineTable(List<Row> rows, Granularity granularity) {
    Map<String, Map<String, String>> byWindow = new LinkedHashMap<>();
    List<String> seen = new ArrayList<>();
    for (Row r : rows) {
      String window =
          "v" + r.getString(0) + " " + r.getTimestamp(1).toInstant().toString().substring(0, 16);
      String metric = r.getString(2);
      if (!seen.contains(metric)) {
        seen.add(metric);
      }
      String cell =
          r.isNullAt(3)
              ? "-"
              : r.isNullAt(4)
                  ? fmt(metric, r.getDouble(3))
                  : String.format(
                      "%s [%.3f, %.3f]",
                      fmt(metric, r.getDouble(3)), r.getDouble(4), r.getDouble(5));
      byWindow.computeIfAbsent(window, w -> new LinkedHashMap<>()).put(metric, cell);
    }
    List<String> columns = HEADLINE.stream().filter(seen::contains).toList();
    StringBuilder out = new StringBuilder(String.format("%-24s", granularity.label() + " window"));
    for (String c : columns) {
      out.append(String.format(" | %-22s", c));
    }
    byWindow.forEach(
        (w, m) -> {
          out.append(System.lineSeparator()).append(String.format("%-24s", w));
          for (String c : columns) {
            out.append(String.format(" | %-22s", m.getOrDefault(c, "-")));
          }
        });
    return out.toString();
  }

  private static String fmt(String metric, double v) {
    return metric.equals("count") ? String.format("%.0f", v) : String.format("%.3f", v);
  }
}
