package io.lakeloop.common.table;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.types.DataTypes.*;

import io.lakeloop.common.config.ModelSpec;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Every lakehouse table of DESIGN.md, declared once: schema, partitioning and evolution rule. Jobs
 * refer to these specs and to {@link Columns}, never to string literals of their own.
 */
public final class Tables {
  private Tables() {}

  public static final String PREDICTION_LOG = "prediction_log";
  public static final String LABELS_TABLE = "labels";
  public static final String EVAL_METRICS = "eval_metrics";
  public static final String PROFILES = "profiles";
  public static final String DRIFT_METRICS = "drift_metrics";
  public static final String MODEL_REGISTRY = "model_registry";
  public static final String MODEL_ALIASES = "model_aliases";
  public static final String JOB_RUNS = "job_runs";
  public static final String QUARANTINE = "quarantine";
  public static final String ALERTS = "alerts";
  public static final String GATE_DECISIONS = "gate_decisions";
  public static final String CALIBRATIONS = "calibrations";
  public static final String CONSTRAINT_CHECKS = "constraint_checks";
  public static final String TUNING_TRIALS = "tuning_trials";

  private static StructField required(String name, DataType type) {
    return new StructField(name, type, false, Metadata.empty());
  }

  private static StructField optional(String name, DataType type) {
    return new StructField(name, type, true, Metadata.empty());
  }

  /** Columns every prediction log has, whatever the model. */
  private static final List<StructField> LOG_CORE =
      List.of(
          required(REQUEST_ID, StringType),
          required(EVENT_TIME, TimestampType),
          required(EVENT_DATE, DateType),
          required(MODEL_NAME, StringType),
          required(MODEL_VERSION, StringType),
          required(PREDICTION, DoubleType),
          optional(SCORES, createArrayType(DoubleType)));

  /**
   * prediction_log for one model: the core columns, then numeric features (DOUBLE), then
   * categorical features and slice columns (STRING). Several models may share the table; each adds
   * its own nullable columns.
   */
  public static TableSpec predictionLog(ModelSpec model) {
    StructType schema = new StructType(LOG_CORE.toArray(new StructField[0]));
    for (String f : model.numericFeatures()) {
      schema = schema.add(optional(f, DoubleType));
    }
    for (String f : model.stringColumns()) {
      schema = schema.add(optional(f, StringType));
    }
    return new TableSpec(PREDICTION_LOG, schema, List.of(EVENT_DATE), true);
  }

  public static final TableSpec LABELS =
      new TableSpec(
          LABELS_TABLE,
          new StructType(
              new StructField[] {
                required(REQUEST_ID, StringType),
                required(LABEL, DoubleType),
                required(LABEL_TIME, TimestampType),
                required(LABEL_DATE, DateType)
              }),
          List.of(LABEL_DATE),
          false);

