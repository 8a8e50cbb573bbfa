package io.lakeloop.monitoring.estimate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Predicate;
import io.lakeloop.monitoring.LabeledPredictions;
import io.lakeloop.monitoring.estimate.CalibrationMaps.Segment;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The calibrations a model's evaluation estimates with ({@link Tables#CALIBRATIONS_SPEC}): read
 * when the model has them for its reference period, otherwise fitted once the reference period's
 * labels are all in. Per model version there is one on all its rows and, per slice column, one for
 * each of its top-K values with enough labeled rows (see {@link CalibrationMaps}). A fit is two
 * aggregations over the reference period's valid labeled rows: the labeled rows per version and
 * slice value (the driver keeps the values with enough), then per kept segment, class and fine
 * score bin the rows, their score sum and their positives; the driver receives at most segments x
 * classes x bins rows and fits each class's {@link Isotonic} map on the bins (each bin a point at
 * its mean score, weighted by its rows). Binning the scores makes the fit differ from one on the
 * raw scores only inside a bin (1/bins wide).
 */
public final class Calibrations {
  private Calibrations() {}

  /** One segment's calibration and where it came from. */
  public record Fitted(
      Calibration calibration, long labeledRows, long predictionLog, Long labels) {}

  /**
   * What an evaluation estimates with: the calibrations, the rows to append to the calibrations
   * table (empty when they were read), and a sentence for the run's output.
   */
  public record Use(CalibrationMaps maps, List<Row> newRows, String text) {
    public static Use none(String why) {
      return new Use(CalibrationMaps.NONE, List.of(), why);
    }
  }

  /**
   * The calibrations for an evaluation of {@code model} whose labels are known up to {@code
   * labelsKnownUntil} (exclusive), none before the reference period [from, until) has all its
   * labels (its end plus the label delay is after {@code labelsKnownUntil}); then the stored ones
   * for it, or new ones fitted on it, for segments with at least {@code minLabeled} labeled rows.
   * {@code invalid} is the evaluator's reason a row cannot be scored (null when it can); {@code
   * slices} each slice column's value as the evaluator reads it (before folding). No write.
   */
  public static Use prepare(
      RunTables tables,
      ModelSpec model,
      LocalDate from,
      LocalDate until,
      LocalDate labelsKnownUntil,
      Column invalid,
      Map<String, Column> slices,
      int topK,
      int bins,
      long minLabeled) {
    String period = from + ".." + until.minusDays(1);
    // a run as of a date before the period's labels were all in estimates nothing, even when a
    // later run has stored the calibrations since: it writes what it would have written then
    LocalDate complete =
        LocalDate.ofInstant(
            until.atStartOfDay(java.time.ZoneOffset.UTC).toInstant().plus(model.labelDelay()),
            java.time.ZoneOffset.UTC);
    if (complete.isAfter(labelsKnownUntil)) {
      return Use.none(
          "no estimates yet: the calibration is fitted once the reference period "
              + period
              + " has all its labels (evaluate --date "
              + complete.minusDays(1)
              + " or later)");
    }
    Map<Segment, Fitted> stored = read(tables.lakehouse(), model.name(), from, until);
    if (!stored.isEmpty()) {
      return new Use(
          maps(stored), List.of(), describe("as stored in " + Tables.CALIBRATIONS, period, stored));
    }
    Dataset<Row> rows =
        LabeledPredictions.read(tables, model, from, until.minusDays(1))
            .where(invalid.isNull().and(col(LABEL).isNotNull()));
    long predictionLog = tables.inputs().get(Tables.PREDICTION_LOG);
    Long labels = tables.inputs().get(Tables.LABELS_TABLE);
    Map<Segment, Fitted> fitted =
        fit(rows, model.numClasses(), slices, topK, bins, minLabeled, predictionLog, labels);
    if (fitted.isEmpty()) {
      return Use.none(
          "no estimates: no model version has "
              + minLabeled
              + " labeled rows in the reference period "
              + period
              + " to calibrate on");
    }
    List<Row> out = new ArrayList<>();
    fitted.forEach(
        (segment, f) -> {
          for (int m = 0; m < f.calibration().maps().size(); m++) {
            Isotonic map = f.calibration().maps().get(m);
            Map<String, Object> v = new HashMap<>();
            v.put(MODEL_NAME, model.name());
            v.put(MODEL_VERSION, segment.version());
            v.put(SLICE_KEY, segment.column());
            v.put(SLICE_VALUE, segment.value());
            v.put(CLASS_INDEX, f.calibration().classOf(m));
            v.put(REFERENCE_FROM, Date.valueOf(from));
            v.put(REFERENCE_UNTIL, Date.valueOf(until));
            v.put(PREDICTION_LOG_VERSION, f.predictionLog());
            v.put(LABELS_VERSION, f.labels());
            v.put(LABELED_ROWS, f.labeledRows());
            v.put(KNOTS_X, boxed(map.x()));
            v.put(KNOTS_Y, boxed(map.y()));
            v.put(RUN_ID, tables.runId());
            out.add(Tables.CALIBRATIONS_SPEC.row(v));
          }
        });
    return new Use(
        maps(fitted),
        out,
        describe("fitted now (kept in " + Tables.CALIBRATIONS + ")", period, fitted));
  }

