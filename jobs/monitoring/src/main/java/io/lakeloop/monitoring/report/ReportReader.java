package io.lakeloop.monitoring.report;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.schema.Metrics;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.LabeledPredictions;
import io.lakeloop.monitoring.drift.ColumnHistogram;
import io.lakeloop.monitoring.drift.MultivariateDrift;
import io.lakeloop.monitoring.evaluate.Measures;
import io.lakeloop.monitoring.quality.QualityCheck;
import io.lakeloop.monitoring.quality.QualityRules;
import io.lakeloop.monitoring.quality.QualitySettings;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Reads what a report shows for one model and date, each table once at a pinned version (recorded
 * as the run's inputs): filtered reads of the small monitoring tables (eval_metrics, drift_metrics,
 * alerts, profiles, registry, gate decisions, job runs) and one aggregation over the latest labeled
 * day's predictions for the curves (a scan of that day's partition and a join with its labels,
 * grouped into {@code curve-bins} bins per model version). The driver receives aggregates only.
 */
final class ReportReader {
  static final String DAY = "1 day";

  private ReportReader() {}

  static ReportData read(
      RunTables tables,
      ModelSpec model,
      Optional<LocalDate> date,
      ReportSettings s,
      QualitySettings quality) {
    Lakehouse lh = tables.lakehouse();
    LocalDate asOf = date.orElseGet(() -> latestWindow(lh, model.name()));
    LocalDate from = asOf.minusDays(s.historyDays());

    List<ReportData.MetricPoint> metrics = metrics(tables, model, from, asOf, s);
    List<ReportData.MetricPoint> fairness = fairness(tables, model, asOf);
    List<QualityRules.Bound> bounds = bounds(tables, model, metrics, quality);

    Optional<ReportData.Curves> curves = Optional.empty();
    Optional<LocalDate> labeledDay = ReportData.latestLabeledDay(metrics);
    if (model.task() == Task.BINARY && labeledDay.isPresent()) {
      curves = Optional.of(curves(tables, model, labeledDay.get(), asOf, s.curveBins()));
    }

    DriftRead driftRead = drift(tables, model, asOf, s);
    List<ReportData.DriftRow> drift = driftRead.rows();
    List<ReportData.DriftRow> multivariate = multivariate(tables, model, from, asOf);
    List<ReportData.ConstraintCheck> checks = constraintChecks(tables, model, asOf);

    List<ReportData.Alert> alerts = alerts(tables, model, asOf, s);
    List<ReportData.QualityAlert> qualityAlerts = qualityAlerts(tables, model, asOf, s);

    RegistryRead registryRead = registry(tables, model);
    List<ModelRegistry.Entry> registry = registryRead.versions();

    List<ReportData.GateCheck> gate = gate(tables, model, asOf);

    Set<String> referenced = new LinkedHashSet<>();
    metrics.forEach(p -> referenced.add(p.runId()));
    fairness.forEach(p -> referenced.add(p.runId()));
    drift.forEach(d -> referenced.add(d.runId()));
    multivariate.forEach(d -> referenced.add(d.runId()));
    checks.forEach(c -> referenced.add(c.runId()));
    alerts.forEach(a -> referenced.add(a.runId()));
    qualityAlerts.forEach(a -> referenced.add(a.runId()));
    registry.forEach(e -> referenced.add(e.runId()));
    gate.forEach(g -> referenced.add(g.runId()));
    List<ReportData.Run> runs = runs(tables, referenced);
    sortLatestFirst(gate, runs);

    return new ReportData(
        model.name(),
        model.classLabels(),
        asOf,
        tables.runId(),
        new TreeMap<>(tables.inputs()),
        metrics,
        bounds,
        curves,
        drift,
        driftRead.histograms(),
        alerts,
        qualityAlerts,
        registry,
        registryRead.aliases(),
        gate,
        runs,
        fairness,
        multivariate,
        checks);
  }

