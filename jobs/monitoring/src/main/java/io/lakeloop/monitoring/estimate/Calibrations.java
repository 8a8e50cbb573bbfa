package io.lakeloop.monitoring.estimate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Predicate;
import io.lakeloop.monitoring.LabeledPredictions;
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
 * labels are all in. A fit is one aggregation over the reference period's valid labeled rows: per
 * model version, class and fine score bin the rows, their score sum and their positives; the driver
 * receives at most versions x classes x bins rows and fits each class's {@link Isotonic} map on the
 * bins (each bin a point at its mean score, weighted by its rows). Binning the scores makes the fit
 * differ from one on the raw scores only inside a bin (1/bins wide).
 */
public final class Calibrations {
  private Calibrations() {}

  /** One model version's calibration and where it came from. */
  public record Fitted(
      Calibration calibration, long labeledRows, long predictionLog, Long labels) {}

  /**
   * What an evaluation estimates with: the calibrations by model version, the rows to append to the
   * calibrations table (empty when they were read), and a sentence for the run's output.
   */
  public record Use(Map<String, Calibration> byVersion, List<Row> newRows, String text) {
    public static Use none(String why) {
      return new Use(Map.of(), List.of(), why);
    }
  }

  /**
   * The calibrations for an evaluation of {@code model} whose labels are known up to {@code
   * labelsKnownUntil} (exclusive): the stored ones for the reference period [from, until), or new
   * ones fitted on it when its labels are all in (the period's end plus the label delay is at most
   * {@code labelsKnownUntil}), for versions with at least {@code minLabeled} labeled rows. {@code
   * invalid} is the evaluator's reason a row cannot be scored (null when it can). No write.
   */
  public static Use prepare(
      RunTables tables,
      ModelSpec model,
      LocalDate from,
      LocalDate until,
      LocalDate labelsKnownUntil,
      Column invalid,
      int bins,
      long minLabeled) {
    String period = from + ".." + until.minusDays(1);
    Map<String, Fitted> stored = read(tables.lakehouse(), model.name(), from, until);
    if (!stored.isEmpty()) {
      return new Use(
          calibrations(stored),
          List.of(),
          describe("as stored in " + Tables.CALIBRATIONS, period, stored));
    }
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
    Dataset<Row> rows =
        LabeledPredictions.read(tables, model, from, until.minusDays(1))
            .where(invalid.isNull().and(col(LABEL).isNotNull()));
    long predictionLog = tables.inputs().get(Tables.PREDICTION_LOG);
    Long labels = tables.inputs().get(Tables.LABELS_TABLE);
    Map<String, Fitted> fitted =
        fit(rows, model.numClasses(), bins, minLabeled, predictionLog, labels);
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
        (version, f) -> {
          for (int m = 0; m < f.calibration().maps().size(); m++) {
            Isotonic map = f.calibration().maps().get(m);
            Map<String, Object> v = new HashMap<>();
            v.put(MODEL_NAME, model.name());
            v.put(MODEL_VERSION, version);
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
        calibrations(fitted),
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
   * Fits every version with at least {@code minLabeled} rows; {@code rows}: valid, labeled
   * prediction_log rows (model_version, label, scores). One aggregation; the driver gets the bins.
   */
  public static Map<String, Fitted> fit(
      Dataset<Row> rows, int classes, int bins, long minLabeled, long predictionLog, Long labels) {
    Dataset<Row> scored =
        rows.select(
                col(MODEL_VERSION),
                col(LABEL).cast("int").as("y"),
                posexplode(col(SCORES)).as(new String[] {"c", "s"}))
            .where(classes == 2 ? col("c").equalTo(1) : lit(true));
    List<Row> binned =
        scored
            .withColumn("bin", least(floor(col("s").multiply(bins)), lit(bins - 1)))
            .groupBy(col(MODEL_VERSION), col("c"), col("bin"))
            .agg(
                count(lit(1)).as("n"),
                sum(col("s")).as("s"),
                sum(when(col("y").equalTo(col("c")), 1).otherwise(0)).as("p"))
            .orderBy(MODEL_VERSION, "c", "bin")
            .collectAsList();
    Map<String, Map<Integer, List<Row>>> byVersion = new TreeMap<>();
    for (Row r : binned) {
      byVersion
          .computeIfAbsent(r.getString(0), v -> new TreeMap<>())
          .computeIfAbsent(r.getInt(1), c -> new ArrayList<>())
          .add(r);
    }
    Map<String, Fitted> out = new LinkedHashMap<>();
    byVersion.forEach(
        (version, byClass) -> {
          long n = byClass.values().iterator().next().stream().mapToLong(r -> r.getLong(3)).sum();
          if (n < minLabeled || byClass.size() != (classes == 2 ? 1 : classes)) {
            return;
          }
          List<Isotonic> maps = new ArrayList<>();
          byClass.forEach(
              (c, points) -> {
                double[] x = new double[points.size()];
                double[] y = new double[points.size()];
                double[] w = new double[points.size()];
                for (int i = 0; i < x.length; i++) {
                  Row r = points.get(i);
                  w[i] = r.getLong(3);
                  x[i] = r.getDouble(4) / w[i];
                  y[i] = r.getLong(5) / w[i];
                }
                maps.add(Isotonic.fit(x, y, w));
              });
          out.put(version, new Fitted(new Calibration(classes, maps), n, predictionLog, labels));
        });
    return out;
  }

  /** The stored calibrations of a model's reference period, by version (empty when none). */
  static Map<String, Fitted> read(Lakehouse lh, String model, LocalDate from, LocalDate until) {
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
            .orderBy(MODEL_VERSION, CLASS_INDEX)
            .collectAsList();
    Map<String, List<Row>> byVersion = new TreeMap<>();
    rows.forEach(
        r -> byVersion.computeIfAbsent(r.getAs(MODEL_VERSION), v -> new ArrayList<>()).add(r));
    Map<String, Fitted> out = new LinkedHashMap<>();
    byVersion.forEach(
        (version, maps) -> {
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
              version,
              new Fitted(
                  new Calibration(classes, isotonic),
                  first.getAs(LABELED_ROWS),
                  first.getAs(PREDICTION_LOG_VERSION),
                  first.getAs(LABELS_VERSION)));
        });
    return out;
  }

  private static Map<String, Calibration> calibrations(Map<String, Fitted> fitted) {
    Map<String, Calibration> out = new LinkedHashMap<>();
    fitted.forEach((v, f) -> out.put(v, f.calibration()));
    return Map.copyOf(out);
  }

  private static String describe(String how, String period, Map<String, Fitted> fitted) {
    List<String> parts = new ArrayList<>();
    fitted.forEach(
        (v, f) ->
            parts.add(
                String.format(
                    "v%s (%,d labeled rows; prediction_log@v%d, labels@v%s)",
                    v, f.labeledRows(), f.predictionLog(), f.labels())));
    return String.format(
        "estimated metrics (CBPE): scores calibrated on the reference period %s, %s: %s; versions"
            + " without labeled rows in that period are not estimated",
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