  /** Appends a run's new calibrations (replacing what an earlier attempt of it wrote). */
  public static long write(RunTables tables, String model, LocalDate from, Use use) {
    if (use.newRows().isEmpty()) {
      return -1;
    }
    tables.lakehouse().ensure(Tables.CALIBRATIONS_SPEC);
    Dataset<Row> rows =
        tables.spark().createDataFrame(use.newRows(), Tables.CALIBRATIONS_SPEC.schema());
    return tables.replaceWhere(
        rows,
        Tables.CALIBRATIONS_SPEC,
        Predicate.and(
            Predicate.eq(MODEL_NAME, model),
            Predicate.eq(REFERENCE_FROM, from),
            Predicate.eq(RUN_ID, tables.runId())));
  }

  /**
   * Fits every version with at least {@code minLabeled} rows on all its rows and, per slice column
   * of {@code slices} (name to value), on each of its {@code topK} most frequent values (ties by
   * value) with at least {@code minLabeled} rows; {@code rows}: valid, labeled prediction_log rows
   * (model_version, label, scores, the slice columns). Two aggregations; the driver gets counts and
   * bins.
   */
  public static Map<Segment, Fitted> fit(
      Dataset<Row> rows,
      int classes,
      Map<String, Column> slices,
      int topK,
      int bins,
      long minLabeled,
      long predictionLog,
      Long labels) {
    List<Column> segments = new ArrayList<>();
    segments.add(struct(lit(CalibrationMaps.ALL).as("k"), lit(CalibrationMaps.ALL).as("v")));
    slices.forEach((name, value) -> segments.add(struct(lit(name).as("k"), value.as("v"))));
    Dataset<Row> bySegment =
        rows.select(
                col(MODEL_VERSION),
                col(LABEL).cast("int").as("y"),
                col(SCORES),
                explode(array(segments.toArray(Column[]::new))).as("seg"))
            .select(col(MODEL_VERSION), col("y"), col(SCORES), col("seg.k"), col("seg.v"))
            .withColumn("key", concat_ws("\u0001", col(MODEL_VERSION), col("k"), col("v")));
    List<String> kept = kept(bySegment, slices, topK, minLabeled);
    if (kept.isEmpty()) {
      return Map.of();
    }
    List<Row> binned =
        bySegment
            .where(col("key").isin(kept.toArray()))
            .select(
                col(MODEL_VERSION),
                col("k"),
                col("v"),
                col("y"),
                posexplode(col(SCORES)).as(new String[] {"c", "s"}))
            .where(classes == 2 ? col("c").equalTo(1) : lit(true))
            .withColumn("bin", least(floor(col("s").multiply(bins)), lit(bins - 1)))
            .groupBy(col(MODEL_VERSION), col("k"), col("v"), col("c"), col("bin"))
            .agg(
                count(lit(1)).as("n"),
                sum(col("s")).as("s"),
                sum(when(col("y").equalTo(col("c")), 1).otherwise(0)).as("p"))
            .collectAsList();
    Map<Segment, Map<Integer, List<Row>>> bins0 = new HashMap<>();
    for (Row r : binned) {
      bins0
          .computeIfAbsent(
              new Segment(r.getString(0), r.getString(1), r.getString(2)), k -> new TreeMap<>())
          .computeIfAbsent(r.getInt(3), c -> new ArrayList<>())
          .add(r);
    }
    Map<Segment, Fitted> out = new LinkedHashMap<>();
    for (String key : kept) {
      String[] f = key.split("\u0001", -1);
      Map<Integer, List<Row>> byClass = bins0.get(new Segment(f[0], f[1], f[2]));
      if (byClass == null || byClass.size() != (classes == 2 ? 1 : classes)) {
        continue;
      }
      long n = byClass.values().iterator().next().stream().mapToLong(r -> r.getLong(5)).sum();
      List<Isotonic> maps = new ArrayList<>();
      byClass.forEach(
          (c, points) -> {
            points.sort(java.util.Comparator.comparingLong(r -> r.getLong(4)));
            double[] x = new double[points.size()];
            double[] y = new double[points.size()];
            double[] w = new double[points.size()];
            for (int i = 0; i < x.length; i++) {
              Row r = points.get(i);
              w[i] = r.getLong(5);
              x[i] = r.getDouble(6) / w[i];
              y[i] = r.getLong(7) / w[i];
            }
            maps.add(Isotonic.fit(x, y, w));
          });
      out.put(
          new Segment(f[0], f[1], f[2]),
          new Fitted(new Calibration(classes, maps), n, predictionLog, labels));
    }
    return out;
  }

