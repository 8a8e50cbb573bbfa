package io.lakeloop.monitoring.evaluate;

import static io.lakeloop.common.table.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The evaluation engine, a library call: predictions joined with their labels (a {@code label}
 * column, null when not labeled yet) in, {@code eval_metrics} rows out, for every model version x
 * window (each configured granularity) x slice ({@code *} plus each slice column's values).
 *
 * <p>Cost, independent of the number of metrics, slices and windows: one small aggregation job for
 * the top-K values of the slice columns (skipped without slice columns), then one fused aggregation
 * in three shuffles: (1) every row is exploded into its window x slice memberships, its bootstrap
 * replicates (weight 0 rows dropped) and, for multiclass, one score-histogram entry per class, and
 * summed per score bin; (2) the bins are rolled up per window x slice x replicate into additive
 * states plus a sparse histogram; (3) after the {@link MetricSet}'s pure functions turn each state
 * into metric values, replicates are reduced to percentile intervals. The driver sees no rows at
 * all (the result is a lazy Dataset). Rows with invalid scores or labels are counted ({@code
 * invalid_rows}) and kept out of every other metric; unlabeled rows are counted, never treated as
 * negatives. Deterministic: the same input gives the same output, bootstrap intervals included
 * ({@link PoissonWeights}).
 */
public final class Evaluator {
  /** Slice value of the all-rows slice, and of values folded away or null. */
  public static final String ALL = "*";

  public static final String OTHER = "__other__";
  public static final String NULL_VALUE = "__null__";

  private static final String M = "_m";
  private static final String B = "_b";
  private static final String W = "_w";
  private static final String Y = "_y";
  private static final String P = "_p";
  private static final String VALID = "_valid";
  private static final String LAB = "_lab";
  private static final String HK = "_hk";
  private static final String HBIN = "_hbin";
  private static final String HPOS = "_hpos";
  private static final String HNEG = "_hneg";
  private static final String HIST = "_hist";
  private static final String CI = "_ci";

  static final List<String> KEYS =
      List.of(MODEL_NAME, MODEL_VERSION, GRANULARITY, WINDOW_START, SLICE_KEY, SLICE_VALUE);

  /**
   * Which windows to evaluate: for each granularity, windows starting at or after {@code from}, and
   * only events before {@code until} (exclusive).
   */
  public record WindowScope(Map<Granularity, Instant> from, Instant until) {
    public WindowScope {
      from = Map.copyOf(from);
    }

    Instant earliest() {
      return from.values().stream().min(Instant::compareTo).orElse(until);
    }
  }

  private final ModelSpec model;
  private final EvalSettings settings;
  private final MetricSet metrics;

  public Evaluator(ModelSpec model, EvalSettings settings) {
    this.model = model;
    this.settings = settings;
    this.metrics = MetricSet.forModel(model);
  }

  /** Restricts the rows to the scope's period (no Spark job). */
  public Dataset<Row> scoped(Dataset<Row> rows, Optional<WindowScope> scope) {
    if (scope.isEmpty()) {
      return rows;
    }
    return rows.where(
        col(EVENT_TIME)
            .geq(lit(Timestamp.from(scope.get().earliest())))
            .and(col(EVENT_TIME).lt(lit(Timestamp.from(scope.get().until())))));
  }

  /**
   * Evaluates predictions joined with labels (see the class comment): runs the top-K job, then
   * returns the lazy metrics in the eval_metrics schema.
   */
  public Dataset<Row> evaluate(Dataset<Row> joined, Optional<WindowScope> scope, String runId) {
    Dataset<Row> rows = scoped(joined, scope);
    return metrics(rows, topSliceValues(rows), scope, runId);
  }

  /**
   * The K most frequent values (ties by value) of each slice column that has more than K; columns
   * not in the map keep all their values. One Spark job over the rows; the driver receives at most
   * (K + 1) rows per slice column.
   */
  public Map<String, List<String>> topSliceValues(Dataset<Row> rows) {
    Map<String, List<String>> kept = new LinkedHashMap<>();
    if (model.sliceColumns().isEmpty()) {
      return kept;
    }
    int k = settings.topKSliceValues();
    Column[] members =
        model.sliceColumns().stream()
            .map(
                s ->
                    struct(lit(s).as(SLICE_KEY), coalesce(col(s), lit(NULL_VALUE)).as(SLICE_VALUE)))
            .toArray(Column[]::new);
    List<Row> top =
        rows.select(explode(array(members)).as(M))
            .select(col(M + "." + SLICE_KEY), col(M + "." + SLICE_VALUE))
            .groupBy(SLICE_KEY, SLICE_VALUE)
            .agg(count(lit(1)).as(N))
            .withColumn(
                "_rank",
                row_number()
                    .over(
                        Window.partitionBy(SLICE_KEY)
                            .orderBy(col(N).desc(), col(SLICE_VALUE).asc())))
            .where(col("_rank").leq(k + 1))
            .orderBy(SLICE_KEY, "_rank")
            .collectAsList();
    Map<String, List<String>> byKey = new LinkedHashMap<>();
    for (Row r : top) {
      byKey.computeIfAbsent(r.getString(0), x -> new ArrayList<>()).add(r.getString(1));
    }
    byKey.forEach(
        (key, values) -> {
          if (values.size() > k) {
            kept.put(key, List.copyOf(values.subList(0, k)));
          }
        });
    return kept;
  }

  private static Column sliceValue(String column, Map<String, List<String>> kept) {
    Column v = coalesce(col(column), lit(NULL_VALUE));
    List<String> keep = kept.get(column);
    return keep == null ? v : when(v.isin(keep.toArray()), v).otherwise(lit(OTHER));
  }

  private Column validity() {
    Column predictionOk = col(PREDICTION).isNotNull().and(not(isnan(col(PREDICTION))));
    if (!model.task().isClassification()) {
      Column finite = col(PREDICTION).between(-Double.MAX_VALUE, Double.MAX_VALUE);
      Column labelOk =
          col(LABEL).isNull().or(col(LABEL).between(-Double.MAX_VALUE, Double.MAX_VALUE));
      return predictionOk.and(finite).and(labelOk);
    }
    int k = model.numClasses();
    Column scoresOk =
        col(SCORES)
            .isNotNull()
            .and(size(col(SCORES)).equalTo(k))
            .and(expr("forall(" + SCORES + ", x -> x IS NOT NULL AND x >= 0 AND x <= 1)"))
            .and(
                abs(expr("aggregate(" + SCORES + ", 0D, (a, x) -> a + x)").minus(1))
                    .leq(settings.scoreSumTolerance()));
    Column predOk =
        col(PREDICTION).equalTo(floor(col(PREDICTION))).and(col(PREDICTION).between(0, k - 1));
    Column labelOk =
        col(LABEL)
            .isNull()
            .or(col(LABEL).equalTo(floor(col(LABEL))).and(col(LABEL).between(0, k - 1)));
    return coalesce(predictionOk.and(scoresOk).and(predOk).and(labelOk), lit(false));
  }

  /**
   * The lazy metrics of rows already restricted to the scope's period, with the given slice values
   * kept (from {@link #topSliceValues}). No Spark job until the result is used.
   */
  public Dataset<Row> metrics(
      Dataset<Row> rows,
      Map<String, List<String>> keptSliceValues,
      Optional<WindowScope> scope,
      String runId) {
    for (String required : List.of(REQUEST_ID, EVENT_TIME, MODEL_NAME, MODEL_VERSION, PREDICTION)) {
      if (!Arrays.asList(rows.columns()).contains(required)) {
        throw new LakeloopException(
            "evaluation input lacks column '"
                + required
                + "'; pass prediction_log rows joined with labels (columns: "
                + String.join(", ", rows.columns())
                + ")");
      }
    }
    boolean classification = model.task().isClassification();
    String numeric = classification ? "int" : "double";
    Dataset<Row> prepared =
        rows.withColumn(VALID, validity())
            .withColumn(LAB, col(VALID).and(col(LABEL).isNotNull()))
            .withColumn(Y, col(LABEL).cast(numeric))
            .withColumn(P, col(PREDICTION).cast(numeric));

    // (1) memberships: one per granularity x (all rows + each slice column)
    List<Column> members = new ArrayList<>();
    for (Granularity g : settings.granularities()) {
      Column start =
          timestamp_seconds(
              floor(col(EVENT_TIME).cast("long").minus(g.offsetSeconds()).divide(g.seconds()))
                  .multiply(g.seconds())
                  .plus(g.offsetSeconds()));
      members.add(membership(g, start, lit(ALL), lit(ALL)));
      for (String s : model.sliceColumns()) {
        members.add(membership(g, start, lit(s), sliceValue(s, keptSliceValues)));
      }
    }
    Dataset<Row> exploded = prepared.withColumn(M, explode(array(members.toArray(Column[]::new))));
    for (String key : List.of(GRANULARITY, WINDOW_START, SLICE_KEY, SLICE_VALUE)) {
      exploded = exploded.withColumn(key, col(M + "." + key));
    }
    if (scope.isPresent()) {
      Column inScope = lit(false);
      for (Map.Entry<Granularity, Instant> e : scope.get().from().entrySet()) {
        inScope =
            inScope.or(
                col(GRANULARITY)
                    .equalTo(e.getKey().label())
                    .and(col(WINDOW_START).geq(lit(Timestamp.from(e.getValue())))));
      }
      exploded = exploded.where(inScope);
    }

    // bootstrap replicates: b = 0 is the sample itself (weight 1)
    int replicates = settings.bootstrapReplicates();
    Dataset<Row> weighted =
        exploded
            .withColumn(B, explode(sequence(lit(0), lit(replicates))))
            .withColumn(
                W,
                when(col(B).equalTo(0), lit(1.0))
                    .otherwise(PoissonWeights.weight(col(REQUEST_ID), col(B))))
            .where(col(W).gt(0));

    // score histogram entries: one per histogram (class), additive state only on entry 0
    MetricSet.RowColumns rc = new MetricSet.RowColumns(col(Y), col(P), col(SCORES));
    int histograms = metrics.histograms();
    Dataset<Row> entries =
        histograms > 1
            ? weighted.withColumn(HK, explode(sequence(lit(0), lit(histograms - 1))))
            : weighted.withColumn(HK, lit(0));
    if (histograms > 0) {
      Column bins =
          when(col(B).equalTo(0), lit(settings.aucBins()))
              .otherwise(lit(settings.bootstrapAucBins()));
      Column score = metrics.histogramScore(rc, col(HK));
      Column positive = coalesce(metrics.histogramPositive(rc, col(HK)), lit(false));
      entries =
          entries
              .withColumn(
                  HBIN,
                  coalesce(
                      least(floor(score.multiply(bins)), bins.minus(1)).cast("long"), lit(-1L)))
              .withColumn(HPOS, when(col(LAB).and(positive), col(W)).otherwise(0.0))
              .withColumn(HNEG, when(col(LAB).and(not(positive)), col(W)).otherwise(0.0));
    } else {
      entries =
          entries.withColumn(HBIN, lit(0L)).withColumn(HPOS, lit(0.0)).withColumn(HNEG, lit(0.0));
    }

    List<MetricSet.Partial> partials = new ArrayList<>();
    partials.add(new MetricSet.Partial(MetricSet.N_ALL, null, lit(1.0)));
    partials.add(new MetricSet.Partial(MetricSet.N_VALID, MetricSet.Scope.VALID, lit(1.0)));
    partials.add(new MetricSet.Partial(MetricSet.N_LABELED, MetricSet.Scope.LABELED, lit(1.0)));
    partials.addAll(metrics.partials(rc));
    List<String> names = partials.stream().map(MetricSet.Partial::name).toList();

    Column first = col(HK).equalTo(0);
    List<Column> stage1 = new ArrayList<>();
    for (MetricSet.Partial p : partials) {
      Column inScope =
          p.scope() == null
              ? first
              : first.and(col(p.scope() == MetricSet.Scope.VALID ? VALID : LAB));
      stage1.add(
          sum(when(inScope, col(W).multiply(coalesce(p.perRow(), lit(0.0)))).otherwise(0.0))
              .as(p.name()));
    }
    stage1.add(sum(col(HPOS)).as(HPOS));
    stage1.add(sum(col(HNEG)).as(HNEG));
    Column[] keys =
        Stream.concat(KEYS.stream(), Stream.of(B)).map(c -> col(c)).toArray(Column[]::new);
    Dataset<Row> perBin =
        entries
            .groupBy(
                Stream.concat(Arrays.stream(keys), Stream.of(col(HK), col(HBIN)))
                    .toArray(Column[]::new))
            .agg(stage1.get(0), stage1.subList(1, stage1.size()).toArray(Column[]::new));

    // (2) roll the bins up per window x slice x replicate
    List<Column> stage2 = new ArrayList<>();
    for (String n : names) {
      stage2.add(sum(col(n)).as(n));
    }
    stage2.add(
        collect_list(
                when(
                    col(HPOS).plus(col(HNEG)).gt(0).and(col(HBIN).geq(0)),
                    struct(col(HK), col(HBIN), col(HPOS), col(HNEG))))
            .as(HIST));
    Dataset<Row> states =
        perBin
            .groupBy(keys)
            .agg(stage2.get(0), stage2.subList(1, stage2.size()).toArray(Column[]::new));

    // (3) metric values per replicate, then point estimate + percentile interval
    StructType valueSchema =
        new StructType()
            .add(MODEL_NAME, DataTypes.StringType)
            .add(MODEL_VERSION, DataTypes.StringType)
            .add(GRANULARITY, DataTypes.StringType)
            .add(WINDOW_START, DataTypes.TimestampType)
            .add(SLICE_KEY, DataTypes.StringType)
            .add(SLICE_VALUE, DataTypes.StringType)
            .add(B, DataTypes.IntegerType)
            .add(METRIC, DataTypes.StringType)
            .add(VALUE, DataTypes.DoubleType)
            .add(N, DataTypes.LongType);
    Dataset<Row> values =
        states.flatMap(
            new MetricRows(metrics, names, KEYS.size(), histograms), Encoders.row(valueSchema));

    double alpha = 1 - settings.confidence();
    Column[] metricKeys =
        Stream.concat(KEYS.stream(), Stream.of(METRIC)).map(c -> col(c)).toArray(Column[]::new);
    Column ci =
        replicates > 0
            ? expr(
                "percentile(CASE WHEN "
                    + B
                    + " > 0 THEN "
                    + VALUE
                    + " END, array("
                    + (alpha / 2)
                    + "D, "
                    + (1 - alpha / 2)
                    + "D))")
            : lit(null).cast("array<double>");
    Dataset<Row> reduced =
        values
            .groupBy(metricKeys)
            .agg(
                max(when(col(B).equalTo(0), col(VALUE))).as(VALUE),
                max(when(col(B).equalTo(0), col(N))).as(N),
                ci.as(CI));

    Column end = lit(null).cast("timestamp");
    for (Granularity g : settings.granularities()) {
      end =
          when(
                  col(GRANULARITY).equalTo(g.label()),
                  timestamp_seconds(col(WINDOW_START).cast("long").plus(g.seconds())))
              .otherwise(end);
    }
    return reduced.select(
        col(MODEL_NAME),
        col(MODEL_VERSION),
        col(GRANULARITY),
        col(WINDOW_START),
        end.as(WINDOW_END),
        col(SLICE_KEY),
        col(SLICE_VALUE),
        col(METRIC),
        col(VALUE),
        element_at(col(CI), 1).as(CI_LOW),
        element_at(col(CI), 2).as(CI_HIGH),
        col(N),
        lit(runId).as(RUN_ID),
        to_date(col(WINDOW_START)).as(WINDOW_DATE));
  }

  private static Column membership(Granularity g, Column start, Column key, Column value) {
    return struct(
        lit(g.label()).as(GRANULARITY),
        start.as(WINDOW_START),
        key.as(SLICE_KEY),
        value.as(SLICE_VALUE));
  }

  /** The eval_metrics schema this engine produces (for callers that write it). */
  public static StructType schema() {
    return Tables.EVAL_METRICS_SPEC.schema();
  }
}
