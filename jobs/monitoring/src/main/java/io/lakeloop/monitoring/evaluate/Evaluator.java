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
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.StructType;

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
  private static final String Y = "_y";
  private static final String P = "_p";
  private static final String VALID = "_valid";
  private static final String REASON_TMP = "_invalid";
  private static final String LAB = "_lab";

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
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The first reason a row cannot be scored ({@link Invalid#code()}), or null for a valid row.
   * Invalid rows are counted per reason and kept out of every metric but the counts.
   */
  public Column invalidReason() {
    List<Column[]> checks = new ArrayList<>();
    Column pred = col(PREDICTION);
    Column label = col(LABEL);
    Column finite = pred.between(-Double.MAX_VALUE, Double.MAX_VALUE);
    checks.add(
        new Column[] {not(coalesce(finite, lit(false))), code(Invalid.PREDICTION_NOT_FINITE)});
    if (!model.task().isClassification()) {
      checks.add(
          new Column[] {
            label.isNotNull().and(not(label.between(-Double.MAX_VALUE, Double.MAX_VALUE))),
            code(Invalid.LABEL_NOT_FINITE)
          });
    } else {
      int k = model.numClasses();
      Column scores = col(SCORES);
      checks.add(new Column[] {scores.isNull(), code(Invalid.SCORES_MISSING)});
      checks.add(new Column[] {size(scores).notEqual(k), code(Invalid.SCORES_WRONG_LENGTH)});
      // Checked after the length, so element i exists. Unrolled over the k classes rather than
      // exists()/aggregate(): higher-order functions are interpreted row by row, element access
      // is compiled into the scan's generated code (several times faster per row).
      Column outOfRange;
      Column sum;
      if (k <= UNROLLED_CLASSES) {
        outOfRange = lit(false);
        sum = lit(0.0);
        for (int i = 0; i < k; i++) {
          Column x = scores.getItem(i);
          outOfRange = outOfRange.or(x.isNull().or(isnan(x)).or(x.lt(0)).or(x.gt(1)));
          sum = sum.plus(x);
        }
      } else {
        outOfRange = exists(scores, x -> x.isNull().or(isnan(x)).or(x.lt(0)).or(x.gt(1)));
        sum = aggregate(scores, lit(0.0), (acc, x) -> acc.plus(x));
      }
      checks.add(new Column[] {outOfRange, code(Invalid.SCORES_OUT_OF_RANGE)});
      checks.add(
          new Column[] {
            abs(sum.minus(1)).gt(settings.scoreSumTolerance()),
            code(Invalid.SCORES_NOT_SUMMING_TO_1)
          });
      checks.add(
          new Column[] {
            pred.notEqual(floor(pred)).or(pred.lt(0)).or(pred.gt(k - 1)),
            code(Invalid.PREDICTION_NOT_A_CLASS)
          });
      checks.add(
          new Column[] {
            label
                .isNotNull()
                .and(
                    isnan(label)
                        .or(label.notEqual(floor(label)))
                        .or(label.lt(0))
                        .or(label.gt(k - 1))),
            code(Invalid.LABEL_NOT_A_CLASS)
          });
    }
    Column reason = lit(null).cast("string");
    for (int i = checks.size() - 1; i >= 0; i--) {
      reason = when(coalesce(checks.get(i)[0], lit(false)), checks.get(i)[1]).otherwise(reason);
    }
    return reason;
  }

  private static Column code(Invalid reason) {
    return lit(reason.code());
  }

  /** Up to this many classes, per-class score checks are unrolled into plain expressions. */
  static final int UNROLLED_CLASSES = 64;

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
    boolean classification = model.task().isClassification();
    String numeric = classification ? "int" : "double";
    Dataset<Row> prepared =
        rows.withColumn(REASON_TMP, invalidReason())
            .withColumn(VALID, col(REASON_TMP).isNull())
            .withColumn(LAB, col(VALID).and(col(LABEL).isNotNull()))
            .withColumn(Y, col(LABEL).cast(numeric))
            .withColumn(P, col(PREDICTION).cast(numeric));

    // every partial's per-row value, 0 outside its scope
    MetricSet.RowColumns rc = new MetricSet.RowColumns(col(Y), col(P), col(SCORES));
    List<MetricSet.Partial> partials = new ArrayList<>();
    partials.add(new MetricSet.Partial(MetricSet.N_ALL, null, lit(1.0)));
    partials.add(new MetricSet.Partial(MetricSet.N_VALID, MetricSet.Scope.VALID, lit(1.0)));
    partials.add(
        new MetricSet.Partial(MetricSet.N_LABELED, MetricSet.Scope.LABELED, lit(1.0), true));
    for (Invalid reason : Invalid.values()) {
      partials.add(
          new MetricSet.Partial(
              INVALID_PREFIX + reason.code(),
              null,
              when(col(REASON_TMP).equalTo(reason.code()), 1.0).otherwise(0.0)));
    }
    partials.addAll(metrics.partials(rc));
    List<String> names = partials.stream().map(MetricSet.Partial::name).toList();
    Column[] values =
        partials.stream()
            .map(
                p ->
                    p.scope() == null
                        ? p.perRow().cast("double")
                        : when(
                                col(p.scope() == MetricSet.Scope.VALID ? VALID : LAB),
                                coalesce(p.perRow().cast("double"), lit(0.0)))
                            .otherwise(0.0))
            .toArray(Column[]::new);

    // per histogram: 2 * fine score bin + (positive ? 1 : 0), or -1 when the row is in none
    int histograms = metrics.histograms();
    int bins = settings.aucBins();
    Column[] codes = new Column[histograms];
    for (int h = 0; h < histograms; h++) {
      Column score = metrics.histogramScore(rc, lit(h));
      Column positive = coalesce(metrics.histogramPositive(rc, lit(h)), lit(false));
      Column bin = least(floor(score.multiply(bins)), lit(bins - 1)).cast("int");
      codes[h] =
          coalesce(when(col(LAB), bin.multiply(2).plus(when(positive, 1).otherwise(0))), lit(-1));
    }

    Column[] slices =
        model.sliceColumns().stream()
            .map(s -> sliceValue(s, keptSliceValues))
            .toArray(Column[]::new);
    Dataset<Row> input =
        prepared.select(
            col(MODEL_NAME),
            col(MODEL_VERSION),
            col(EVENT_TIME).cast("long"),
            xxhash64(col(REQUEST_ID)),
            slices.length == 0 ? lit(null).cast("array<string>") : array(slices),
            array(values),
            histograms == 0 ? lit(null).cast("array<int>") : array(codes));

    List<Granularity> gs = settings.granularities();
    long[] from = new long[gs.size()];
    for (int i = 0; i < gs.size(); i++) {
      Granularity g = gs.get(i);
      Instant f = scope.map(s -> s.from().get(g)).orElse(null);
      from[i] =
          f != null ? f.getEpochSecond() : scope.isPresent() ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    PartitionStates mapSide =
        new PartitionStates(
            new PartitionStates.Shape(
                partials.stream().map(MetricSet.Partial::bootstrap).toList(),
                settings.bootstrapReplicates(),
                histograms,
                bins,
                settings.bootstrapAucBins()),
            gs,
            from,
            model.sliceColumns(),
            settings.stateMemoryBytes());
    MetricRows output = new MetricRows(metrics, names, gs, settings.confidence(), runId);
    JavaRDD<InternalRow> scan = input.queryExecution().toRdd().toJavaRDD();
    int reducers =
        Math.max(
            1,
            Math.min(
                scan.getNumPartitions(),
                Integer.parseInt(rows.sparkSession().conf().get("spark.sql.shuffle.partitions"))));
    JavaRDD<Row> metricRows =
        scan.mapPartitionsWithIndex(mapSide, false)
            .mapToPair(t -> t)
            .repartitionAndSortWithinPartitions(
                new PartitionStates.ByGroup(reducers), new PartitionStates.InMergeOrder())
            .mapPartitions(it -> PartitionStates.merged(it, output));
    return rows.sparkSession().createDataFrame(metricRows, MetricRows.schema());
  }

  /** The eval_metrics schema this engine produces (for callers that write it). */
  public static StructType schema() {
    return Tables.EVAL_METRICS_SPEC.schema();
  }
}
