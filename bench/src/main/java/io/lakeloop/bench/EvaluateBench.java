package io.lakeloop.bench;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import com.typesafe.config.ConfigFactory;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.window.Granularity;
import io.lakeloop.monitoring.LabeledPredictions;
import io.lakeloop.monitoring.estimate.Calibration;
import io.lakeloop.monitoring.estimate.CalibrationMaps;
import io.lakeloop.monitoring.estimate.Calibrations;
import io.lakeloop.monitoring.evaluate.CustomMetric;
import io.lakeloop.monitoring.evaluate.EvalSettings;
import io.lakeloop.monitoring.evaluate.Evaluator;
import io.lakeloop.monitoring.evaluate.Measures;
import java.io.File;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The evaluation benchmark of bench/README.md: on a generated table of predictions joined with
 * labels (7 daily windows, a 20-value slice column), measures side by side in one JVM
 *
 * <ol>
 *   <li>the raw scan: one sum per column the evaluation reads;
 *   <li>lakeloop's {@link Evaluator} with 0 and with N bootstrap replicates, and with N and issue
 *       28's load: five custom metrics, two slice expressions and a fairness grouping;
 *   <li>the same on the table split the way lakeloop stores it — predictions without labels, and a
 *       labels table — paired by the jobs' own {@link LabeledPredictions#join}, against the raw
 *       scan of both tables;
 *   <li>the naive MLlib way: filter to one window x slice, then one evaluator call per metric —
 *       timed on a sample of the 147 window x slice combinations and extrapolated (labelled);
 * </ol>
 *
 * and lakeloop's peak heap on the big table and on one a tenth its size. Prints a Markdown report
 * for bench/RESULTS.md.
 */
public final class EvaluateBench {
  static final int DAYS = 7;
  static final int REGIONS = 20;
  static final LocalDate FIRST_DAY = LocalDate.of(2026, 1, 1);
  static final String SCORE = "_score";

  private EvaluateBench() {}