  /** The bounds the model's quality rules hold the views of {@code metrics} to. */
  private static List<QualityRules.Bound> bounds(
      RunTables tables,
      ModelSpec model,
      List<ReportData.MetricPoint> metrics,
      QualitySettings quality) {
    Dataset<Row> evalTable = snapshot(tables, Tables.EVAL_METRICS);
    if (evalTable == null) {
      return List.of();
    }
    Set<QualityRules.ReferenceKey> views = new LinkedHashSet<>();
    metrics.forEach(
        p ->
            views.add(
                new QualityRules.ReferenceKey(
                    p.granularity(), p.sliceKey(), p.sliceValue(), p.metric())));
    return QualityCheck.bounds(
        evalTable.where(col(MODEL_NAME).equalTo(model.name())), quality, views);
  }

  /**
   * The model's configured metrics, their estimates where evaluate wrote them, and labeled counts
   * from {@code from} to {@code asOf}.
   */
  private static List<ReportData.MetricPoint> metrics(
      RunTables tables, ModelSpec model, LocalDate from, LocalDate asOf, ReportSettings s) {
    List<ReportData.MetricPoint> metrics = new ArrayList<>();
    Set<String> wanted = new LinkedHashSet<>(s.metrics());
    s.metrics().forEach(m -> wanted.add(Metrics.estimated(m)));
    wanted.add(ReportSettings.LABELED_COUNT);
    Dataset<Row> evalTable = snapshot(tables, Tables.EVAL_METRICS);
    if (evalTable == null) {
      return metrics;
    }
    metrics.addAll(
        points(
            evalTable.where(
                col(MODEL_NAME)
                    .equalTo(model.name())
                    .and(col(WINDOW_DATE).between(from.toString(), asOf.toString()))
                    .and(col(METRIC).isin(wanted.toArray()))),
            GRANULARITY,
            SLICE_KEY,
            SLICE_VALUE,
            METRIC,
            MODEL_VERSION,
            WINDOW_DATE));
    return metrics;
  }

  /**
   * The disparities of the model's fairness groupings: per granularity and model version, every row
   * of a {@code fairness:} slice in its latest window up to {@code asOf}.
   */
  private static List<ReportData.MetricPoint> fairness(
      RunTables tables, ModelSpec model, LocalDate asOf) {
    Dataset<Row> evalTable = snapshot(tables, Tables.EVAL_METRICS);
    if (evalTable == null) {
      return List.of();
    }
    Dataset<Row> mine =
        evalTable.where(
            col(MODEL_NAME)
                .equalTo(model.name())
                .and(col(WINDOW_DATE).leq(asOf.toString()))
                .and(col(SLICE_KEY).startsWith(Measures.FAIRNESS_PREFIX)));
    Dataset<Row> latest =
        mine.groupBy(GRANULARITY, MODEL_VERSION)
            .agg(max(WINDOW_START).as("_latest"))
            .withColumnRenamed(GRANULARITY, "_g")
            .withColumnRenamed(MODEL_VERSION, "_v");
    return points(
        mine.join(
            latest,
            col(GRANULARITY)
                .equalTo(col("_g"))
                .and(col(MODEL_VERSION).equalTo(col("_v")))
                .and(col(WINDOW_START).equalTo(col("_latest")))),
        GRANULARITY,
        SLICE_KEY,
        MODEL_VERSION,
        SLICE_VALUE,
        METRIC);
  }

  /** The eval_metrics rows as metric points, in the given order (the driver gets only these). */
  private static List<ReportData.MetricPoint> points(Dataset<Row> rows, String... order) {
    List<ReportData.MetricPoint> out = new ArrayList<>();
    for (Row r :
        rows.select(
                GRANULARITY,
                SLICE_KEY,
                SLICE_VALUE,
                METRIC,
                MODEL_VERSION,
                WINDOW_DATE,
                VALUE,
                CI_LOW,
                CI_HIGH,
                N,
                RUN_ID)
            .orderBy(Arrays.stream(order).map(c -> col(c)).toArray(Column[]::new))
            .collectAsList()) {
      out.add(
          new ReportData.MetricPoint(
              r.getString(0),
              r.getString(1),
              r.getString(2),
              r.getString(3),
              r.getString(4),
              r.getDate(5).toLocalDate(),
              doubleOrNull(r, 6),
              doubleOrNull(r, 7),
              doubleOrNull(r, 8),
              r.getLong(9),
              r.getString(10)));
    }
    return out;
  }

