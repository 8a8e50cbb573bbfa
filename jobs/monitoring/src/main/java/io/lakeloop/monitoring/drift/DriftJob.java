package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.notify.Webhook;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Granularity;
import io.lakeloop.common.window.Predicate;
import io.lakeloop.monitoring.LabeledPredictions;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop drift --date D}: how the distributions of one model's features, predictions
 * and labels moved, written to {@code profiles} and {@code drift_metrics}.
 *
 * <p>A run for D profiles day D of {@code prediction_log} (joined with the labels known at the
 * pinned snapshot) on the baseline's edges in one pass ({@link Profiler}), merges the stored daily
 * profiles of each longer window that contains D (a week is the merge of its days — no rescan), and
 * compares every such window with the baseline ({@code BASELINE}) and with the previous window of
 * the same length ({@code CONSECUTIVE}). The baseline is built once, the first time it is needed or
 * with {@code --baseline} ({@link Baseline}). Profiles and metrics of the run's windows are
 * overwritten with {@code replaceWhere}, so a rerun changes nothing. A comparison that finds drift
 * raises an alert ({@link Alerts}): a row in {@code alerts}, a POST to the configured webhook, and
 * with {@code --fail-on-drift} exit code {@link JobLauncher#ALERT_RAISED}. Cost: one scan of day D
 * (plus three scans of the baseline when it is built); the driver holds profiles only (columns x
 * windows x ~16 KB).
 */
public final class DriftJob
    implements StagedJob<DriftJob.Planned, DriftJob.Computed, DriftJob.Outcome> {
  private static final Logger LOG = LoggerFactory.getLogger(DriftJob.class);

  static final List<Flag> FLAGS =
      List.of(
          Flag.toggle(
              "baseline",
              "(re)build the model's baseline profile from lakeloop.models.<name>.baseline first"),
          Flag.value(
              "since",
              "YYYY-MM-DD",
              "profile every day from this date to --date in the same single pass (backfill)"),
          Flag.toggle(
              "fail-on-drift",
              "exit with code 3 (after writing every table) when the run raised an alert, so a"
                  + " scheduler can branch on it"));

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new DriftJob(), args));
  }

  @Override
  public String name() {
    return "drift";
  }

  @Override
  public String description() {
    return "Measure feature, prediction and label drift (PSI, KS, Wasserstein, Jensen-Shannon,"
        + " chi-square, ...) of the day --date and the longer windows containing it, against the"
        + " model's baseline and the previous window; writes profiles and drift_metrics.";
  }

  @Override
  public List<Flag> flags() {
    return FLAGS;
  }

  /** One window of the run: its length, start and end. */
  record Window(Granularity granularity, Instant start, Instant end) {
    LocalDate startDate() {
      return LocalDate.ofInstant(start, ZoneOffset.UTC);
    }

    LocalDate endDate() {
      return LocalDate.ofInstant(end, ZoneOffset.UTC);
    }

    Window previous() {
      Instant s = start.minusSeconds(granularity.seconds());
      return new Window(granularity, s, start);
    }
  }

  /**
   * The windows a run for days [first, last] writes: every day, and per longer granularity every
   * window that contains one of them, in time order.
   */
  static List<Window> windows(DriftSettings s, LocalDate first, LocalDate last) {
    List<Window> out = new ArrayList<>();
    for (Granularity g : s.granularities()) {
      for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
        Instant start = g.start(Baseline.startOf(d));
        Window w = new Window(g, start, g.end(start));
        if (!out.contains(w)) {
          out.add(w);
        }
      }
    }
    return out;
  }

  /**
   * What a run will do: the model, its settings and columns, the days {@code [first, date]}, the
   * windows that contain them, whether it rebuilds the baseline and fails on drift, the model's
   * data-quality constraints, if it has a constraints file, and its drift slices.
   */
  record Planned(
      ModelSpec model,
      DriftSettings settings,
      DriftColumns columns,
      LocalDate first,
      LocalDate date,
      List<Window> windows,
      boolean rebuildBaseline,
      boolean failOnDrift,
      Optional<ConstraintFile> constraints,
      DriftSlices slices) {}

  /**
   * The run's profiles and comparisons, not written yet: the baseline (with its rows to store when
   * this run built it), the profile rows of the run's windows, the comparisons, the constraint
   * checks, and how many days had no traffic.
   */
  record Computed(
      Baseline baseline,
      List<Row> newBaselineRows,
      List<Row> profileRows,
      Comparisons comparisons,
      WindowConstraints constraints,
      long emptyDays) {}

  /** What a run wrote: the versions of profiles, drift_metrics and alerts. */
  record Outcome(
      Planned planned,
      Computed computed,
      long profilesVersion,
      long metricsVersion,
      long alertsVersion) {}

  @Override
  public Planned plan(JobContext ctx) {
    LocalDate date =
        ctx.logicalDate()
            .orElseThrow(
                () ->
                    new LakeloopException(
                        "drift needs --date YYYY-MM-DD: the day whose traffic is profiled"));
    ModelSpec model = ctx.model();
    DriftSettings settings = DriftSettings.from(ctx.config());
    LocalDate first = ctx.args().date("since").orElse(date);
    if (first.isAfter(date)) {
      throw new LakeloopException("--since " + first + " is after --date " + date);
    }
    DriftColumns columns = DriftColumns.forModel(model);
    String warehouse = ctx.lakehouse().root();
    Optional<ConstraintFile> constraints =
        ConstraintFile.read(
            ctx.spark().sparkContext().hadoopConfiguration(), warehouse, model.name());
    constraints.ifPresent(
        f ->
            WindowConstraints.validate(
                f,
                model.name(),
                columns,
                model.task().isClassification(),
                ConstraintFile.path(warehouse, model.name()).toString()));
    return new Planned(
        model,
        settings,
        columns,
        first,
        date,
        windows(settings, first, date),
        ctx.args().has("baseline"),
        ctx.args().has("fail-on-drift"),
        constraints,
        DriftSlices.of(ctx.config(), model));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    ModelSpec model = p.model();
    DriftSettings settings = p.settings();
    LocalDate first = p.first();
    LocalDate date = p.date();
    List<Window> windows = p.windows();
    // one read of every stored profile the run needs: the baseline, the earlier days of its
    // windows and the windows before them
    LocalDate earliest =
        windows.stream().map(w -> w.previous().startDate()).min(LocalDate::compareTo).get();
    List<Row> storedRows = WindowProfiles.read(ctx.lakehouse(), model.name(), earliest, date);
    Optional<Baseline> stored =
        p.rebuildBaseline()
            ? Optional.empty()
            : Baseline.load(WindowProfiles.baselineRows(storedRows), p.columns());
    Baseline baseline = stored.orElseGet(() -> buildBaseline(ctx, p));
    List<Row> newBaselineRows =
        stored.isPresent() ? List.of() : baseline.rows(model.name(), ctx.runId());

    // One pass over days [first, D]: a profile per model version and day, on the baseline's edges.
    List<DriftColumns.Spec> numeric = inBaseline(p.columns().numeric(), baseline.numeric());
    List<DriftColumns.Spec> categorical =
        inBaseline(p.columns().categorical(), baseline.categorical());
    Dataset<Row> log = LabeledPredictions.predictions(ctx.tables(), model, first, date);
    List<String> missing = missing(log, numeric, categorical);
    // repeated request ids are counted when a unique constraint asks for them: the sort by request
    // id then also reads the request ids of the run's windows' days before the first
    boolean countRepeats =
        p.constraints().stream()
            .flatMap(f -> f.constraints().stream())
            .anyMatch(k -> k.kind() == Constraint.Kind.UNIQUE);
    LocalDate contextFrom =
        windows.stream().map(Window::startDate).min(LocalDate::compareTo).orElse(first);
    List<String> sliceColumns = sliceColumns(p.slices(), baseline);
    Map<Profiler.Key, ColumnProfiles> profiled =
        profileDays(
            ctx,
            baseline,
            settings,
            log,
            numeric,
            categorical,
            first,
            date,
            countRepeats ? contextFrom : null,
            sliceColumns);
    WindowProfiles store =
        new WindowProfiles(
            storedRows,
            model.name(),
            baseline,
            numeric,
            categorical,
            ctx.inputs().get(Tables.PREDICTION_LOG),
            moments(baseline, settings, numeric) != null);

    // Every window touching the days: the merge of its days, fresh ones from the pass, the
    // others from the stored daily profiles (a week is the merge of its days — no rescan).
    LocalDate firstWindow = windows.stream().map(Window::startDate).min(LocalDate::compareTo).get();
    Map<LocalDate, Map<Segment, ColumnProfiles>> daily =
        store.days(firstWindow, first.minusDays(1));
    for (LocalDate d = first; !d.isAfter(date); d = d.plusDays(1)) {
      daily.put(d, new LinkedHashMap<>());
    }
    profiled.forEach(
        (k, pr) ->
            daily.get(LocalDate.ofEpochDay(k.day())).put(new Segment(k.version(), k.slice()), pr));
    // a stored day's slices that this run does not profile (drift-slices changed) are left out
    daily.values().forEach(m -> m.keySet().removeIf(sg -> !profiles(sg.slice(), sliceColumns)));
    Map<Window, Map<Segment, ColumnProfiles>> current = new LinkedHashMap<>();
    for (Window w : windows) {
      current.put(w, merged(w, daily, date, store));
    }
    List<Row> profileRows = new ArrayList<>();
    current.forEach(
        (w, bySegment) ->
            bySegment.forEach(
                (segment, pr) ->
                    profileRows.addAll(store.rows(w, segment, pr, missing, ctx.runId()))));

    // Compare each window with the baseline and with the previous window of its length.
    Comparisons c =
        compare(
            ctx,
            model,
            settings,
            current,
            store,
            baseline,
            new DriftRows(settings, baseline, numeric, categorical, missing),
            date);
    long emptyDays =
        daily.entrySet().stream()
            .filter(d -> !d.getKey().isBefore(first) && d.getValue().isEmpty())
            .count();
    if (emptyDays > 0) {
      LOG.warn(
          "drift: {} of the days {}..{} had no predictions of model {}; they have no profile",
          emptyDays,
          first,
          date,
          model.name());
    }
    WindowConstraints checks =
        p.constraints()
            .map(
                f ->
                    WindowConstraints.check(
                        f, allRows(current), numeric, categorical, baseline, ctx.runId()))
            .orElse(WindowConstraints.NONE);
    return new Computed(baseline, newBaselineRows, profileRows, c, checks, emptyDays);
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    Lakehouse lh = ctx.lakehouse();
    lh.ensure(Tables.PROFILES_SPEC);
    lh.ensure(Tables.DRIFT_METRICS_SPEC);
    lh.ensure(Tables.ALERTS_SPEC);
    String model = p.model().name();
    if (!c.newBaselineRows().isEmpty()) {
      ctx.tables()
          .replaceWhere(
              ctx.spark().createDataFrame(c.newBaselineRows(), Tables.PROFILES_SPEC.schema()),
              Tables.PROFILES_SPEC,
              Predicate.and(
                  Predicate.eq(MODEL_NAME, model), Predicate.eq(PROFILE_KIND, "BASELINE")));
    }
    Comparisons comparisons = c.comparisons();
    long started = System.nanoTime();
    List<Write> writes = new ArrayList<>();
    writes.add(
        new Write(Tables.PROFILES_SPEC, c.profileRows(), Predicate.eq(PROFILE_KIND, "WINDOW")));
    writes.add(new Write(Tables.DRIFT_METRICS_SPEC, comparisons.rows(), Predicate.ALL));
    List<Row> alertRows = new ArrayList<>(Alerts.rows(comparisons.alerts()));
    Predicate alertKinds = Predicate.eq(KIND, Tables.DRIFT_ALERT);
    if (p.constraints().isPresent()) {
      // without a constraints file the run leaves earlier checks and their alerts as they are
      lh.ensure(Tables.CONSTRAINT_CHECKS_SPEC);
      alertRows.addAll(c.constraints().alerts());
      alertKinds = Predicate.or(List.of(alertKinds, Predicate.eq(KIND, Tables.DATA_QUALITY_ALERT)));
    }
    writes.add(new Write(Tables.ALERTS_SPEC, alertRows, alertKinds));
    if (p.constraints().isPresent()) {
      writes.add(new Write(Tables.CONSTRAINT_CHECKS_SPEC, c.constraints().checks(), Predicate.ALL));
    }
    long[] v = writeAll(ctx, model, p.windows(), writes);
    LOG.info(
        "drift: wrote {} profile rows (v{}), {} drift_metrics rows (v{}), {} alerts (v{}) and {}"
            + " constraint checks in {} s",
        c.profileRows().size(),
        v[0],
        comparisons.rows().size(),
        v[1],
        alertRows.size(),
        v[2],
        c.constraints().checks().size(),
        seconds(started));
    DriftSettings.AlertSettings alerts = p.settings().alerts();
    if (!comparisons.alerts().isEmpty() && !alerts.webhookUrl().isEmpty()) {
      new Webhook(
              "lakeloop.drift.alerts.webhook-url",
              alerts.webhookUrl(),
              alerts.webhookTimeout(),
              alerts.webhookAttempts())
          .post(Alerts.document(model, ctx.runId(), comparisons.alerts()));
    }
    return new Outcome(p, c, v[0], v[1], v[2]);
  }

  @Override
  public JobResult render(Outcome o) {
    Planned p = o.planned();
    Computed c = o.computed();
    Comparisons comparisons = c.comparisons();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("model", p.model().name());
    summary.put("baseline", c.baseline().id());
    summary.put("days", p.first() + ".." + p.date());
    summary.put("empty_days", Long.toString(c.emptyDays()));
    summary.put("metric_rows", Integer.toString(comparisons.rows().size()));
    summary.put("drifted_columns", comparisons.drifted() + "/" + comparisons.compared());
    summary.put("alerts", Integer.toString(comparisons.alerts().size()));
    if (comparisons.slices() > 0) {
      summary.put(
          "drifted_slices", comparisons.driftedSlices().size() + "/" + comparisons.slices());
    }
    WindowConstraints checks = c.constraints();
    summary.put("constraint_checks", Integer.toString(checks.checks().size()));
    summary.put("constraints_failed", Integer.toString(checks.failed().size()));
    boolean fail = p.failOnDrift() && !comparisons.alerts().isEmpty();
    return new JobResult(
            constraintsText(p, checks)
                + String.format(
                    "drift: %s, days %s..%s vs baseline %s: %d of %d column comparisons drifted"
                        + " (%d windows); %d rows in drift_metrics v%d; %d alerts in alerts v%d%s%n%s",
                    p.model().name(),
                    p.first(),
                    p.date(),
                    c.baseline().description(),
                    comparisons.drifted(),
                    comparisons.compared(),
                    p.windows().size(),
                    comparisons.rows().size(),
                    o.metricsVersion(),
                    comparisons.alerts().size(),
                    o.alertsVersion(),
                    fail ? " (--fail-on-drift: exit code " + JobLauncher.ALERT_RAISED + ")" : "",
                    DriftRows.table(comparisons.rows(), p.settings(), p.date()))
                + slicesText(p, comparisons),
            summary,
            fail ? JobLauncher.ALERT_RAISED : JobLauncher.OK)
        .withGauges(
            List.of(
                new JobResult.Gauge(
                    "lakeloop_drift_drifted_share",
                    "Share of the run's column comparisons (columns x windows) that drifted.",
                    Map.of(),
                    comparisons.compared() == 0
                        ? 0.0
                        : comparisons.drifted() / (double) comparisons.compared()),
                new JobResult.Gauge(
                    "lakeloop_drift_alerts",
                    "Drift alerts the run raised.",
                    Map.of(),
                    comparisons.alerts().size())));
  }

  /**
   * Drift per slice in words: which slices drifted against their baseline in a window containing
   * the run's last day, with their drifted columns; nothing without slices.
   */
  private static String slicesText(Planned p, Comparisons c) {
    if (c.slices() == 0) {
      return "";
    }
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%ndrift per slice (%s): %d of %d slices drifted against their baseline in the"
                    + " windows containing %s (rows with slice_key <> '*' in drift_metrics)",
                String.join(", ", p.slices().columns()),
                c.driftedSlices().size(),
                c.slices(),
                p.date()));
    c.driftedSlices()
        .forEach(
            (slice, columns) ->
                sb.append(
                    String.format(Locale.ROOT, "%n  %-24s %s", slice, String.join(", ", columns))));
    return sb.toString();
  }

  /** The constraint checks in words: how many failed, and which (all of them), or nothing. */
  private static String constraintsText(Planned p, WindowConstraints checks) {
    if (p.constraints().isEmpty()) {
      return "";
    }
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "data quality: %d of %d constraint checks failed (constraints revision %d; rows in"
                    + " constraint_checks, alerts of kind data_quality)%n",
                checks.failed().size(),
                checks.checks().size(),
                p.constraints().get().revision()));
    checks.failed().forEach(f -> sb.append("  FAILED ").append(f).append('\n'));
    if (!checks.unchecked().isEmpty()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  not checked (%d): %s%s — some of their days were profiled before these counts"
                  + " were kept; rerun drift with --since the window's first day%n",
              checks.unchecked().size(),
              String.join(
                  ", ", checks.unchecked().subList(0, Math.min(3, checks.unchecked().size()))),
              checks.unchecked().size() > 3 ? ", ..." : ""));
    }
    return sb.toString();
  }

  /**
   * A new baseline built from the model's configured source (with --baseline or none stored);
   * {@link #commit} stores it.
   */
  private static Baseline buildBaseline(JobContext ctx, Planned p) {
    ModelSpec model = p.model();
    BaselineSpec spec = BaselineSpec.of(ctx.config(), model.name());
    LOG.info("drift: building the baseline of model {} from {}", model.name(), spec.describe());
    Baseline.Source source = Baseline.read(ctx.tables(), model, spec);
    return Baseline.build(
        source, p.columns(), p.settings(), p.slices(), spec.describe(), ctx.runId(), p.date());
  }

  /** Baseline columns (labels aside) that prediction_log lacks; logged, reported per window. */
  private static List<String> missing(
      Dataset<Row> log, List<DriftColumns.Spec> numeric, List<DriftColumns.Spec> categorical) {
    List<String> missing = new ArrayList<>();
    for (List<DriftColumns.Spec> kind : List.of(numeric, categorical)) {
      for (DriftColumns.Spec c : kind) {
        if (!c.isLabel() && !DriftColumns.available(c, log)) {
          missing.add(c.name());
        }
      }
    }
    if (!missing.isEmpty()) {
      LOG.warn(
          "drift: prediction_log lacks the baseline columns {}; they are reported as"
              + " column_missing",
          missing);
    }
    return missing;
  }

  /**
   * Profiles per model version and day of {@code log}: the features and predictions straight from
   * the log (one Spark job), the label columns from (request_id, version, day) of the same rows
   * paired with each request's latest label ({@link LatestLabels}: one shuffle and sort of three
   * columns per side, not every feature). Label columns come last in each kind (ColumnProfiles'
   * order).
   */
  private static Map<Profiler.Key, ColumnProfiles> profileDays(
      JobContext ctx,
      Baseline baseline,
      DriftSettings settings,
      Dataset<Row> log,
      List<DriftColumns.Spec> numeric,
      List<DriftColumns.Spec> categorical,
      LocalDate first,
      LocalDate date,
      LocalDate repeatsFrom,
      List<String> sliceColumns) {
    long started = System.nanoTime();
    List<Column> slices = Baseline.sliceValues(sliceColumns, baseline.sliceValues());
    LOG.info(
        "drift: profiling {} columns of prediction_log v{} for days [{}, {}] (one pass)",
        numeric.size() + categorical.size(),
        ctx.inputs().get(Tables.PREDICTION_LOG),
        first,
        date);
    List<DriftColumns.Spec> logNumeric = numeric.stream().filter(c -> !c.isLabel()).toList();
    List<DriftColumns.Spec> logCategorical =
        categorical.stream().filter(c -> !c.isLabel()).toList();
    // the score vectors are checked in the same pass (valid_scores)
    boolean scores =
        ctx.model().task().isClassification() && List.of(log.columns()).contains(SCORES);
    Map<Profiler.Key, ColumnProfiles> profiled =
        new Profiler(
                logNumeric.stream().map(c -> baseline.fineEdges(c.name())).toList(),
                logCategorical.size(),
                settings.maxCategories(),
                moments(baseline, settings, numeric),
                scores
                    ? new Profiler.RowCheckColumns(
                        ctx.model().numClasses(), settings.scoreSumTolerance(), -1)
                    : Profiler.RowCheckColumns.NONE,
                sliceColumns)
            .profile(
                log,
                col(MODEL_VERSION),
                epochDay(),
                logNumeric.stream().map(c -> DriftColumns.valueOrNull(c, log)).toList(),
                logCategorical.stream().map(c -> DriftColumns.valueOrNull(c, log)).toList(),
                scores ? List.of(col(SCORES)) : List.of(),
                slices);
    // (the label pass below sums no moments: its profiles are appended to these)
    LOG.info(
        "drift: profiled {} rows in {} (model version, day, slice) windows in {} s",
        profiled.entrySet().stream()
            .filter(e -> e.getKey().slice().all())
            .mapToLong(e -> e.getValue().rows())
            .sum(),
        profiled.size(),
        seconds(started));
    List<DriftColumns.Spec> numericLabels =
        numeric.stream().filter(DriftColumns.Spec::isLabel).toList();
    List<DriftColumns.Spec> categoricalLabels =
        categorical.stream().filter(DriftColumns.Spec::isLabel).toList();
    if (numericLabels.isEmpty() && categoricalLabels.isEmpty()) {
      return profiled;
    }
    List<DriftColumns.Spec> labelSpecs = new ArrayList<>(numericLabels);
    labelSpecs.addAll(categoricalLabels);
    Dataset<Row> labels = LabeledPredictions.labels(ctx.tables(), first, date);
    started = System.nanoTime();
    // with repeatsFrom, the same sort by request_id finds repeated request ids (unique): the days
    // of the run's windows before the first are read too (request ids only, not profiled), so
    // every window's count is exact whichever of its days a run profiled — each day's run read
    // back to the start of every window holding it
    int gap = repeatsFrom == null ? -1 : settings.repeatGap();
    Dataset<Row> keys =
        repeatsFrom == null || !repeatsFrom.isBefore(first)
            ? log
            : LabeledPredictions.predictions(ctx.tables(), ctx.model(), repeatsFrom, date);
    Map<Profiler.Key, ColumnProfiles> labelProfiles =
        new Profiler(
                numericLabels.stream().map(c -> baseline.fineEdges(c.name())).toList(),
                categoricalLabels.size(),
                settings.maxCategories(),
                null,
                gap < 0 ? Profiler.RowCheckColumns.NONE : new Profiler.RowCheckColumns(0, 0, gap),
                sliceColumns)
            .profile(
                LatestLabels.rows(
                    keys,
                    col(MODEL_VERSION),
                    epochDay(),
                    labels,
                    labelSpecs.stream().map(DriftColumns.Spec::expression).toList(),
                    numericLabels.size(),
                    gap < 0
                        ? LatestLabels.Repeats.NONE
                        : new LatestLabels.Repeats(gap, (int) first.toEpochDay()),
                    slices));
    LOG.info(
        "drift: paired the predictions with their latest labels (labels v{}) and profiled them in"
            + " {} s",
        ctx.inputs().get(Tables.LABELS_TABLE),
        seconds(started));
    profiled.replaceAll(
        (k, p) -> {
          ColumnProfiles l = labelProfiles.get(k);
          if (l == null) { // every prediction row is paired: every (version, day, slice) is there
            throw new IllegalStateException("drift: no label profile for " + k);
          }
          return p.append(l);
        });
    return profiled;
  }

  /** A window's profile per model version and slice: the merge of its days up to {@code date}. */
  private static Map<Segment, ColumnProfiles> merged(
      Window w,
      Map<LocalDate, Map<Segment, ColumnProfiles>> daily,
      LocalDate date,
      WindowProfiles store) {
    Map<Segment, ColumnProfiles> bySegment = new LinkedHashMap<>();
    for (LocalDate d = w.startDate();
        d.isBefore(w.endDate()) && !d.isAfter(date);
        d = d.plusDays(1)) {
      daily
          .getOrDefault(d, Map.of())
          .forEach(
              (segment, p) ->
                  bySegment.computeIfAbsent(segment, v -> store.empty(segment.slice())).merge(p));
    }
    return sortedSegments(bySegment);
  }

  /**
   * The run's drift_metrics rows and alerts; how many column comparisons of all rows against the
   * baseline drifted, of how many; and per slice (as "key=value"), the columns that drifted in a
   * window containing the run's last day against the slice's baseline.
   */
  record Comparisons(
      List<Row> rows,
      List<Alerts.Alert> alerts,
      int drifted,
      int compared,
      Map<Slice, Set<String>> driftedSlices,
      int slices) {}

  /**
   * Compares each window's profile of each model version and slice with the baseline (the slice's)
   * and, for all rows (with {@code consecutive}), with the previous window of its length — from
   * this run or stored. A slice the baseline lacks (a folded value it never had) is profiled, not
   * compared.
   */
  private static Comparisons compare(
      JobContext ctx,
      ModelSpec model,
      DriftSettings settings,
      Map<Window, Map<Segment, ColumnProfiles>> current,
      WindowProfiles store,
      Baseline baseline,
      DriftRows drift,
      LocalDate date) {
    List<Row> rows = new ArrayList<>();
    List<Alerts.Alert> alerts = new ArrayList<>();
    int drifted = 0;
    int compared = 0;
    Map<Slice, Set<String>> driftedSlices = new java.util.TreeMap<>();
    Set<Slice> slices = new LinkedHashSet<>();
    for (Map.Entry<Window, Map<Segment, ColumnProfiles>> e : current.entrySet()) {
      Window w = e.getKey();
      Map<Segment, ColumnProfiles> previous =
          !settings.consecutive()
              ? Map.of()
              : current.containsKey(w.previous())
                  ? current.get(w.previous())
                  : store.stored(w.previous());
      boolean containsDate = !w.startDate().isAfter(date) && w.endDate().isAfter(date);
      for (Map.Entry<Segment, ColumnProfiles> v : e.getValue().entrySet()) {
        Segment segment = v.getKey();
        ColumnProfiles reference = baseline.profiles(segment.slice());
        if (reference == null) {
          continue;
        }
        List<Map.Entry<String, ColumnProfiles>> references = new ArrayList<>();
        references.add(Map.entry("BASELINE", reference));
        // a slice is compared with its baseline only: each comparison simulates its own
        // thresholds, and slices multiply them
        if (previous.get(segment) != null && segment.slice().all()) {
          references.add(Map.entry("CONSECUTIVE", previous.get(segment)));
        }
        for (Map.Entry<String, ColumnProfiles> ref : references) {
          DriftRows.Result r =
              drift.compare(
                  model.name(),
                  segment,
                  w,
                  ref.getKey(),
                  ref.getValue(),
                  v.getValue(),
                  ctx.runId());
          rows.addAll(r.rows());
          if (ref.getKey().equals("BASELINE") && segment.slice().all()) {
            drifted += r.driftedColumns();
            compared += r.columns();
          } else if (ref.getKey().equals("BASELINE") && containsDate) {
            slices.add(segment.slice());
            r.drifted()
                .forEach(
                    d ->
                        driftedSlices
                            .computeIfAbsent(segment.slice(), x -> new java.util.TreeSet<>())
                            .add(d.column()));
          }
          Alerts.of(settings.alerts(), model.name(), segment, w, ref.getKey(), r, ctx.runId())
              .ifPresent(alerts::add);
        }
      }
    }
    return new Comparisons(rows, alerts, drifted, compared, driftedSlices, slices.size());
  }

  /** The slice columns a run profiles: those asked for that the baseline has slices of. */
  private static List<String> sliceColumns(DriftSlices asked, Baseline baseline) {
    List<String> have = baseline.sliceColumns();
    List<String> lacking = asked.columns().stream().filter(c -> !have.contains(c)).toList();
    if (!lacking.isEmpty()) {
      LOG.warn(
          "drift: drift-slices lists {} but baseline {} has no slices of them (built before they"
              + " were listed, or its data lacks them); rebuild it with drift --baseline",
          lacking,
          baseline.id());
    }
    return asked.columns().stream().filter(have::contains).toList();
  }

  /** Whether a run profiling {@code sliceColumns} profiles a slice. */
  private static boolean profiles(Slice slice, List<String> sliceColumns) {
    return slice.all() || sliceColumns.contains(slice.key());
  }

  /** Per window, the profiles of all rows by model version (what constraints are checked on). */
  private static Map<Window, Map<String, ColumnProfiles>> allRows(
      Map<Window, Map<Segment, ColumnProfiles>> current) {
    Map<Window, Map<String, ColumnProfiles>> out = new LinkedHashMap<>();
    current.forEach(
        (w, bySegment) -> {
          Map<String, ColumnProfiles> byVersion = new LinkedHashMap<>();
          bySegment.forEach(
              (segment, p) -> {
                if (segment.slice().all()) {
                  byVersion.put(segment.version(), p);
                }
              });
          out.put(w, byVersion);
        });
    return out;
  }

  /** Segments with all rows first, then by slice; versions in their first-seen order. */
  private static Map<Segment, ColumnProfiles> sortedSegments(Map<Segment, ColumnProfiles> m) {
    Map<Segment, ColumnProfiles> out = new LinkedHashMap<>();
    m.entrySet().stream()
        .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(Segment::slice)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** The run's rows for one table; {@code extra} narrows the replaced windows' rows. */
  private record Write(TableSpec table, List<Row> rows, Predicate extra) {}

  /**
   * Replaces the run's windows of one model in each table with its rows; returns the versions, in
   * order. The tables are independent and each commit is small and bound by Delta's per-commit
   * latency, so they are written side by side, one thread each; every write has ended (committed or
   * failed) before this returns, and the first failure is rethrown. A rerun rewrites the same rows,
   * so a run that failed halfway converges when repeated.
   */
  private static long[] writeAll(
      JobContext ctx, String model, List<Window> windows, List<Write> writes) {
    ExecutorService pool = Executors.newFixedThreadPool(writes.size());
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (Write w : writes) {
        futures.add(
            pool.submit(
                () ->
                    ctx.tables()
                        .replaceWhere(
                            ctx.spark().createDataFrame(w.rows(), w.table().schema()),
                            w.table(),
                            predicate(model, windows, w.extra()))));
      }
      long[] versions = new long[writes.size()];
      RuntimeException failure = null;
      for (int i = 0; i < futures.size(); i++) {
        try {
          versions[i] = futures.get(i).get();
        } catch (ExecutionException e) {
          if (failure == null) {
            failure =
                e.getCause() instanceof RuntimeException r
                    ? r
                    : new LakeloopException(
                        "drift: writing " + writes.get(i).table().name() + " failed", e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new LakeloopException("drift: interrupted while writing its tables", e);
        }
      }
      if (failure != null) {
        throw failure;
      }
      return versions;
    } finally {
      pool.shutdown();
    }
  }

  /** The columns of a kind the baseline has, in DriftColumns order. */
  private static List<DriftColumns.Spec> inBaseline(
      List<DriftColumns.Spec> specs, Collection<String> names) {
    return specs.stream().filter(c -> names.contains(c.name())).toList();
  }

  /** The windows' moments setting, or null when multivariate drift cannot or should not run. */
  private static Profiler.Multivariate moments(
      Baseline baseline, DriftSettings settings, List<DriftColumns.Spec> numeric) {
    if (!settings.multivariate().enabled() || baseline.multivariate() == null) {
      return null;
    }
    return baseline.multivariate().forWindows(numeric.stream().filter(c -> !c.isLabel()).toList());
  }

  private static String seconds(long startedNanos) {
    return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startedNanos) / 1e9);
  }

  /** A prediction's day as the profiler keys it: days since 1970-01-01. */
  private static Column epochDay() {
    return datediff(col(EVENT_DATE), lit("1970-01-01"));
  }

  /** The replaceWhere predicate covering exactly the run's windows of one model. */
  static Predicate predicate(String model, List<Window> windows, Predicate extra) {
    // per granularity one IN list of starts: an OR per window outgrows codegen in a backfill
    Map<String, Set<Instant>> starts = new LinkedHashMap<>();
    Set<LocalDate> dates = new LinkedHashSet<>();
    for (Window w : windows) {
      starts.computeIfAbsent(w.granularity().label(), g -> new LinkedHashSet<>()).add(w.start());
      dates.add(w.startDate());
    }
    List<Predicate> clauses = new ArrayList<>();
    starts.forEach(
        (g, s) ->
            clauses.add(
                Predicate.and(
                    Predicate.eq(GRANULARITY, g), Predicate.inInstants(WINDOW_START, s))));
    return Predicate.and(
        Predicate.eq(MODEL_NAME, model),
        extra,
        Predicate.in(WINDOW_DATE, dates),
        Predicate.or(clauses));
  }
}