  public static final TableSpec EVAL_METRICS_SPEC =
      new TableSpec(
          EVAL_METRICS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                required(MODEL_VERSION, StringType),
                required(GRANULARITY, StringType),
                required(WINDOW_START, TimestampType),
                required(WINDOW_END, TimestampType),
                required(SLICE_KEY, StringType),
                required(SLICE_VALUE, StringType),
                required(METRIC, StringType),
                optional(VALUE, DoubleType),
                optional(CI_LOW, DoubleType),
                optional(CI_HIGH, DoubleType),
                required(N, LongType),
                required(RUN_ID, StringType),
                required(WINDOW_DATE, DateType)
              }),
          List.of(WINDOW_DATE),
          false);

  public static final TableSpec PROFILES_SPEC =
      new TableSpec(
          PROFILES,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                optional(MODEL_VERSION, StringType),
                required(PROFILE_KIND, StringType),
                optional(GRANULARITY, StringType),
                optional(WINDOW_START, TimestampType),
                optional(WINDOW_END, TimestampType),
                required(COLUMN, StringType),
                required(COLUMN_KIND, StringType),
                required(COUNT, LongType),
                required(NULL_COUNT, LongType),
                required(NAN_COUNT, LongType),
                optional(SUM, DoubleType),
                optional(SUM_SQUARES, DoubleType),
                optional(MIN, DoubleType),
                optional(MAX, DoubleType),
                optional(POS_INF_COUNT, LongType),
                optional(NEG_INF_COUNT, LongType),
                optional(BIN_EDGES, createArrayType(DoubleType)),
                optional(BIN_COUNTS, createArrayType(LongType)),
                optional(BIN_SUMS, createArrayType(DoubleType)),
                optional(PSI_EDGES, createArrayType(DoubleType)),
                optional(CATEGORY_COUNTS, createMapType(StringType, LongType)),
                optional(SOURCE_TABLE, StringType),
                optional(SOURCE_VERSION, LongType),
                required(BASELINE_ID, StringType),
                required(RUN_ID, StringType),
                required(WINDOW_DATE, DateType),
                optional(SLICE_KEY, StringType),
                optional(SLICE_VALUE, StringType)
              }),
          List.of(WINDOW_DATE),
          true);

  public static final TableSpec DRIFT_METRICS_SPEC =
      new TableSpec(
          DRIFT_METRICS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                optional(MODEL_VERSION, StringType),
                required(GRANULARITY, StringType),
                required(WINDOW_START, TimestampType),
                required(WINDOW_END, TimestampType),
                required(COMPARISON, StringType),
                required(COLUMN, StringType),
                required(COLUMN_KIND, StringType),
                required(STATISTIC, StringType),
                optional(VALUE, DoubleType),
                optional(P_VALUE, DoubleType),
                optional(THRESHOLD, DoubleType),
                optional(DRIFTED, BooleanType),
                optional(ERROR_BOUND, DoubleType),
                required(RUN_ID, StringType),
                required(WINDOW_DATE, DateType),
                optional(SLICE_KEY, StringType),
                optional(SLICE_VALUE, StringType)
              }),
          List.of(WINDOW_DATE),
          true);

  /**
   * One deciding statistic of a drifted column, as an alert lists it (all nullable: Delta refuses
   * NOT NULL inside arrays).
   */
  private static final StructType ALERT_STATISTIC =
      new StructType(
          new StructField[] {
            optional(COLUMN, StringType),
            optional(COLUMN_KIND, StringType),
            optional(STATISTIC, StringType),
            optional(VALUE, DoubleType),
            optional(P_VALUE, DoubleType),
            optional(THRESHOLD, DoubleType)
          });

  /** The kind of the alerts written before quality alerts existed (all of them drift). */
  public static final String DRIFT_ALERT = "drift";

  /** The kind of the alerts of failed data-quality constraints (written by drift). */
  public static final String DATA_QUALITY_ALERT = "data_quality";

  /**
   * One row per data-quality constraint, model version and window that drift profiled: what the
   * window showed, the constraint's bound, the window's rows and whether it passed. Rewritten for
   * the run's windows (replaceWhere), so a rerun changes nothing.
   */
  public static final TableSpec CONSTRAINT_CHECKS_SPEC =
      new TableSpec(
          CONSTRAINT_CHECKS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                optional(MODEL_VERSION, StringType),
                required(GRANULARITY, StringType),
                required(WINDOW_START, TimestampType),
                required(WINDOW_END, TimestampType),
                required(CONSTRAINT_NAME, StringType),
                required(COLUMN, StringType),
                required(CONSTRAINT_KIND, StringType),
                optional(OBSERVED, DoubleType),
                required(BOUND, DoubleType),
                required(ROWS, LongType),
                required(PASSED, BooleanType),
                required(RUN_ID, StringType),
                required(WINDOW_DATE, DateType)
              }),
          List.of(WINDOW_DATE),
          false);

  /**
   * One row per alert, of every kind ({@code kind}): {@code drift} — a model version, window and
   * comparison in which a drift run found drift (the drifted columns, the statistics that decided
   * it, the share of drifted columns); {@code quality} — a window and slice whose metric broke a
   * quality rule (the rule, metric, value, interval, reference, bound, labeled rows and the reason
   * in words). The columns of the other kind are null. Each job rewrites its own kind for the run's
   * windows (replaceWhere), so a rerun changes nothing. Tables written before {@code kind} existed
   * are migrated on first start: the quality columns are added, the drift columns may be null, and
   * their rows get {@code kind = 'drift'}.
   */
  public static final TableSpec ALERTS_SPEC =
      new TableSpec(
          ALERTS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                optional(MODEL_VERSION, StringType),
                required(GRANULARITY, StringType),
                required(WINDOW_START, TimestampType),
                required(WINDOW_END, TimestampType),
                optional(COMPARISON, StringType),
                optional(DRIFTED_COLUMNS, createArrayType(StringType)),
                optional(STATISTICS, createArrayType(ALERT_STATISTIC)),
                optional(DRIFTED_COLUMN_SHARE, DoubleType),
                optional(DATASET_DRIFTED, BooleanType),
                required(RUN_ID, StringType),
                required(WINDOW_DATE, DateType),
                optional(KIND, StringType),
                optional(RULE, StringType),
                optional(METRIC, StringType),
                optional(SLICE_KEY, StringType),
                optional(SLICE_VALUE, StringType),
                optional(VALUE, DoubleType),
                optional(CI_LOW, DoubleType),
                optional(CI_HIGH, DoubleType),
                optional(REFERENCE, DoubleType),
                optional(BOUND, DoubleType),
                optional(N, LongType),
                optional(REASON, StringType)
              }),
          List.of(WINDOW_DATE),
          true,
          List.of(new TableSpec.Backfill(KIND, DRIFT_ALERT)));

  private static final StructType TRAINING_DATA_ENTRY =
      new StructType(
          new StructField[] {
            optional(TABLE, StringType),
            optional(VERSION_FROM, LongType),
            optional(VERSION_TO, LongType)
          });

  private static final StructType COMPRESSION_STRUCT =
      new StructType(
          new StructField[] {
            optional(SPARSITY, DoubleType),
            optional(BITS, IntegerType),
            optional(SIZE_RATIO, DoubleType)
          });

  public static final TableSpec MODEL_REGISTRY_SPEC =
      new TableSpec(
          MODEL_REGISTRY,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                required(VERSION, IntegerType),
                required(ARTIFACT_URI, StringType),
                required(SHA256, StringType),
                required(SIZE_BYTES, LongType),
                required(FORMAT, StringType),
                optional(PARENT_VERSION, IntegerType),
                optional(TRAINING_DATA, createArrayType(TRAINING_DATA_ENTRY)),
                optional(METRICS, createMapType(StringType, DoubleType)),
                optional(COMPRESSION, COMPRESSION_STRUCT),
                required(STATUS, StringType),
                required(CREATED_AT, TimestampType),
                required(RUN_ID, StringType)
              }),
          List.of(),
          false);

  public static final TableSpec MODEL_ALIASES_SPEC =
      new TableSpec(
          MODEL_ALIASES,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                required(ALIAS, StringType),
                required(VERSION, IntegerType),
                required(UPDATED_AT, TimestampType),
                required(RUN_ID, StringType)
              }),
          List.of(),
          false);

  public static final TableSpec JOB_RUNS_SPEC =
      new TableSpec(
          JOB_RUNS,
          new StructType(
              new StructField[] {
                required(JOB, StringType),
                required(RUN_ID, StringType),
                optional(LOGICAL_DATE, DateType),
                optional(MODEL_NAME, StringType),
                required(STATUS, StringType),
                required(ATTEMPT, IntegerType),
                required(STARTED_AT, TimestampType),
                optional(FINISHED_AT, TimestampType),
                optional(INPUTS, createMapType(StringType, LongType)),
                optional(OUTPUTS, createMapType(StringType, LongType)),
                optional(SUMMARY, createMapType(StringType, StringType)),
                optional(ERROR, StringType)
              }),
          List.of(),
          false);

  public static final TableSpec QUARANTINE_SPEC =
      new TableSpec(
          QUARANTINE,
          new StructType(
              new StructField[] {
                required(SOURCE_TABLE, StringType),
                optional(SOURCE_PATH, StringType),
                optional(MODEL_NAME, StringType),
                required(RUN_ID, StringType),
                optional(LOGICAL_DATE, DateType),
                required(REASON, StringType),
                required(RECORD, StringType)
              }),
          List.of(SOURCE_TABLE),
          false);

  /**
   * One row per check the quality gate made on a candidate (a candidate without checks gets one row
   * with null check columns): which model, what it was compared with, the limit, the margin, the
   * reason in words, and whether the candidate was blessed and won.
   */
  public static final TableSpec GATE_DECISIONS_SPEC =
      new TableSpec(
          GATE_DECISIONS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                required(RUN_ID, StringType),
                optional(LOGICAL_DATE, DateType),
                required(CANDIDATE, StringType),
                optional(CANDIDATE_VERSION, IntegerType),
                required(PARAMETERS, LongType),
                optional(CHAMPION, StringType),
                required(BLESSED, BooleanType),
                required(WINNER, BooleanType),
                optional(CHECK_KIND, StringType),
                optional(METRIC, StringType),
                optional(VALUE, DoubleType),
                optional(REFERENCE, DoubleType),
                optional(BOUND, DoubleType),
                optional(PASSED, BooleanType),
                optional(MARGIN, DoubleType),
                optional(REASON, StringType)
              }),
          List.of(),
          false);

  /**
   * The score calibration behind evaluate's estimated metrics: per model version and class (binary:
   * the positive class only) the knots of an increasing piecewise-linear map from the model's score
   * to the probability that the class is the label, fitted once on the reference period's labeled
   * rows at the pinned versions of prediction_log and labels it records. Later runs reuse it, so
   * estimates stay comparable from day to day and reproducible.
   */
  public static final TableSpec CALIBRATIONS_SPEC =
      new TableSpec(
          CALIBRATIONS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                required(MODEL_VERSION, StringType),
                required(SLICE_KEY, StringType),
                required(SLICE_VALUE, StringType),
                required(CLASS_INDEX, IntegerType),
                required(REFERENCE_FROM, DateType),
                required(REFERENCE_UNTIL, DateType),
                required(PREDICTION_LOG_VERSION, LongType),
                optional(LABELS_VERSION, LongType),
                required(LABELED_ROWS, LongType),
                required(KNOTS_X, createArrayType(DoubleType)),
                required(KNOTS_Y, createArrayType(DoubleType)),
                required(RUN_ID, StringType)
              }),
          List.of(),
          false);

  /**
   * One row per hyper-parameter trial and rung of a tune run: the configuration, the epochs budget,
   * the validation figures of its best epoch (null when it failed, with the error), whether it went
   * on to the next rung and whether it won the search. A run's rows are written in one commit and
   * replaced as a whole by a rerun of the run id.
   */
  public static final TableSpec TUNING_TRIALS_SPEC =
      new TableSpec(
          TUNING_TRIALS,
          new StructType(
              new StructField[] {
                required(MODEL_NAME, StringType),
                required(RUN_ID, StringType),
                required(LOGICAL_DATE, DateType),
                required(METHOD, StringType),
                required(TRIAL, IntegerType),
                required(RUNG, IntegerType),
                required(EPOCHS, IntegerType),
                required(LEARNING_RATE, DoubleType),
                required(HIDDEN, createArrayType(IntegerType, false)),
                required(L2, DoubleType),
                required(DROPOUT, DoubleType),
                required(BATCH_SIZE, IntegerType),
                required(SEED, LongType),
                required(STATUS, StringType),
                optional(VALIDATION_ACCURACY, DoubleType),
                optional(VALIDATION_LOSS, DoubleType),
                optional(BEST_EPOCH, IntegerType),
                required(SECONDS, DoubleType),
                optional(ERROR, StringType),
                required(PROMOTED, BooleanType),
                required(WINNER, BooleanType),
                required(TRAIN_ROWS, LongType),
                required(VALIDATION_ROWS, LongType),
                required(CREATED_AT, TimestampType)
              }),
          List.of(),
          false);

  /** Tables whose schema does not depend on a model spec. */
  public static final List<TableSpec> FIXED =
      List.of(
          LABELS,
          EVAL_METRICS_SPEC,
          PROFILES_SPEC,
          DRIFT_METRICS_SPEC,
          CONSTRAINT_CHECKS_SPEC,
          ALERTS_SPEC,
          MODEL_REGISTRY_SPEC,
          MODEL_ALIASES_SPEC,
          GATE_DECISIONS_SPEC,
          CALIBRATIONS_SPEC,
          TUNING_TRIALS_SPEC,
          JOB_RUNS_SPEC,
          QUARANTINE_SPEC);
}