  /** Drift rows of one window, and the histograms of its columns. */
  record DriftRead(List<ReportData.DriftRow> rows, List<ColumnHistogram> histograms) {}

  /**
   * The model's drift statistics of its latest daily window up to {@code asOf} (or of its latest
   * window of any length when it has no daily one), with the baseline and current histograms.
   */
  private static DriftRead drift(
      RunTables tables, ModelSpec model, LocalDate asOf, ReportSettings s) {
    List<ReportData.DriftRow> drift = new ArrayList<>();
    List<ColumnHistogram> histograms = List.of();
    Lakehouse lh = tables.lakehouse();
    Dataset<Row> driftTable = snapshot(tables, Tables.DRIFT_METRICS);
    if (driftTable != null) {
      Dataset<Row> mine =
          driftTable.where(
              col(MODEL_NAME).equalTo(model.name()).and(col(WINDOW_DATE).leq(asOf.toString())));
      Row latest =
          mine.where(allRows(driftTable))
              .agg(
                  max(when(col(GRANULARITY).equalTo(DAY), col(WINDOW_START))),
                  max(col(WINDOW_START)))
              .first();
      Timestamp start = latest.isNullAt(0) ? latest.getTimestamp(1) : latest.getTimestamp(0);
      if (start != null) {
        String granularity = latest.isNullAt(0) ? null : DAY;
        Dataset<Row> window = mine.where(col(WINDOW_START).equalTo(start));
        if (granularity != null) {
          window = window.where(col(GRANULARITY).equalTo(granularity));
        }
        for (Row r :
            driftRows(window, driftTable)
                .orderBy(
                    col(SLICE), col(COMPARISON), col(MODEL_VERSION), col(COLUMN), col(STATISTIC))
                .collectAsList()) {
          drift.add(driftRow(r));
        }
        if (!drift.isEmpty()) {
          lh.latestVersion(Tables.PROFILES).ifPresent(v -> tables.input(Tables.PROFILES, v));
          histograms =
              ColumnHistogram.read(
                  lh, model.name(), drift.get(0).granularity(), start.toInstant(), s.topK());
        }
      }
    }
    return new DriftRead(drift, histograms);
  }

  /**
   * The multivariate drift (PCA reconstruction error against the baseline) of the model's daily
   * windows of all rows in [from, asOf], by day then version: one drift_metrics row each.
   */
  private static List<ReportData.DriftRow> multivariate(
      RunTables tables, ModelSpec model, LocalDate from, LocalDate asOf) {
    List<ReportData.DriftRow> out = new ArrayList<>();
    Dataset<Row> driftTable = snapshot(tables, Tables.DRIFT_METRICS);
    if (driftTable == null) {
      return out;
    }
    Dataset<Row> mine =
        driftTable.where(
            col(MODEL_NAME)
                .equalTo(model.name())
                .and(col(WINDOW_DATE).between(from.toString(), asOf.toString()))
                .and(col(GRANULARITY).equalTo(DAY))
                .and(col(COMPARISON).equalTo("BASELINE"))
                .and(col(COLUMN).equalTo(MultivariateDrift.COLUMN))
                .and(allRows(driftTable)));
    for (Row r :
        driftRows(mine, driftTable).orderBy(col(WINDOW_DATE), col(MODEL_VERSION)).collectAsList()) {
      out.add(driftRow(r));
    }
    return out;
  }