  /**
   * The segments to fit, as keys (version, column and value joined by the character U+0001), in
   * order: per version (sorted) its all-rows segment, then per slice column its top-K values by
   * labeled rows (ties by value); only segments with {@code minLabeled} rows, and only versions
   * whose all rows have them.
   */
  private static List<String> kept(
      Dataset<Row> bySegment, Map<String, Column> slices, int topK, long minLabeled) {
    Map<String, Map<String, List<Row>>> byVersion = new TreeMap<>();
    for (Row r :
        bySegment
            .groupBy(col(MODEL_VERSION), col("k"), col("v"))
            .agg(count(lit(1)).as("n"))
            .where(col("n").geq(minLabeled))
            .orderBy(col(MODEL_VERSION), col("k"), col("n").desc(), col("v"))
            .collectAsList()) {
      byVersion
          .computeIfAbsent(r.getString(0), v -> new HashMap<>())
          .computeIfAbsent(r.getString(1), k -> new ArrayList<>())
          .add(r);
    }
    List<String> out = new ArrayList<>();
    byVersion.forEach(
        (version, byColumn) -> {
          if (!byColumn.containsKey(CalibrationMaps.ALL)) {
            return;
          }
          out.add(String.join("\u0001", version, CalibrationMaps.ALL, CalibrationMaps.ALL));
          for (String column : slices.keySet()) {
            List<Row> values = byColumn.getOrDefault(column, List.of());
            for (Row r : values.subList(0, Math.min(topK, values.size()))) {
              out.add(String.join("\u0001", version, column, r.getString(2)));
            }
          }
        });
    return out;
  }

  /** The stored calibrations of a model's reference period, by segment (empty when none). */
  static Map<Segment, Fitted> read(Lakehouse lh, String model, LocalDate from, LocalDate until) {
    if (lh.latestVersion(Tables.CALIBRATIONS).isEmpty()) {
      return Map.of();
    }
    List<Row> rows =
        lh.read(Tables.CALIBRATIONS)
            .data()
            .where(
                col(MODEL_NAME)
                    .equalTo(model)
                    .and(col(REFERENCE_FROM).equalTo(lit(Date.valueOf(from))))
                    .and(col(REFERENCE_UNTIL).equalTo(lit(Date.valueOf(until)))))
            .orderBy(MODEL_VERSION, SLICE_KEY, SLICE_VALUE, CLASS_INDEX)
            .collectAsList();
    Map<Segment, List<Row>> bySegment = new LinkedHashMap<>();
    rows.forEach(
        r ->
            bySegment
                .computeIfAbsent(
                    new Segment(r.getAs(MODEL_VERSION), r.getAs(SLICE_KEY), r.getAs(SLICE_VALUE)),
                    v -> new ArrayList<>())
                .add(r));
    Map<Segment, Fitted> out = new LinkedHashMap<>();
    bySegment.forEach(
        (segment, maps) -> {
          List<Isotonic> isotonic = new ArrayList<>();
          for (Row r : maps) {
            isotonic.add(
                new Isotonic(
                    unboxed(r.getList(r.fieldIndex(KNOTS_X))),
                    unboxed(r.getList(r.fieldIndex(KNOTS_Y)))));
          }
          Row first = maps.get(0);
          int classes = maps.size() == 1 ? 2 : maps.size();
          out.put(
              segment,
              new Fitted(
                  new Calibration(classes, isotonic),
                  first.getAs(LABELED_ROWS),
                  first.getAs(PREDICTION_LOG_VERSION),
                  first.getAs(LABELS_VERSION)));
        });
    return out;
  }

  private static CalibrationMaps maps(Map<Segment, Fitted> fitted) {
    Map<Segment, Calibration> out = new HashMap<>();
    fitted.forEach((segment, f) -> out.put(segment, f.calibration()));
    return new CalibrationMaps(out);
  }

  private static String describe(String how, String period, Map<Segment, Fitted> fitted) {
    List<String> parts = new ArrayList<>();
    Map<String, Map<String, Integer>> values = new TreeMap<>();
    fitted.forEach(
        (s, f) -> {
          if (!s.isAll()) {
            values
                .computeIfAbsent(s.version(), v -> new LinkedHashMap<>())
                .merge(s.column(), 1, Integer::sum);
          }
        });
    fitted.forEach(
        (s, f) -> {
          if (s.isAll()) {
            List<String> own = new ArrayList<>();
            values
                .getOrDefault(s.version(), Map.of())
                .forEach((column, n) -> own.add(n + " " + column));
            parts.add(
                String.format(
                    "v%s (%,d labeled rows; prediction_log@v%d, labels@v%s%s)",
                    s.version(),
                    f.labeledRows(),
                    f.predictionLog(),
                    f.labels(),
                    own.isEmpty() ? "" : "; own calibrations for " + String.join(", ", own)));
          }
        });
    return String.format(
        "estimated metrics (CBPE): scores calibrated on the reference period %s, per version and"
            + " per slice value with enough labeled rows, %s: %s; versions without labeled rows in"
            + " that period are not estimated",
        period, how, String.join(", ", parts));
  }

  private static List<Double> boxed(double[] v) {
    List<Double> out = new ArrayList<>(v.length);
    for (double d : v) {
      out.add(d);
    }
    return out;
  }

  private static double[] unboxed(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
