package io.lakeloop.monitoring.ingest;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Tables;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Validates raw prediction-log and label rows against a model spec, as pure transforms: the result
 * has the target table's columns plus {@link #REASON_COL} (empty for a good row, else every defect
 * found, separated by "; ") and {@link #RECORD_COL} (the raw row as JSON, kept for the quarantine).
 * Inputs may be typed (Parquet, generated data) or all-string (CSV, JSON); values that do not parse
 * are defects, never silent nulls. Cost: one shuffle (a window over request_id to find duplicates)
 * plus one join against the existing table when one is given.
 */
public final class Validation {
  public static final String REASON_COL = "_reason";
  public static final String RECORD_COL = "_record";
  public static final String CORRUPT_COL = "_corrupt_record";

  /**
   * Labels only: how an accepted label relates to the request's stored latest label — {@link
   * #CORRECTION} (later, another value), {@link #OLDER} (earlier: kept, not used), "repeat" (later,
   * the same value) — or null for a request's first label.
   */
  public static final String LABEL_CHANGE_COL = "_label_change";

  /** Labels only: the event date of the labeled prediction (null when it is unknown). */
  public static final String EVENT_DATE_COL = "_event_date";

  public static final String CORRECTION = "correction";
  public static final String OLDER = "older";

  private Validation() {}

  /**
   * Classifies prediction rows. {@code existingIds} (request ids already in the table, or null)
   * turns re-sent rows into defects instead of duplicates.
   */
  public static Dataset<Row> predictions(
      Dataset<Row> raw, ModelSpec spec, double sumTolerance, Dataset<Row> existingIds) {
    StructType target = Tables.predictionLog(spec).schema();
    List<String> required = new ArrayList<>(Arrays.asList(target.fieldNames()));
    required.remove(EVENT_DATE);
    checkColumns(raw, required, "prediction_log");
    Set<String> mustHave =
        new TreeSet<>(List.of(REQUEST_ID, EVENT_TIME, MODEL_NAME, MODEL_VERSION, PREDICTION));
    if (spec.task().isClassification()) {
      mustHave.add(SCORES);
    }
    Dataset<Row> d = conformAll(raw, target, required, mustHave);
    List<Column> checks = new ArrayList<>();
    checks.add(
        when(
            col(MODEL_NAME).isNotNull().and(col(MODEL_NAME).notEqual(spec.name())),
            concat(lit("model_name '"), col(MODEL_NAME), lit("' is not " + spec.name()))));
    Column p = col(PREDICTION);
    checks.add(notFinite(p, PREDICTION));
    if (spec.task().isClassification()) {
      int k = spec.numClasses();
      checks.add(notAClassIndex(p, PREDICTION, k));
      Column s = col(SCORES);
      checks.add(
          when(
              size(s).notEqual(k).and(s.isNotNull()),
              concat(lit("scores have "), size(s).cast("string"), lit(" values, expected " + k))));
      checks.add(
          when(
              exists(s, x -> x.isNull().or(isnan(x)).or(x.lt(0)).or(x.gt(1))),
              lit("scores contain a value that is null, NaN or outside [0, 1]")));
      Column sum = aggregate(s, lit(0.0), (acc, x) -> acc.plus(x));
      checks.add(
          when(
              s.isNotNull().and(not(isnan(sum))).and(abs(sum.minus(1.0)).gt(sumTolerance)),
              concat(lit("scores sum to "), format_number(sum, 4), lit(", not 1"))));
    }
    d = addChecks(d, checks);
    d = markDuplicates(d, col(EVENT_TIME), "request_id appears more than once in this input");
    if (existingIds != null) {
      d = markExisting(d, existingIds, "request_id is already in prediction_log");
    }
    if (!spec.task().isClassification()) {
      d = d.withColumn(SCORES, lit(null).cast(target.apply(SCORES).dataType()));
    }
    return d.withColumn(EVENT_DATE, to_date(col(EVENT_TIME)));
  }

  /**
   * Classifies label rows. {@code knownLogs} are the request ids and event dates in prediction_log
   * (labels for others are defects); {@code storedLabels} the labels table's rows (or null).
   *
   * <p>A label for a request that already has one: with {@code acceptCorrections}, a later
   * label_time is accepted (a correction when its value differs; the latest label by label_time is
   * the one evaluated), an earlier one is accepted too but never used, and one at the stored latest
   * label_time is refused (an identical repeat, or two values at one time that cannot be ordered);
   * without, every such label is refused. {@link #LABEL_CHANGE_COL} and {@link #EVENT_DATE_COL}
   * describe the accepted rows.
   */
  public static Dataset<Row> labels(
      Dataset<Row> raw,
      ModelSpec spec,
      Dataset<Row> knownLogs,
      Dataset<Row> storedLabels,
      boolean acceptCorrections) {
    StructType target = Tables.LABELS.schema();
    List<String> required = List.of(REQUEST_ID, LABEL, LABEL_TIME);
    checkColumns(raw, required, "labels");
    Dataset<Row> d = conformAll(raw, target, required, Set.copyOf(required));
    Column l = col(LABEL);
    List<Column> checks = new ArrayList<>();
    checks.add(notFinite(l, LABEL));
    if (spec.task().isClassification()) {
      int k = spec.numClasses();
      checks.add(notAClassIndex(l, LABEL, k));
    }
    d = addChecks(d, checks);
    d = markDuplicates(d, col(LABEL_TIME), "request_id is labeled more than once in this input");
    d = againstStored(d, storedLabels, acceptCorrections);
    Dataset<Row> known =
        knownLogs
            .select(col(REQUEST_ID).as("_known_id"), col(EVENT_DATE).as(EVENT_DATE_COL))
            .dropDuplicates("_known_id")
            .withColumn("_known", lit(true));
    d =
        d.join(known, d.col(REQUEST_ID).equalTo(known.col("_known_id")), "left")
            .withColumn(
                REASON_COL,
                when(
                        col(REASON_COL).equalTo("").and(col("_known").isNull()),
                        lit(
                            "no prediction with this request_id in prediction_log (ingest predictions first)"))
                    .otherwise(col(REASON_COL)))
            .drop("_known_id", "_known");
    return d.withColumn(LABEL_DATE, to_date(col(LABEL_TIME)));
  }

  /** Labels checked against each request's stored latest label (see {@link #labels}). */
  private static Dataset<Row> againstStored(
      Dataset<Row> d, Dataset<Row> storedLabels, boolean acceptCorrections) {
    if (storedLabels == null) {
      return d.withColumn(LABEL_CHANGE_COL, lit(null).cast("string"));
    }
    Dataset<Row> latest =
        storedLabels
            .groupBy(col(REQUEST_ID).as("_stored_id"))
            .agg(
                max_by(struct(col(LABEL_TIME), col(LABEL)), struct(col(LABEL_TIME), col(LABEL)))
                    .as("_s"));
    Column stored = col("_s").isNotNull();
    Column time = col("_s." + LABEL_TIME);
    Column value = col("_s." + LABEL);
    Column ok = col(REASON_COL).equalTo("");
    Column refusal =
        acceptCorrections
            ? when(
                    ok.and(stored)
                        .and(col(LABEL_TIME).equalTo(time))
                        .and(col(LABEL).equalTo(value)),
                    lit(
                        "request_id already has this label at this label_time (an identical repeat)"))
                .when(
                    ok.and(stored).and(col(LABEL_TIME).equalTo(time)),
                    lit(
                        "request_id already has another label at this label_time; give the"
                            + " correction a later label_time"))
            : when(
                ok.and(stored),
                lit(
                    "request_id already has a label (lakeloop.ingest.label-corrections = reject;"
                        + " set it to accept to take a later label as a correction)"));
    return d.join(latest, d.col(REQUEST_ID).equalTo(latest.col("_stored_id")), "left")
        .withColumn(REASON_COL, coalesce(refusal, col(REASON_COL)))
        .withColumn(
            LABEL_CHANGE_COL,
            when(not(stored), lit(null).cast("string"))
                .when(col(LABEL_TIME).lt(time), lit(OLDER))
                .when(col(LABEL).notEqual(value), lit(CORRECTION))
                .otherwise(lit("repeat")))
        .drop("_stored_id", "_s");
  }

  /**
   * Converts every column to its target type in one select, collecting a defect for each value that
   * is missing (when required) or does not parse.
   */
  private static Dataset<Row> conformAll(
      Dataset<Row> raw, StructType target, List<String> columns, Set<String> mustHave) {
    List<Column> typed = new ArrayList<>();
    List<Column> reasons = new ArrayList<>();
    for (String name : columns) {
      DataType type = target.apply(name).dataType();
      Column value = conform(raw, name, type);
      typed.add(value.as(name));
      if (mustHave.contains(name)) {
        reasons.add(when(rawIsNull(raw, name), lit(name + " is missing")));
      }
      reasons.add(parseFailure(raw, name, value, type));
    }
    return raw.select(withMeta(raw, typed, reasons));
  }

  private static Column notFinite(Column c, String name) {
    return when(
        isnan(c).or(abs(c).equalTo(Double.POSITIVE_INFINITY)),
        lit(name + " is not a finite number"));
  }

  private static Column notAClassIndex(Column c, String name, int k) {
    return when(
        c.isNotNull().and(not(isnan(c))).and(c.notEqual(floor(c)).or(c.lt(0)).or(c.geq(k))),
        concat(lit(name + " "), c.cast("string"), lit(" is not a class index in [0, " + k + ")")));
  }

  /**
   * The source's columns (see {@link SourceReader#columns}) that {@code target} does not have:
   * ingest leaves them out.
   */
  public static List<String> extraColumns(List<String> source, StructType target) {
    Set<String> known = new TreeSet<>(Arrays.asList(target.fieldNames()));
    known.add(CORRUPT_COL);
    return source.stream().filter(c -> !known.contains(c)).toList();
  }

  /** Fails, naming the columns, if the source lacks any expected column. */
  static void checkColumns(Dataset<Row> raw, List<String> expected, String table) {
    Set<String> present = new TreeSet<>(Arrays.asList(raw.columns()));
    List<String> missing = expected.stream().filter(c -> !present.contains(c)).toList();
    if (!missing.isEmpty()) {
      present.remove(CORRUPT_COL);
      throw new LakeloopException(
          "the source for "
              + table
              + " lacks column(s) "
              + missing
              + " (it has "
              + present
              + "); add them, rename the source's columns, or check --model and the model spec");
    }
  }

  /** The reason of a line the reader could not parse: its columns are null for that reason only. */
  static final String MALFORMED = "malformed line (not parseable as the source format)";

  private static Column[] withMeta(Dataset<Row> raw, List<Column> typed, List<Column> reasons) {
    List<Column> all = new ArrayList<>(typed);
    Column reason = concat_ws("; ", reasons.toArray(new Column[0]));
    if (Arrays.asList(raw.columns()).contains(CORRUPT_COL)) {
      // A malformed line's columns are all null because it did not parse, not because the line
      // lacks them: say only that it is malformed.
      reason = when(col(CORRUPT_COL).isNotNull(), lit(MALFORMED)).otherwise(reason);
    }
    all.add(reason.as(REASON_COL));
    Column record =
        Arrays.asList(raw.columns()).contains(CORRUPT_COL)
            ? coalesce(col(CORRUPT_COL), to_json(struct(rawColumns(raw))))
            : to_json(struct(rawColumns(raw)));
    all.add(record.as(RECORD_COL));
    return all.toArray(new Column[0]);
  }

  private static Column[] rawColumns(Dataset<Row> raw) {
    return Arrays.stream(raw.columns())
        .filter(c -> !c.equals(CORRUPT_COL))
        .map(c -> col(c))
        .toArray(Column[]::new);
  }

  private static Dataset<Row> addChecks(Dataset<Row> d, List<Column> checks) {
    List<Column> all = new ArrayList<>();
    all.add(when(col(REASON_COL).equalTo(""), lit(null)).otherwise(col(REASON_COL)));
    all.addAll(checks);
    return d.withColumn(REASON_COL, concat_ws("; ", all.toArray(new Column[0])));
  }

  /** Keeps the earliest valid row per request id; later ones become defects. */
  private static Dataset<Row> markDuplicates(Dataset<Row> d, Column time, String reason) {
    Column valid = col(REASON_COL).equalTo("");
    Dataset<Row> ranked =
        d.withColumn(
            "_rank",
            row_number()
                .over(
                    Window.partitionBy(col(REQUEST_ID))
                        .orderBy(when(valid, 0).otherwise(1), time, xxhash64(col(RECORD_COL)))));
    return ranked
        .withColumn(
            REASON_COL,
            when(valid.and(col(REQUEST_ID).isNotNull()).and(col("_rank").gt(1)), lit(reason))
                .otherwise(col(REASON_COL)))
        .drop("_rank");
  }

  private static Dataset<Row> markExisting(
      Dataset<Row> d, Dataset<Row> existingIds, String reason) {
    Dataset<Row> ids =
        existingIds
            .select(col(REQUEST_ID).as("_existing_id"))
            .distinct()
            .withColumn("_exists", lit(true));
    return d.join(ids, d.col(REQUEST_ID).equalTo(ids.col("_existing_id")), "left")
        .withColumn(
            REASON_COL,
            when(col(REASON_COL).equalTo("").and(col("_exists").isNotNull()), lit(reason))
                .otherwise(col(REASON_COL)))
        .drop("_existing_id", "_exists");
  }

  /** The source column converted to the target type (strings are parsed; nulls stay null). */
  static Column conform(Dataset<Row> raw, String name, DataType target) {
    DataType source = raw.schema().apply(name).dataType();
    Column c = col(name);
    if (source.equals(target)) {
      return c;
    }
    if (source.equals(DataTypes.StringType)) {
      Column s = when(trim(c).equalTo(""), lit(null).cast("string")).otherwise(trim(c));
      if (target instanceof ArrayType) {
        return from_json(s, target);
      }
      return s.cast(target);
    }
    if (target instanceof ArrayType && source instanceof ArrayType) {
      return c.cast(target);
    }
    if (target.equals(DataTypes.StringType)) {
      return c.cast("string");
    }
    return c.cast(target);
  }

  private static Column parseFailure(
      Dataset<Row> raw, String name, Column converted, DataType target) {
    Column original = col(name);
    Column rawText =
        raw.schema().apply(name).dataType().equals(DataTypes.StringType)
            ? original
            : original.cast("string");
    return when(
        rawText.isNotNull().and(trim(rawText).notEqual("")).and(converted.isNull()),
        concat(lit(name + ": '"), substring(rawText, 1, 60), lit("' is not " + describe(target))));
  }

  private static Column rawIsNull(Dataset<Row> raw, String name) {
    return raw.schema().apply(name).dataType().equals(DataTypes.StringType)
        ? col(name).isNull().or(trim(col(name)).equalTo(""))
        : col(name).isNull();
  }

  private static String describe(DataType t) {
    if (t.equals(DataTypes.DoubleType)) {
      return "a number";
    }
    if (t.equals(DataTypes.TimestampType)) {
      return "a timestamp (ISO 8601, e.g. 2026-01-31T12:00:00Z)";
    }
    if (t instanceof ArrayType) {
      return "an array of numbers (e.g. [0.2, 0.8])";
    }
    return "a " + t.simpleString();
  }
}