  /**
   * The model's constraint checks of the windows that contain its latest checked day up to {@code
   * asOf} (that day and the longer windows holding it), failed first.
   */
  private static List<ReportData.ConstraintCheck> constraintChecks(
      RunTables tables, ModelSpec model, LocalDate asOf) {
    List<ReportData.ConstraintCheck> out = new ArrayList<>();
    Dataset<Row> checks = snapshot(tables, Tables.CONSTRAINT_CHECKS);
    if (checks == null) {
      return out;
    }
    Dataset<Row> mine =
        checks.where(
            col(MODEL_NAME).equalTo(model.name()).and(col(WINDOW_DATE).leq(asOf.toString())));
    Row latest = mine.where(col(GRANULARITY).equalTo(DAY)).agg(max(col(WINDOW_START))).first();
    if (latest.isNullAt(0)) {
      return out;
    }
    Timestamp day = latest.getTimestamp(0);
    for (Row r :
        mine.where(col(WINDOW_START).leq(day).and(col(WINDOW_END).gt(day)))
            .select(
                MODEL_VERSION,
                GRANULARITY,
                WINDOW_DATE,
                CONSTRAINT_NAME,
                COLUMN,
                CONSTRAINT_KIND,
                OBSERVED,
                BOUND,
                ROWS,
                PASSED,
                RUN_ID)
            .orderBy(col(PASSED), col(WINDOW_DATE).desc(), col(MODEL_VERSION), col(CONSTRAINT_NAME))
            .collectAsList()) {
      out.add(
          new ReportData.ConstraintCheck(
              r.getString(0),
              r.getString(1),
              r.getDate(2).toLocalDate(),
              r.getString(3),
              r.getString(4),
              r.getString(5),
              doubleOrNull(r, 6),
              r.getDouble(7),
              r.getLong(8),
              r.getBoolean(9),
              r.getString(10)));
    }
    return out;
  }

  private static final String SLICE = "_slice";

  /** The columns of drift_metrics rows that {@link #driftRow} reads, in its order. */
  private static Dataset<Row> driftRows(Dataset<Row> rows, Dataset<Row> table) {
    return rows.withColumn(SLICE, slice(table))
        .select(
            MODEL_VERSION,
            GRANULARITY,
            WINDOW_DATE,
            COMPARISON,
            COLUMN,
            COLUMN_KIND,
            STATISTIC,
            VALUE,
            P_VALUE,
            THRESHOLD,
            DRIFTED,
            RUN_ID,
            SLICE);
  }

  private static ReportData.DriftRow driftRow(Row r) {
    return new ReportData.DriftRow(
        r.getString(0),
        r.getString(1),
        r.getDate(2).toLocalDate(),
        r.getString(3),
        r.getString(4),
        r.getString(5),
        r.getString(6),
        doubleOrNull(r, 7),
        doubleOrNull(r, 8),
        doubleOrNull(r, 9),
        r.isNullAt(10) ? null : r.getBoolean(10),
        r.getString(11),
        r.getString(12));
  }

  /** A row's slice as "*" (all rows, also for tables written before slices) or "key=value". */
  private static Column slice(Dataset<Row> table) {
    return List.of(table.columns()).contains(SLICE_KEY)
        ? when(col(SLICE_KEY).isNull().or(col(SLICE_KEY).equalTo("*")), lit("*"))
            .otherwise(concat_ws("=", col(SLICE_KEY), col(SLICE_VALUE)))
        : lit("*");
  }

  /** Rows of all rows, not of one slice (tables written before slices have no slice_key). */
  private static Column allRows(Dataset<Row> table) {
    return List.of(table.columns()).contains(SLICE_KEY)
        ? col(SLICE_KEY).isNull().or(col(SLICE_KEY).equalTo("*"))
        : lit(true);
  }

