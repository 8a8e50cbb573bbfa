package io.lakeloop.common.schema;

import java.util.Set;

/**
 * Column names of every lakeloop table, declared once. Plain strings with no Spark types, so config
 * validation can use them before Spark starts; {@link Tables} builds the schemas.
 */
public final class Columns {
  private Columns() {}

  // prediction_log
  public static final String REQUEST_ID = "request_id";
  public static final String EVENT_TIME = "event_time";
  public static final String EVENT_DATE = "event_date";
  public static final String MODEL_NAME = "model_name";
  public static final String MODEL_VERSION = "model_version";
  public static final String PREDICTION = "prediction";
  public static final String SCORES = "scores";

  // labels
  public static final String LABEL = "label";
  public static final String LABEL_TIME = "label_time";
  public static final String LABEL_DATE = "label_date";

  // eval_metrics, drift_metrics, profiles
  public static final String GRANULARITY = "granularity";
  public static final String WINDOW_START = "window_start";
  public static final String WINDOW_END = "window_end";
  public static final String WINDOW_DATE = "window_date";
  public static final String SLICE_KEY = "slice_key";
  public static final String SLICE_VALUE = "slice_value";
  public static final String METRIC = "metric";
  public static final String VALUE = "value";
  public static final String CI_LOW = "ci_low";
  public static final String CI_HIGH = "ci_high";
  public static final String N = "n";
  public static final String RUN_ID = "run_id";
  public static final String COMPARISON = "comparison";
  public static final String COLUMN = "column";
  public static final String COLUMN_KIND = "column_kind";
  public static final String STATISTIC = "statistic";
  public static final String P_VALUE = "p_value";
  public static final String THRESHOLD = "threshold";
  public static final String DRIFTED = "drifted";
  public static final String PROFILE_KIND = "profile_kind";
  public static final String COUNT = "count";
  public static final String NULL_COUNT = "null_count";
  public static final String NAN_COUNT = "nan_count";
  public static final String SUM = "sum";
  public static final String SUM_SQUARES = "sum_squares";
  public static final String MIN = "min";
  public static final String MAX = "max";
  public static final String BIN_EDGES = "bin_edges";
  public static final String BIN_COUNTS = "bin_counts";
  public static final String CATEGORY_COUNTS = "category_counts";
  public static final String POS_INF_COUNT = "pos_inf_count";
  public static final String NEG_INF_COUNT = "neg_inf_count";
  public static final String BIN_SUMS = "bin_sums";
  public static final String PSI_EDGES = "psi_edges";
  public static final String DRIFTED_COLUMNS = "drifted_columns";
  public static final String STATISTICS = "statistics";
  public static final String DRIFTED_COLUMN_SHARE = "drifted_column_share";
  public static final String DATASET_DRIFTED = "dataset_drifted";
  public static final String BASELINE_ID = "baseline_id";
  public static final String ERROR_BOUND = "error_bound";
  public static final String SOURCE_TABLE = "source_table";
  public static final String SOURCE_VERSION = "source_version";

  // model_registry, model_aliases
  public static final String VERSION = "version";
  public static final String ARTIFACT_URI = "artifact_uri";
  public static final String SHA256 = "sha256";
  public static final String SIZE_BYTES = "size_bytes";
  public static final String FORMAT = "format";
  public static final String PARENT_VERSION = "parent_version";
  public static final String TRAINING_DATA = "training_data";
  public static final String METRICS = "metrics";
  public static final String COMPRESSION = "compression";
  public static final String STATUS = "status";
  public static final String CREATED_AT = "created_at";
  public static final String ALIAS = "alias";
  public static final String UPDATED_AT = "updated_at";
  // nested fields
  public static final String TABLE = "table";
  public static final String VERSION_FROM = "version_from";
  public static final String VERSION_TO = "version_to";
  public static final String SPARSITY = "sparsity";
  public static final String BITS = "bits";
  public static final String SIZE_RATIO = "size_ratio";

  // job_runs
  public static final String JOB = "job";
  public static final String LOGICAL_DATE = "logical_date";
  public static final String ATTEMPT = "attempt";
  public static final String STARTED_AT = "started_at";
  public static final String FINISHED_AT = "finished_at";
  public static final String INPUTS = "inputs";
  public static final String OUTPUTS = "outputs";
  public static final String SUMMARY = "summary";
  public static final String ERROR = "error";

  // quarantine
  public static final String REASON = "reason";
  public static final String RECORD = "record";
  public static final String SOURCE_PATH = "source_path";

  // gate_decisions
  public static final String CANDIDATE = "candidate";
  public static final String CANDIDATE_VERSION = "candidate_version";
  public static final String PARAMETERS = "parameters";
  public static final String CHAMPION = "champion";
  public static final String BLESSED = "blessed";
  public static final String WINNER = "winner";
  public static final String CHECK_KIND = "check_kind";
  public static final String REFERENCE = "reference";
  public static final String BOUND = "bound";
  public static final String PASSED = "passed";
  public static final String MARGIN = "margin";

  // alerts
  public static final String KIND = "kind";

  // tuning_trials
  public static final String METHOD = "method";
  public static final String TRIAL = "trial";
  public static final String RUNG = "rung";
  public static final String EPOCHS = "epochs";
  public static final String LEARNING_RATE = "learning_rate";
  public static final String HIDDEN = "hidden";
  public static final String L2 = "l2";
  public static final String DROPOUT = "dropout";
  public static final String BATCH_SIZE = "batch_size";
  public static final String SEED = "seed";
  public static final String VALIDATION_ACCURACY = "validation_accuracy";
  public static final String VALIDATION_LOSS = "validation_loss";
  public static final String BEST_EPOCH = "best_epoch";
  public static final String SECONDS = "seconds";
  public static final String PROMOTED = "promoted";
  public static final String TRAIN_ROWS = "train_rows";
  public static final String VALIDATION_ROWS = "validation_rows";

  // constraint_checks
  public static final String CONSTRAINT_NAME = "constraint_name";
  public static final String CONSTRAINT_KIND = "constraint_kind";
  public static final String OBSERVED = "observed";
  public static final String ROWS = "rows";
  public static final String RULE = "rule";

  // calibrations
  public static final String CLASS_INDEX = "class_index";
  public static final String REFERENCE_FROM = "reference_from";
  public static final String REFERENCE_UNTIL = "reference_until";
  public static final String PREDICTION_LOG_VERSION = "prediction_log_version";
  public static final String LABELS_VERSION = "labels_version";
  public static final String LABELED_ROWS = "labeled_rows";
  public static final String KNOTS_X = "knots_x";
  public static final String KNOTS_Y = "knots_y";

  private static final Set<String> RESERVED_LOG_COLUMNS =
      Set.of(
          REQUEST_ID,
          EVENT_TIME,
          EVENT_DATE,
          MODEL_NAME,
          MODEL_VERSION,
          PREDICTION,
          SCORES,
          LABEL,
          LABEL_TIME,
          LABEL_DATE);

  /** True for the columns lakeloop itself defines in prediction_log and labels. */
  public static boolean isReservedLogColumn(String column) {
    return RESERVED_LOG_COLUMNS.contains(column);
  }
}