  record Options(long rows, String dir, int replicates, int naiveCombos, boolean regenerate) {
    static Options parse(String[] args) {
      long rows = 20_000_000L;
      String dir = System.getProperty("java.io.tmpdir") + "/lakeloop-bench";
      int replicates = 100;
      int naive = 6;
      boolean regenerate = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--rows" -> rows = Long.parseLong(args[++i].replace("_", ""));
          case "--dir" -> dir = args[++i];
          case "--replicates" -> replicates = Integer.parseInt(args[++i]);
          case "--naive-combos" -> naive = Integer.parseInt(args[++i]);
          case "--regenerate" -> regenerate = true;
          default ->
              throw new IllegalArgumentException(
                  "unknown argument '"
                      + args[i]
                      + "'; use --rows N --dir DIR --replicates N --naive-combos N --regenerate");
        }
      }
      if (rows < 10 * DAYS * REGIONS || naive < 1 || replicates < 0) {
        throw new IllegalArgumentException(
            "--rows must be at least " + 10 * DAYS * REGIONS + ", --naive-combos at least 1");
      }
      return new Options(rows, dir, replicates, naive, regenerate);
    }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    // the session lakeloop's jobs get: the reference config's settings, app name aside
    SparkSession spark =
        Sessions.create(
            ConfigLoader.load(
                Optional.empty(), List.of("lakeloop.spark.app-name=lakeloop-bench-evaluate")));
    try {
      System.out.println(run(spark, o));
    } finally {
      spark.stop();
    }
  }

  static String run(SparkSession spark, Options o) throws Exception {
    long smallRows = Math.max(o.rows() / 10, 10L * DAYS * REGIONS);
    String big = table(spark, o, o.rows());
    String small = table(spark, o, smallRows);
    Dataset<Row> data = spark.read().format("delta").load(big);
    int cores = spark.sparkContext().defaultParallelism();

    Phase.log("warm-up scan");
    rawScan(data);
    List<Phase> phases = new ArrayList<>();
    phases.add(Phase.run(spark, "raw scan (sum of every column read)", () -> rawScan(data)));
    phases.add(Phase.run(spark, "lakeloop evaluate, 0 replicates", () -> lakeloop(data, 0)));
    Phase ours =
        Phase.run(
            spark,
            "lakeloop evaluate, " + o.replicates() + " replicates",
            () -> lakeloop(data, o.replicates()));
    phases.add(ours);
    Phase fit =
        Phase.run(
            spark,
            "CBPE calibration fit (once per version; day 1's labeled rows, all and per region)",
            () -> fit(data));
    phases.add(fit);
    CalibrationMaps calibrations = (CalibrationMaps) fit.result();
    Phase estimated =
        Phase.run(
            spark,
            "lakeloop evaluate, " + o.replicates() + " replicates, with estimated metrics (CBPE)",
            () -> lakeloop(data, o.replicates(), calibrations));
    phases.add(estimated);
    Phase measured =
        Phase.run(
            spark,
            "lakeloop evaluate, "
                + o.replicates()
                + " replicates, with 5 custom metrics, 2 slice expressions, 1 fairness grouping",
            () -> lakeloopMeasured(data, o.replicates(), measures()));
    phases.add(measured);
    // what each part of that load costs on its own
    Measures all = measures();
    List<Phase> parts = new ArrayList<>();
    for (Measures part :
        List.of(
            new Measures(all.customMetrics(), List.of(), List.of(), List.of()),
            new Measures(List.of(), all.sliceExpressions(), List.of(), List.of()),
            new Measures(List.of(), List.of(), List.of(), all.fairness()))) {
      String what =
          !part.customMetrics().isEmpty()
              ? "only the 5 custom metrics"
              : !part.sliceExpressions().isEmpty()
                  ? "only the 2 slice expressions"
                  : "only the fairness grouping";
      Phase p =
          Phase.run(
              spark,
              "lakeloop evaluate, " + o.replicates() + " replicates, " + what,
              () -> lakeloopMeasured(data, o.replicates(), part));
      parts.add(p);
      phases.add(p);
    }
    Phase oursAgain =
        Phase.run(
            spark,
            "lakeloop evaluate, " + o.replicates() + " replicates, again (without)",
            () -> lakeloop(data, o.replicates()));
    phases.add(oursAgain);
    String[] split = split(spark, big);
    Dataset<Row> logs = spark.read().format("delta").load(split[0]);
    Dataset<Row> labels = spark.read().format("delta").load(split[1]);
    Phase.log("warm-up scan of the two tables");
    rawScanApart(logs, labels);
    Phase rawBoth =
        Phase.run(
            spark,
            "raw scan of predictions and labels stored apart (sum of every column read)",
            () -> rawScanApart(logs, labels));
    phases.add(rawBoth);
    Phase joined =
        Phase.run(
            spark,
            "lakeloop evaluate, " + o.replicates() + " replicates, with its own label join",
            () -> lakeloopJoined(logs, labels, o.replicates()));
    phases.add(joined);
    List<String[]> combos = sampledCombos(o.naiveCombos());
    Phase naive =
        Phase.run(
            spark,
            "naive MLlib, " + combos.size() + " of " + DAYS * (REGIONS + 1) + " window x slice",
            () -> naive(data, combos));
    phases.add(naive);
    Dataset<Row> smallData = spark.read().format("delta").load(small);
    Phase oursSmall =
        Phase.run(
            spark,
            "lakeloop evaluate, " + o.replicates() + " replicates, " + smallRows + " rows",
            () -> lakeloop(smallData, o.replicates()));

    double naiveAll = naive.seconds() / combos.size() * DAYS * (REGIONS + 1);
    Phase raw = phases.get(0);
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "%n### %,d rows, %d cores (local[*]), %d bootstrap replicates%n%n",
            o.rows(),
            cores,
            o.replicates()));
    md.append("| phase | seconds | rows/s/core | Spark jobs | peak heap after GC (MiB) |\n");
    md.append("|---|---:|---:|---:|---:|\n");
    for (Phase p : phases) {
      md.append(p.tableRow(o.rows(), cores));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "| naive MLlib, all %d window x slice (extrapolated) | %.1f | %,.0f | %d | |%n",
            DAYS * (REGIONS + 1),
            naiveAll,
            o.rows() / naiveAll / cores,
            Math.round((double) naive.jobs() / combos.size() * DAYS * (REGIONS + 1))));
    md.append(oursSmall.tableRow(smallRows, cores));
    md.append("\n");
    md.append(
        String.format(
            Locale.ROOT,
            "- lakeloop (%d replicates) vs naive MLlib (no intervals, extrapolated): **%.1fx"
                + " faster**%n",
            o.replicates(),
            naiveAll / ours.seconds()));
    md.append(
        String.format(
            Locale.ROOT,
            "- lakeloop (%d replicates) / raw scan: **%.2fx** the raw scan's time; with 0"
                + " replicates %.2fx%n",
            o.replicates(),
            ours.seconds() / raw.seconds(),
            phases.get(1).seconds() / raw.seconds()));
    md.append(
        String.format(
            Locale.ROOT,
            "- with its own prediction x label join, on the two tables: **%.2fx** the raw scan of"
                + " both (target <= 3.5x); the join adds %.1f s to the pre-joined run's %.1f s%n",
            joined.seconds() / rawBoth.seconds(),
            joined.seconds() - ours.seconds(),
            ours.seconds()));
    double without = (ours.seconds() + oursAgain.seconds()) / 2;
    md.append(
        String.format(
            Locale.ROOT,
            "- estimated metrics (CBPE) in the same pass: %.1f s vs %.1f s without (mean of the"
                + " runs before and after): **%+.1f %%** (target <= 15 %%); the calibration fit, once"
                + " per model version: %.1f s%n",
            estimated.seconds(),
            without,
            100 * (estimated.seconds() / without - 1),
            fit.seconds()));
    md.append(
        String.format(
            Locale.ROOT,
            "- custom metrics (5), slice expressions (2) and a fairness grouping (20 regions, 5"
                + " disparities each) in the same pass: %.1f s vs %.1f s without (mean of the runs"
                + " before and after): **%+.1f %%** (target <= 20 %%); %s metric rows%n",
            measured.seconds(),
            without,
            100 * (measured.seconds() / without - 1),
            measured.result()));
    for (Phase p : parts) {
      md.append(
          String.format(
              Locale.ROOT,
              "  - %s: %+.1f %%%n",
              p.name().substring(p.name().lastIndexOf(", ") + 2),
              100 * (p.seconds() / without - 1)));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "- peak heap after GC, lakeloop: %.0f MiB at %,d rows, %.0f MiB at %,d rows%n",
            Phase.mib(oursSmall.peakHeapBytes()),
            smallRows,
            Phase.mib(ours.peakHeapBytes()),
            o.rows()));
    md.append(
        String.format(
            Locale.ROOT,
            "- lakeloop wrote %s metric rows (all windows x slices x metrics, with intervals)%n",
            ours.result()));
    return md.toString();
  }

  static ModelSpec spec() {
    return new ModelSpec(
        "bench",
        Task.BINARY,
        List.of("no", "yes"),
        List.of("x"),
        List.of(),
        List.of("region"),
        Duration.ofDays(1));
  }

  /** The generated table for this row count, written once and reused unless --regenerate. */
  static String table(SparkSession spark, Options o, long rows) {
    String path = new File(o.dir(), "predictions_" + rows).getAbsolutePath();
    if (!o.regenerate() && new File(path, "_delta_log").isDirectory()) {
      Phase.log("reusing " + path);
      return path;
    }
    Phase.log("generating " + String.format(Locale.ROOT, "%,d", rows) + " rows at " + path);
    long seconds = DAYS * 86_400L;
    int partitions = (int) Math.max(2, rows / 1_000_000L);
    Column truth = col("_truth");
    Column logit = lit(-1.0).plus(truth.multiply(2.2)).plus(randn(5));
    spark
        .range(0, rows, 1, partitions)
        .withColumn(REQUEST_ID, concat(lit("req-"), col("id").cast("string")))
        .withColumn(
            EVENT_TIME,
            timestamp_seconds(
                lit(FIRST_DAY.toEpochDay() * 86_400L)
                    .plus(col("id").multiply(seconds).divide(rows).cast("long"))))
        .withColumn(EVENT_DATE, to_date(col(EVENT_TIME)))
        .withColumn(MODEL_NAME, lit("bench"))
        .withColumn(MODEL_VERSION, lit("v1"))
        .withColumn("_truth", when(rand(3).lt(0.3), 1.0).otherwise(0.0))
        .withColumn(SCORE, lit(1.0).divide(lit(1.0).plus(exp(logit.multiply(-1)))))
        .withColumn(PREDICTION, when(col(SCORE).geq(0.5), 1.0).otherwise(0.0))
        .withColumn(SCORES, array(lit(1.0).minus(col(SCORE)), col(SCORE)))
        // skewed: region-00 is the most frequent
        .withColumn(
            "region",
            format_string("region-%02d", floor(pow(rand(7), 2).multiply(REGIONS)).cast("int")))
        // a feature the evaluation does not read
        .withColumn("x", col(SCORE).plus(randn(13)))
        // a tenth of the predictions have no label yet
        .withColumn(LABEL, when(rand(11).lt(0.9), truth))
        .drop("id", "_truth", SCORE)
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .partitionBy(EVENT_DATE)
        .save(path);
    return path;
  }

  /**
   * The pre-joined table stored as lakeloop stores it, written once beside it: the predictions
   * without their label, and a labels table (one label per labeled request, an hour after its
   * prediction, partitioned by label_date). Returns both paths.
   */
  static String[] split(SparkSession spark, String joined) {
    String logs = joined + "_log";
    String labels = joined + "_labels";
    if (new File(labels, "_delta_log").isDirectory()) {
      return new String[] {logs, labels};
    }
    Phase.log("splitting " + joined + " into predictions and labels");
    Dataset<Row> data = spark.read().format("delta").load(joined);
    data.drop(LABEL).write().format("delta").mode("overwrite").partitionBy(EVENT_DATE).save(logs);
    data.where(col(LABEL).isNotNull())
        .select(
            col(REQUEST_ID),
            col(LABEL),
            col(EVENT_TIME).plus(expr("INTERVAL 1 HOUR")).as(LABEL_TIME))
        .withColumn(LABEL_DATE, to_date(col(LABEL_TIME)))
        .write()
        .format("delta")
        .mode("overwrite")
        .partitionBy(LABEL_DATE)
        .save(labels);
    return new String[] {logs, labels};
  }

  /** {@link #rawScan} over the two stored tables: every column the paired evaluation reads. */
  static Object rawScanApart(Dataset<Row> logs, Dataset<Row> labels) {
    Column[] sums = predictionSums();
    Row l = logs.agg(sums[0], Arrays.copyOfRange(sums, 1, sums.length)).collectAsList().get(0);
    Row b =
        labels
            .agg(
                sum(length(col(REQUEST_ID))),
                sum(col(LABEL)),
                sum(unix_seconds(col(LABEL_TIME))),
                sum(unix_date(col(LABEL_DATE))))
            .collectAsList()
            .get(0);
    return List.of(l, b);
  }

  /**
   * The evaluation as evaluate runs it on stored tables: the predictions paired with each request's
   * latest label among the labels dated within the windows, then the same {@link Evaluator}.
   */
  static Object lakeloopJoined(Dataset<Row> logs, Dataset<Row> labels, int replicates) {
    Dataset<Row> dated =
        labels.where(
            col(LABEL_DATE).between(FIRST_DAY.toString(), FIRST_DAY.plusDays(DAYS).toString()));
    return new Evaluator(spec(), settings(replicates), CalibrationMaps.NONE)
        .evaluate(LabeledPredictions.join(logs, dated), Optional.empty(), "bench")
        .collectAsList()
        .size();
  }

  /** One sum per column the evaluation reads, so every value is decoded. */
  static Object rawScan(Dataset<Row> data) {
    return data.agg(sum(col(LABEL)), predictionSums()).collectAsList().get(0);
  }

  /** A sum per prediction column the evaluation reads (strings by length). */
  static Column[] predictionSums() {
    return new Column[] {
      sum(length(col(REQUEST_ID))),
      sum(unix_seconds(col(EVENT_TIME))),
      sum(length(col(MODEL_NAME))),
      sum(length(col(MODEL_VERSION))),
      sum(col(PREDICTION)),
      sum(col(SCORES).getItem(0).plus(col(SCORES).getItem(1))),
      sum(length(col("region")))
    };
  }

  static Object lakeloop(Dataset<Row> data, int replicates) {
    return lakeloop(data, replicates, CalibrationMaps.NONE);
  }

  static Object lakeloop(Dataset<Row> data, int replicates, CalibrationMaps calibrations) {
    return new Evaluator(spec(), settings(replicates), calibrations)
        .evaluate(data, Optional.empty(), "bench")
        .collectAsList()
        .size();
  }

  /** Issue 28's load: five custom metrics, two slice expressions and a fairness grouping. */
  static Measures measures() {
    List<CustomMetric> custom = new ArrayList<>();
    String[][] defs = {
      {"exposure", "expression = \"sum(case when prediction = 1 then x else 0 end)\""},
      {"mean_x", "expression = \"avg(x)\""},
      {"labeled", "expression = \"count(label)\""},
      {
        "capture",
        "numerator = \"sum(case when label = 1 and prediction = 1 then 1 else 0 end)\","
            + " denominator = \"count(case when label = 1 then 1 end)\""
      },
      {"score_mass", "expression = \"sum(scores[1])\""},
    };
    for (String[] d : defs) {
      custom.add(
          CustomMetric.parse(
              ConfigFactory.parseString("name = " + d[0] + ", direction = higher, " + d[1]),
              "bench"));
    }
    return new Measures(
        custom,
        List.of(
            new Measures.Named("high_x", "x > 1"),
            new Measures.Named("top_low", "region in ('region-00', 'region-01') and x < 0")),
        List.of(),
        List.of(
            new Measures.Fairness("region", Optional.of("region"), List.of(), Optional.empty())));
  }

  static Object lakeloopMeasured(Dataset<Row> data, int replicates, Measures measures) {
    return new Evaluator(spec(), settings(replicates), CalibrationMaps.NONE, measures)
        .evaluate(data, Optional.empty(), "bench")
        .collectAsList()
        .size();
  }

  /**
   * The calibrations evaluate would fit: on the first day's labeled rows, per version and per
   * region.
   */
  static CalibrationMaps fit(Dataset<Row> data) {
    Map<CalibrationMaps.Segment, Calibration> out = new LinkedHashMap<>();
    Calibrations.fit(
            data.where(
                col(EVENT_DATE)
                    .equalTo(lit(FIRST_DAY.toString()).cast("date"))
                    .and(col(LABEL).isNotNull())),
            2,
            new Evaluator(spec(), settings(0)).sliceValues(),
            settings(0).topKSliceValues(),
            10_000,
            100,
            0,
            0L)
        .forEach((segment, f) -> out.put(segment, f.calibration()));
    return new CalibrationMaps(out);
  }

  static EvalSettings settings(int replicates) {
    return new EvalSettings(
        List.of(Granularity.parse("1 day", "bench")),
        replicates,
        0.95,
        REGIONS,
        10_000,
        200,
        1e-6,
        256L << 20);
  }

  /** Window x slice combinations, evenly spaced over all DAYS x (REGIONS + '*'). */
  static List<String[]> sampledCombos(int n) {
    List<String[]> all = new ArrayList<>();
    for (int d = 0; d < DAYS; d++) {
      all.add(new String[] {FIRST_DAY.plusDays(d).toString(), Evaluator.ALL});
      for (int r = 0; r < REGIONS; r++) {
        all.add(
            new String[] {
              FIRST_DAY.plusDays(d).toString(), String.format(Locale.ROOT, "region-%02d", r)
            });
      }
    }
    List<String[]> picked = new ArrayList<>();
    int take = Math.min(n, all.size());
    for (int i = 0; i < take; i++) {
      picked.add(all.get((int) ((long) i * all.size() / take)));
    }
    return picked;
  }

  /**
   * What a user writes with MLlib: per window x slice, filter, then one evaluator call per metric
   * (each a pass over the filtered rows). Seven metrics, no intervals.
   */
  static Object naive(Dataset<Row> data, List<String[]> combos) {
    Map<String, Double> last = new LinkedHashMap<>();
    for (String[] combo : combos) {
      Dataset<Row> rows =
          data.where(col(EVENT_DATE).equalTo(lit(combo[0]).cast("date")))
              .where(col(LABEL).isNotNull());
      if (!combo[1].equals(Evaluator.ALL)) {
        rows = rows.where(col("region").equalTo(combo[1]));
      }
      rows =
          rows.withColumn(SCORE, col(SCORES).getItem(1))
              .withColumn(
                  "_probability", org.apache.spark.ml.functions.array_to_vector(col(SCORES)));
      BinaryClassificationEvaluator binary =
          new BinaryClassificationEvaluator().setLabelCol(LABEL).setRawPredictionCol(SCORE);
      for (String m : List.of("areaUnderROC", "areaUnderPR")) {
        last.put(m, binary.setMetricName(m).evaluate(rows));
      }
      MulticlassClassificationEvaluator multi =
          new MulticlassClassificationEvaluator()
              .setLabelCol(LABEL)
              .setPredictionCol(PREDICTION)
              .setProbabilityCol("_probability");
      for (String m : List.of("accuracy", "f1", "weightedPrecision", "weightedRecall", "logLoss")) {
        last.put(m, multi.setMetricName(m).evaluate(rows));
      }
    }
    return last;
  }
}