  /** The model's drift alerts of the {@code alert-days} up to {@code asOf}, newest first. */
  private static List<ReportData.Alert> alerts(
      RunTables tables, ModelSpec model, LocalDate asOf, ReportSettings s) {
    List<ReportData.Alert> alerts = new ArrayList<>();
    Dataset<Row> alertTable = snapshot(tables, Tables.ALERTS);
    if (alertTable != null) {
      for (Row r :
          recent(
                  alertTable,
                  model,
                  asOf,
                  s,
                  ofKind(alertTable, Tables.DRIFT_ALERT).and(allRows(alertTable)))
              .select(
                  MODEL_VERSION,
                  GRANULARITY,
                  WINDOW_DATE,
                  COMPARISON,
                  DRIFTED_COLUMNS,
                  DRIFTED_COLUMN_SHARE,
                  DATASET_DRIFTED,
                  RUN_ID)
              .orderBy(
                  col(WINDOW_DATE).desc(),
                  col(GRANULARITY),
                  col(COMPARISON),
                  col(MODEL_VERSION).asc_nulls_first())
              .collectAsList()) {
        alerts.add(
            new ReportData.Alert(
                r.getString(0),
                r.getString(1),
                r.getDate(2).toLocalDate(),
                r.getString(3),
                r.getList(4),
                r.getDouble(5),
                r.getBoolean(6),
                r.getString(7)));
      }
    }
    return alerts;
  }

  /**
   * The model's quality and anomaly alerts of the {@code alert-days} up to {@code asOf}, newest
   * first.
   */
  private static List<ReportData.QualityAlert> qualityAlerts(
      RunTables tables, ModelSpec model, LocalDate asOf, ReportSettings s) {
    List<ReportData.QualityAlert> out = new ArrayList<>();
    Dataset<Row> alertTable = snapshot(tables, Tables.ALERTS);
    if (alertTable == null || !Arrays.asList(alertTable.columns()).contains(KIND)) {
      return out;
    }
    for (Row r :
        recent(
                alertTable,
                model,
                asOf,
                s,
                QualityCheck.KINDS.stream()
                    .map(kind -> ofKind(alertTable, kind))
                    .reduce(Column::or)
                    .orElseThrow())
            .select(
                MODEL_VERSION,
                GRANULARITY,
                WINDOW_DATE,
                RULE,
                SLICE_KEY,
                SLICE_VALUE,
                REASON,
                RUN_ID)
            .orderBy(
                col(WINDOW_DATE).desc(),
                col(GRANULARITY),
                col(RULE),
                col(SLICE_KEY),
                col(SLICE_VALUE),
                col(MODEL_VERSION))
            .collectAsList()) {
      out.add(
          new ReportData.QualityAlert(
              r.getString(0),
              r.getString(1),
              r.getDate(2).toLocalDate(),
              r.getString(3),
              r.getString(4),
              r.getString(5),
              r.getString(6),
              r.getString(7)));
    }
    return out;
  }

  /** The model's alerts of the kinds {@code kinds} selects in the {@code alert-days} to asOf. */
  private static Dataset<Row> recent(
      Dataset<Row> alertTable, ModelSpec model, LocalDate asOf, ReportSettings s, Column kinds) {
    return alertTable.where(
        col(MODEL_NAME)
            .equalTo(model.name())
            .and(kinds)
            .and(
                col(WINDOW_DATE)
                    .between(asOf.minusDays(s.alertDays() - 1L).toString(), asOf.toString())));
  }

  /**
   * Alerts of one kind; a table written before alerts had a kind (not migrated yet: the report
   * reads, it does not migrate) holds drift alerts only.
   */
  static Column ofKind(Dataset<Row> alerts, String kind) {
    return Arrays.asList(alerts.columns()).contains(KIND)
        ? coalesce(col(KIND), lit(Tables.DRIFT_ALERT)).equalTo(kind)
        : lit(kind.equals(Tables.DRIFT_ALERT));
  }

  /** A model's registered versions and its aliases. */
  record RegistryRead(List<ModelRegistry.Entry> versions, Map<String, Integer> aliases) {}

