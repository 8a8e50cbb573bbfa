package io.lakeloop.monitoring.evaluate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.fault.Faults;
import io.lakeloop.common.spark.TopValues;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Granularity;
import io.lakeloop.monitoring.OrderedMerge;
import io.lakeloop.monitoring.estimate.CalibrationMaps;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The evaluation engine, a library call: predictions joined with their labels (a {@code label}
 * column, null when not labeled yet) in, {@code eval_metrics} rows out, for every model version x
 * window (each configured granularity) x slice ({@code *} plus each slice column's values).
 *
 * <p>Cost, independent of the number of metrics, slices and windows: one small aggregation job for
 * the top-K values of the slice columns (skipped without slice columns), then one job of two
 * stages. Every metric describes itself as additive partial states and score histograms ({@link
 * MetricSet}); the map side reads each row once, draws its bootstrap weights once ({@link
 * PoissonWeights}) and adds it into the {@link SliceState} of every window x slice it belongs to
 * ({@link PartitionStates}); the reduce side merges each group's partial states in a fixed order
 * and turns them into metric values and percentile intervals ({@link MetricRows}). The driver sees
 * no rows at all (the result is a lazy Dataset). Rows with invalid scores or labels are counted
 * ({@code invalid_rows}) and kept out of every other metric; unlabeled rows are counted, never
 * treated as negatives. Deterministic to the bit: the same input gives the same output, bootstrap
 * intervals included.
 */
public final class Evaluator {
  /** Slice value of the all-rows slice, and of values folded away or null. */
  public static final String ALL = "*";

  public static final String OTHER = "__other__";
  public static final String NULL_VALUE = "__null__";

  private static final String M = "_m";

  /**
   * Which windows to evaluate: for each granularity, windows starting at or after {@code from},
   * only events before {@code until} (exclusive), and the older windows {@code also} lists (by
   * start; e.g. windows whose labels were corrected).
   */
  public record WindowScope(
      Map<Granularity, Instant> from, Instant until, Map<Granularity, Set<Instant>> also) {
    public WindowScope {
      from = Map.copyOf(from);
      also = Map.copyOf(also);
    }

    public WindowScope(Map<Granularity, Instant> from, Instant until) {
      this(from, until, Map.of());
    }

    Instant earliest() {
      return from.values().stream().min(Instant::compareTo).orElse(until);
    }

    /** The events in scope: from the earliest window on, or inside one of the older windows. */
    Column events() {
      Column in =
          col(EVENT_TIME)
              .geq(lit(Timestamp.from(earliest())))
              .and(col(EVENT_TIME).lt(lit(Timestamp.from(until))));
      for (Map.Entry<Granularity, Set<Instant>> e : also.entrySet()) {
        for (Instant start : e.getValue()) {
          in =
              in.or(
                  col(EVENT_TIME)
                      .geq(lit(Timestamp.from(start)))
                      .and(col(EVENT_TIME).lt(lit(Timestamp.from(e.getKey().end(start))))));
        }
      }
      return in;
    }

    /** The older windows' starts of a granularity in epoch seconds, sorted (for binary search). */
    long[] alsoSeconds(Granularity g) {
      return also.getOrDefault(g, Set.of()).stream()
          .mapToLong(Instant::getEpochSecond)
          .sorted()
          .toArray();
    }
  }

  private final ModelSpec model;
  private final EvalSettings settings;
  private final Measures measures;
  private final MetricSet metrics;
  private final RowScorer scorer;

  public Evaluator(ModelSpec model, EvalSettings settings) {
    this(model, settings, CalibrationMaps.NONE, Measures.NONE);
  }

  public Evaluator(ModelSpec model, EvalSettings settings, Measures measures) {
    this(model, settings, CalibrationMaps.NONE, measures);
  }

  public Evaluator(ModelSpec model, EvalSettings settings, CalibrationMaps calibrations) {
    this(model, settings, calibrations, Measures.NONE);
  }

  /**
   * An evaluator that also estimates the metrics of the model versions in {@code calibrations}
   * (metrics named {@code estimated_<metric>}, see {@link Estimated}) in the same single pass; a
   * slice value with a calibration of its own is estimated with it.
   */
  public Evaluator(
      ModelSpec model, EvalSettings settings, CalibrationMaps calibrations, Measures measures) {
    this.model = model;
    this.settings = settings;
    this.measures = measures;
    this.metrics =
        MetricSet.forModel(model, model.task().isClassification() && !calibrations.isEmpty());
    this.scorer =
        new RowScorer(
            model,
            metrics,
            settings.scoreSumTolerance(),
            settings.aucBins(),
            calibrations,
            measures.customMetrics(),
            !measures.fairness().isEmpty());
  }

  /**
   * Every slice of the evaluation by slice key, in order, as its value before top-K folding (null
   * as {@link #NULL_VALUE}): the model's slice columns, the columns fairness groupings name that
   * are not slice columns, the crossed slices (key and value {@code a,b}) and the fairness
   * groupings by groups (the first group a row matches, else {@link #OTHER}) — every row has
   * exactly one value of each — and last the slice expressions: {@link #TRUE} where the predicate
   * holds, null (in no slice of it) elsewhere, so a row costs a state update only in the
   * expressions it satisfies.
   */
  Map<String, Column> slices() {
    Map<String, Column> out = new LinkedHashMap<>();
    model.sliceColumns().forEach(c -> out.put(c, sliceValue(c, Map.of())));
    for (Measures.Fairness f : measures.fairness()) {
      f.column()
          .ifPresent(c -> out.putIfAbsent(c, coalesce(col(c).cast("string"), lit(NULL_VALUE))));
    }
    for (List<String> pair : measures.crossedSlices()) {
      out.put(
          String.join(",", pair),
          concat_ws(
              ",",
              coalesce(col(pair.get(0)).cast("string"), lit(NULL_VALUE)),
              coalesce(col(pair.get(1)).cast("string"), lit(NULL_VALUE))));
    }
    for (Measures.Fairness f : measures.fairness()) {
      if (f.column().isEmpty()) {
        Column v = null;
        for (Measures.Named g : f.groups()) {
          Column hit = coalesce(expr(g.where()), lit(false));
          v = v == null ? when(hit, lit(g.name())) : v.when(hit, lit(g.name()));
        }
        out.put(f.name(), v.otherwise(lit(OTHER)));
      }
    }
    // last: the only slices a row may be outside of (see PartitionStates)
    for (Measures.Named e : measures.sliceExpressions()) {
      out.put(e.name(), when(expr(e.where()), lit(TRUE)));
    }
    return out;
  }

  /**
   * The slice value of the rows a slice expression holds for (the others are in no slice of it).
   */
  public static final String TRUE = "true";

  /** The slice expressions' slice keys. */
  private Set<String> expressionSlices() {
    Set<String> out = new HashSet<>();
    measures.sliceExpressions().forEach(e -> out.add(e.name()));
    return out;
  }

  /** Slices whose values are bounded by their definition: no top-K job for them. */
  private Set<String> boundedSlices() {
    Set<String> out = expressionSlices();
    measures.fairness().stream().filter(f -> f.column().isEmpty()).forEach(f -> out.add(f.name()));
    return out;
  }

  /**
   * Resolves every custom metric and slice expression against the rows (analysis only, no Spark
   * job); one that does not resolve fails with its text and Spark's reason, before any work.
   */
  public void check(Dataset<Row> rows) {
    String key = "lakeloop.models." + model.name();
    for (CustomMetric m : measures.customMetrics()) {
      for (CustomMetric.Sum sum : m.sums()) {
        resolve(rows, sum.rowValue(), key + ".custom-metrics '" + m.name() + "'", sum.aggregate());
      }
    }
    // what each derived slice was written as: its predicate(s), or its column(s)
    Map<String, String> text = new HashMap<>();
    measures.sliceExpressions().forEach(e -> text.put(e.name(), e.where()));
    for (Measures.Fairness f : measures.fairness()) {
      if (f.column().isEmpty()) {
        text.put(
            f.name(), String.join("', '", f.groups().stream().map(Measures.Named::where).toList()));
      }
    }
    for (Map.Entry<String, Column> e : slices().entrySet()) {
      if (!model.sliceColumns().contains(e.getKey())) {
        resolve(
            rows,
            e.getValue(),
            key + " slice '" + e.getKey() + "'",
            text.getOrDefault(e.getKey(), e.getKey()));
      }
    }
  }

  private static void resolve(Dataset<Row> rows, Column c, String what, String text) {
    Dataset<Row> probe;
    try {
      probe = rows.select(c);
    } catch (Exception e) { // Spark throws AnalysisException without declaring it
      String reason =
          e instanceof AnalysisException a ? a.getSimpleMessage() : String.valueOf(e.getMessage());
      throw new ConfigError(
          what
              + ": '"
              + text
              + "' cannot be evaluated on the prediction log joined with labels: "
              + reason
              + " (columns: "
              + String.join(", ", rows.columns())
              + ")",
          e);
    }
    if (probe.queryExecution().analyzed() instanceof Aggregate) {
      throw new ConfigError(
          what + ": '" + text + "' nests an aggregate inside the per-row value; use one aggregate");
    }
  }

  /** Restricts the rows to the scope's period (no Spark job). */
  public Dataset<Row> scoped(Dataset<Row> rows, Optional<WindowScope> scope) {
    if (scope.isEmpty()) {
      return rows;
    }
    return rows.where(scope.get().events());
  }

  /**
   * Evaluates predictions joined with labels (see the class comment): runs the top-K job, then
   * returns the lazy metrics in the eval_metrics schema.
   */
  public Dataset<Row> evaluate(Dataset<Row> joined, Optional<WindowScope> scope, String runId) {
    check(joined);
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
    int k = settings.topKSliceValues();
    Map<String, Column> ranked = new LinkedHashMap<>(slices());
    ranked.keySet().removeAll(boundedSlices());
    TopValues.ranked(rows, ranked, k + 1)
        .forEach(
            (column, values) -> {
              if (values.size() > k) {
                kept.put(column, List.copyOf(values.subList(0, k)));
              }
            });
    return kept;
  }

  /**
   * Each slice column's value as a slice of the evaluation names it before folding (a null is
   * {@link #NULL_VALUE}), by column: what slice values are calibrated on.
   */
  public Map<String, Column> sliceValues() {
    Map<String, Column> out = new LinkedHashMap<>();
    model.sliceColumns().forEach(c -> out.put(c, sliceValue(c, Map.of())));
    return out;
  }

  /**
   * A slice column's value as a slice: {@link #NULL_VALUE} for null, {@link #OTHER} for a value not
   * among the column's kept values (when {@code kept} lists the column), else the value.
   */
  public static Column sliceValue(String column, Map<String, List<String>> kept) {
    return folded(coalesce(col(column), lit(NULL_VALUE)), kept.get(column));
  }

  private static Column folded(Column v, List<String> keep) {
    return keep == null ? v : when(v.isin(keep.toArray()), v).otherwise(lit(OTHER));
  }

  /** Why a row cannot be scored, as a stable code (a metric name suffix), with its meaning. */
  public enum Invalid {
    PREDICTION_NOT_FINITE("prediction is null, NaN or infinite"),
    LABEL_NOT_FINITE("label is NaN or infinite"),
    SCORES_MISSING("scores are null"),
    SCORES_WRONG_LENGTH("scores do not have one value per class"),
    SCORES_OUT_OF_RANGE("a score is null, NaN or outside [0, 1]"),
    SCORES_NOT_SUMMING_TO_1("scores do not sum to 1 within lakeloop.evaluate.score-sum-tolerance"),
    PREDICTION_NOT_A_CLASS("prediction is not a class index of the model spec"),
    LABEL_NOT_A_CLASS("label is not a class index of the model spec");

    public final String meaning;

    Invalid(String meaning) {
      this.meaning = meaning;
    }

    /** The code as written in metric names and quarantine reasons. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The first reason a row cannot be scored ({@link Invalid#code()}), or null for a valid row.
   * Invalid rows are counted per reason and kept out of every metric but the counts.
   */
  public Column invalidReason() {
    RowScorer checks = scorer;
    UserDefinedFunction reason =
        udf(
            (UDF3<Double, Double, Seq<Double>, String>)
                (prediction, label, scores) -> {
                  Invalid r =
                      checks.check(
                          prediction,
                          label,
                          scores == null
                              ? null
                              : new GenericArrayData(
                                  JavaConverters.seqAsJavaList(scores).toArray()));
                  return r == null ? null : r.code();
                },
            DataTypes.StringType);
    return reason.apply(col(PREDICTION), col(LABEL), scoresColumn());
  }

  private Column scoresColumn() {
    return model.task().isClassification()
        ? col(SCORES)
        : lit(null).cast(DataTypes.createArrayType(DataTypes.DoubleType));
  }

  /** Prefix of the partial states that count invalid rows per reason. */
  static final String INVALID_PREFIX = "invalid:";

  /**
   * The lazy metrics of rows already restricted to the scope's period, with the given slice values
   * kept (from {@link #topSliceValues}). No Spark job until the result is used; then one job of two
   * stages: the map side folds each input partition into per window x slice states (a row's
   * bootstrap weights are drawn once and shared by all its windows and slices), the reduce side
   * merges them in a fixed order and turns each into metric rows.
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
    Map<String, Column> defined = slices();
    List<String> sliceKeys = List.copyOf(defined.keySet());
    Column[] slices =
        defined.entrySet().stream()
            .map(e -> folded(e.getValue(), keptSliceValues.get(e.getKey())))
            .toArray(Column[]::new);
    List<Column> projection =
        new ArrayList<>(
            List.of(
                col(MODEL_NAME),
                col(MODEL_VERSION),
                col(EVENT_TIME).cast("long"),
                xxhash64(col(REQUEST_ID)),
                slices.length == 0 ? lit(null).cast("array<string>") : array(slices),
                col(PREDICTION).cast("double"),
                col(LABEL).cast("double"),
                scoresColumn()));
    for (CustomMetric m : measures.customMetrics()) {
      m.sums().forEach(sum -> projection.add(sum.rowValue()));
    }
    // the raw columns only: checks, partial values and histogram codes are Java (RowScorer)
    Dataset<Row> input = rows.select(projection.toArray(Column[]::new));
    List<String> names = scorer.partials().stream().map(MetricSet.Partial::name).toList();

    List<Granularity> gs = settings.granularities();
    long[] from = new long[gs.size()];
    long[][] also = new long[gs.size()][];
    for (int i = 0; i < gs.size(); i++) {
      Granularity g = gs.get(i);
      Instant f = scope.map(s -> s.from().get(g)).orElse(null);
      from[i] =
          f != null ? f.getEpochSecond() : scope.isPresent() ? Long.MAX_VALUE : Long.MIN_VALUE;
      also[i] = scope.map(s -> s.alsoSeconds(g)).orElse(new long[0]);
    }
    PartitionStates mapSide =
        new PartitionStates(
            new PartitionStates.Shape(
                scorer.partials().stream().map(MetricSet.Partial::bootstrap).toList(),
                settings.bootstrapReplicates(),
                scorer.histograms(),
                settings.aucBins(),
                settings.bootstrapAucBins(),
                scorer.estimatedHistograms()),
            scorer,
            gs,
            from,
            also,
            sliceKeys,
            measures.fairness().stream().map(Measures.Fairness::sliceKey).distinct().toList(),
            sliceKeys.isEmpty() || !expressionSlices().contains(sliceKeys.get(0)),
            settings.stateMemoryBytes());
    MetricRows output =
        new MetricRows(metrics, measures.customMetrics(), names, gs, settings.confidence(), runId);
    FairnessRows fairness =
        new FairnessRows(measures.fairness(), output, settings.bootstrapReplicates());
    JavaRDD<InternalRow> scan = input.queryExecution().toRdd().toJavaRDD();
    int reducers =
        Math.max(
            1,
            Math.min(
                scan.getNumPartitions(),
                Integer.parseInt(rows.sparkSession().conf().get("spark.sql.shuffle.partitions"))));
    JavaRDD<Row> metricRows =
        OrderedMerge.merge(
            scan.mapPartitionsWithIndex(
                    (Integer p, Iterator<InternalRow> it) -> {
                      Faults.point("scan", p);
                      return mapSide.call(p, it);
                    },
                    false)
                .mapToPair(t -> t),
            reducers,
            SliceState::merge,
            fairness);
    return rows.sparkSession().createDataFrame(metricRows, MetricRows.schema());
  }

  /** The eval_metrics schema this engine produces (for callers that write it). */
  public static StructType schema() {
    return Tables.EVAL_METRICS_SPEC.schema();
  }
}