  private static RegistryRead registry(RunTables tables, ModelSpec model) {
    Lakehouse lh = tables.lakehouse();
    List<ModelRegistry.Entry> registry = List.of();
    Map<String, Integer> aliases = Map.of();
    if (lh.exists(Tables.MODEL_REGISTRY) && lh.exists(Tables.MODEL_ALIASES)) {
      lh.latestVersion(Tables.MODEL_REGISTRY)
          .ifPresent(v -> tables.input(Tables.MODEL_REGISTRY, v));
      lh.latestVersion(Tables.MODEL_ALIASES).ifPresent(v -> tables.input(Tables.MODEL_ALIASES, v));
      ModelRegistry r = new ModelRegistry(lh);
      registry = r.versions(model.name());
      aliases = r.aliases(model.name());
    }
    return new RegistryRead(registry, aliases);
  }

  /** Every gate check of the model's decisions up to {@code asOf}, in a fixed order. */
  private static List<ReportData.GateCheck> gate(
      RunTables tables, ModelSpec model, LocalDate asOf) {
    List<ReportData.GateCheck> gate = new ArrayList<>();
    Dataset<Row> gateTable = snapshot(tables, Tables.GATE_DECISIONS);
    if (gateTable != null) {
      for (Row r :
          gateTable
              .where(
                  col(MODEL_NAME).equalTo(model.name()).and(col(LOGICAL_DATE).leq(asOf.toString())))
              .select(
                  RUN_ID,
                  LOGICAL_DATE,
                  CANDIDATE,
                  CANDIDATE_VERSION,
                  CHAMPION,
                  BLESSED,
                  WINNER,
                  CHECK_KIND,
                  METRIC,
                  VALUE,
                  BOUND,
                  PASSED,
                  REASON)
              // a fixed order (the sort below is stable): the same page on every run
              .orderBy(RUN_ID, CANDIDATE, CHECK_KIND, METRIC, REASON)
              .collectAsList()) {
        gate.add(
            new ReportData.GateCheck(
                r.getString(0),
                r.isNullAt(1) ? null : r.getDate(1).toLocalDate(),
                r.getString(2),
                r.isNullAt(3) ? null : r.getInt(3),
                r.getString(4),
                !r.isNullAt(5) && r.getBoolean(5),
                !r.isNullAt(6) && r.getBoolean(6),
                r.getString(7),
                r.getString(8),
                doubleOrNull(r, 9),
                doubleOrNull(r, 10),
                r.isNullAt(11) ? null : r.getBoolean(11),
                r.getString(12)));
      }
    }
    return gate;
  }

  /** The latest gate decision first: by when its run finished, then by date and run id. */
  private static void sortLatestFirst(List<ReportData.GateCheck> gate, List<ReportData.Run> runs) {
    Map<String, ReportData.Run> byId = new HashMap<>();
    runs.forEach(r -> byId.putIfAbsent(r.runId(), r));
    gate.sort(
        Comparator.comparing(
                (ReportData.GateCheck g) ->
                    Optional.ofNullable(byId.get(g.runId()))
                        .map(ReportData.Run::finishedAt)
                        .orElse(Instant.EPOCH))
            .thenComparing(g -> g.date() == null ? LocalDate.MIN : g.date())
            .thenComparing(ReportData.GateCheck::runId)
            .reversed());
  }

  /** The latest window date any evaluation or drift row of the model has. */
  private static LocalDate latestWindow(Lakehouse lh, String model) {
    LocalDate latest = null;
    for (String table : List.of(Tables.EVAL_METRICS, Tables.DRIFT_METRICS)) {
      if (!lh.exists(table)) {
        continue;
      }
      Row r =
          lh.read(table).data().where(col(MODEL_NAME).equalTo(model)).agg(max(WINDOW_DATE)).first();
      if (!r.isNullAt(0)) {
        LocalDate d = r.getDate(0).toLocalDate();
        latest = latest == null || d.isAfter(latest) ? d : latest;
      }
    }
    if (latest == null) {
      throw new LakeloopException(
          "nothing to report for model "
              + model
              + " in "
              + lh.root()
              + ": eval_metrics and drift_metrics have no rows of it; run bin/lakeloop evaluate"
              + " and drift first (or check --model and lakeloop.warehouse)");
    }
    return latest;
  }

  /**
   * One day's labeled predictions of a binary model, per version, in equal-width bins of the
   * positive class's score (index 1): one aggregation, at most versions x bins rows collected.
   */
  private static ReportData.Curves curves(
      RunTables tables, ModelSpec model, LocalDate day, LocalDate asOf, int bins) {
    Column p = element_at(col(SCORES), 2);
    Dataset<Row> logs =
        LabeledPredictions.predictions(tables, model, day, day)
            .select(col(REQUEST_ID), col(MODEL_VERSION), p.as("p"));
    Dataset<Row> labeled =
        // the labels known by the report's date, as evaluate --date pairs them: a report as of
        // a date shows what was known then, whenever it is run
        LabeledPredictions.withLabels(tables, logs, day, asOf)
            .where(
                col(LABEL)
                    .isin(0.0, 1.0)
                    .and(col("p").between(0.0, 1.0))); // invalid rows are evaluate's to count
    Column bin = least(floor(col("p").multiply(bins)), lit(bins - 1)).cast("int");
    Column positive = col(LABEL).equalTo(1.0);
    Map<String, double[][]> byVersion = new TreeMap<>();
    for (Row r :
        labeled
            .groupBy(col(MODEL_VERSION), bin.as("bin"))
            .agg(
                sum(when(positive, 1.0).otherwise(0.0)),
                sum(when(positive, 0.0).otherwise(1.0)),
                sum(col("p")))
            .collectAsList()) {
      double[][] v = byVersion.computeIfAbsent(r.getString(0), k -> new double[3][bins]);
      int b = r.getInt(1);
      v[0][b] = r.getDouble(2);
      v[1][b] = r.getDouble(3);
      v[2][b] = r.getDouble(4);
    }
    List<ReportData.VersionBins> versions = new ArrayList<>();
    byVersion.forEach((v, a) -> versions.add(new ReportData.VersionBins(v, a[0], a[1], a[2])));
    return new ReportData.Curves(day, model.classLabels().get(1), bins, versions);
  }

  /** The latest attempt of each run named, latest finished first. */
  private static List<ReportData.Run> runs(RunTables tables, Set<String> runIds) {
    Dataset<Row> table = snapshot(tables, Tables.JOB_RUNS);
    if (table == null || runIds.isEmpty()) {
      return List.of();
    }
    List<ReportData.Run> out = new ArrayList<>();
    for (Row r :
        JobRuns.latest(table.where(col(RUN_ID).isin(runIds.toArray())))
            .select(JOB, RUN_ID, LOGICAL_DATE, STATUS, ATTEMPT, FINISHED_AT, INPUTS, OUTPUTS)
            .orderBy(col(FINISHED_AT).desc_nulls_last(), col(JOB), col(RUN_ID))
            .collectAsList()) {
      out.add(
          new ReportData.Run(
              r.getString(0),
              r.getString(1),
              r.isNullAt(2) ? null : r.getDate(2).toLocalDate(),
              r.getString(3),
              r.getInt(4),
              r.isNullAt(5) ? null : r.getTimestamp(5).toInstant(),
              r.isNullAt(6) ? Map.of() : new TreeMap<>(r.<String, Long>getJavaMap(6)),
              r.isNullAt(7) ? Map.of() : new TreeMap<>(r.<String, Long>getJavaMap(7))));
    }
    return out;
  }

  /** A table pinned at its latest version (recorded as an input), or null if it is absent. */
  private static Dataset<Row> snapshot(RunTables tables, String table) {
    return tables.readIfExists(table).map(Lakehouse.Snapshot::data).orElse(null);
  }

  private static Double doubleOrNull(Row r, int i) {
    return r.isNullAt(i) ? null : r.getDouble(i);
  }
}
