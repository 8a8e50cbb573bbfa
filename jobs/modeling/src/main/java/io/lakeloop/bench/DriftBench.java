package io.lakeloop.bench;

import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Job;
import io.lakeloop.common.cli.JobLauncher;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.Columns;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.drift.DriftJob;
import java.io.File;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The drift benchmark (bench/README.md): on generated churn traffic (14 days; the generator shifts
 * a feature from day 10), measures side by side in one JVM
 *
 * <ol>
 *   <li>the raw scan: one sum over every column the drift job reads, days 8-14 of prediction_log
 *       and the labels — the physical limit here;
 *   <li>lakeloop's drift building its baseline (days 1-7) and profiling days 8-14 with their weeks,
 *       and again with the stored baseline (the scheduled case);
 *   <li>the naive way a notebook user writes it: per day and column, an approxQuantile or a
 *       group-by count over that day — timed on a sample of (day, column) pairs and extrapolated
 *       (labelled so);
 *   <li>lakeloop's drift on a table a tenth the size, for the driver heap at two sizes.
 * </ol>
 */
public final class DriftBench {
  private DriftBench() {}

  static final LocalDate FIRST_DAY = LocalDate.of(2026, 1, 1);
  static final int DAYS = 14;

  record Options(long rows, String dir, int naivePairs, boolean regenerate, boolean generateOnly) {
    static Options parse(String[] args) {
      long rows = 20_000_000L;
      String dir = new File(System.getProperty("java.io.tmpdir"), "lakeloop-bench").getPath();
      int naive = 4;
      boolean regenerate = false;
      boolean generateOnly = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--rows" -> rows = Long.parseLong(args[++i].replace("_", ""));
          case "--dir" -> dir = args[++i];
          case "--naive-pairs" -> naive = Integer.parseInt(args[++i]);
          case "--regenerate" -> regenerate = true;
          case "--generate-only" -> generateOnly = true;
          default ->
              throw new IllegalArgumentException(
                  "unknown argument '"
                      + args[i]
                      + "'; use --rows N --dir DIR --naive-pairs N --regenerate --generate-only");
        }
      }
      if (rows < 10_000 || naive < 1) {
        throw new IllegalArgumentException(
            "--rows must be at least 10000, --naive-pairs at least 1");
      }
      return new Options(rows, dir, naive, regenerate, generateOnly);
    }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    SparkSession spark =
        Sessions.create(
            ConfigLoader.load(
                Optional.empty(), List.of("lakeloop.spark.app-name=lakeloop-bench-drift")));
    try {
      System.out.println(run(spark, o));
    } finally {
      spark.stop();
    }
  }

  /** The bench's config: the demo model (churn) on a warehouse of its own. */
  static LakeloopConfig config(String warehouse) {
    File local = new File("configs/local.conf");
    return ConfigLoader.load(
        Optional.of(local.toPath()), List.of("lakeloop.warehouse=\"" + warehouse + "\""));
  }

  static String run(SparkSession spark, Options o) throws Exception {
    long smallRows = Math.max(o.rows() / 10, 10_000L);
    String big = warehouse(spark, o, o.rows());
    String small = warehouse(spark, o, smallRows);
    if (o.generateOnly()) {
      return "bench: tables ready at " + big + " and " + small;
    }
    LakeloopConfig bigConfig = config(big);
    int cores = spark.sparkContext().defaultParallelism();
    String last = FIRST_DAY.plusDays(DAYS - 1).toString();
    String since = FIRST_DAY.plusDays(7).toString();
    Dataset<Row> log =
        spark
            .read()
            .format("delta")
            .load(big + "/" + Tables.PREDICTION_LOG)
            .where(col(Columns.EVENT_DATE).between(since, last));
    Dataset<Row> labels = spark.read().format("delta").load(big + "/" + Tables.LABELS_TABLE);
    long scanned = log.count();

    Phase.log("warm-up scan");
    rawScan(log, labels);
    List<Phase> phases = new ArrayList<>();
    Phase raw =
        Phase.run(
            spark, "raw scan (sum of every column read, days 8-14)", () -> rawScan(log, labels));
    phases.add(raw);
    Phase build =
        Phase.run(
            spark,
            "lakeloop drift: build baseline (days 1-7) + profile days 8-14",
            () -> drift(spark, bigConfig, last, since, "--baseline"));
    phases.add(build);
    Phase ours =
        Phase.run(
            spark,
            "lakeloop drift: profile + compare days 8-14 (stored baseline)",
            () -> drift(spark, bigConfig, last, since));
    phases.add(ours);
    Phase day =
        Phase.run(
            spark,
            "lakeloop drift: one day (the scheduled run)",
            () -> drift(spark, bigConfig, last, last));
    phases.add(day);
    List<String> numeric =
        List.of("monthly_charges", "data_usage_gb", "tenure_months", "support_calls");
    List<String> categorical = List.of("plan", "device");
    int pairs = 7 * (numeric.size() + categorical.size() + 3);
    Phase naive =
        Phase.run(
            spark,
            "naive, " + o.naivePairs() + " of " + pairs + " day x column",
            () -> naive(log, numeric, categorical, o.naivePairs()));
    phases.add(naive);
    LakeloopConfig smallConfig = config(small);
    drift(spark, smallConfig, last, since, "--baseline");
    Phase oursSmall =
        Phase.run(
            spark,
            "lakeloop drift: days 8-14, " + smallRows + "-row table",
            () -> drift(spark, smallConfig, last, since));

    double naiveAll = naive.seconds() / o.naivePairs() * pairs;
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "%n### %,d rows over %d days (%,d in days 8-14), %d cores (local[*])%n%n",
            o.rows(),
            DAYS,
            scanned,
            cores));
    md.append(
        "| phase | seconds | rows/s/core (days 8-14) | Spark jobs | peak heap after GC (MiB) |\n");
    md.append("|---|---:|---:|---:|---:|\n");
    for (Phase p : phases) {
      md.append(p.tableRow(scanned, cores));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "| naive, all %d day x column (extrapolated) | %.1f | %,.0f | %d | |%n",
            pairs,
            naiveAll,
            scanned / naiveAll / cores,
            Math.round((double) naive.jobs() / o.naivePairs() * pairs)));
    md.append(oursSmall.tableRow(scanned / 10, cores));
    md.append("\n");
    md.append(
        String.format(
            Locale.ROOT,
            "- lakeloop drift (7 days + weeks, stored baseline) / raw scan: **%.2fx**; with the"
                + " baseline built in the same run: %.2fx%n",
            ours.seconds() / raw.seconds(),
            build.seconds() / raw.seconds()));
    md.append(
        String.format(
            Locale.ROOT,
            "- naive per-day-and-column jobs (extrapolated) vs lakeloop: **%.1fx slower**%n",
            naiveAll / ours.seconds()));
    md.append(
        String.format(
            Locale.ROOT,
            "- peak heap after GC, lakeloop drift: %.0f MiB at %,d rows, %.0f MiB at %,d rows%n",
            Phase.mib(oursSmall.peakHeapBytes()),
            smallRows,
            Phase.mib(ours.peakHeapBytes()),
            o.rows()));
    return md.toString();
  }

  static Object drift(
      SparkSession spark, LakeloopConfig config, String date, String since, String... extra)
      throws Exception {
    Job job = new DriftJob();
    List<String> argv =
        new ArrayList<>(
            List.of("--date", date, "--since", since, "--run-id", "bench-" + date + "-" + since));
    argv.addAll(List.of(extra));
    CliArgs parsed = CliArgs.parse(job.name(), argv.toArray(new String[0]), job.flags(), false);
    return JobLauncher.run(job, parsed, config, spark).summary().get("metric_rows");
  }

  /** One sum per column the drift job reads, so every value is decoded. */
  static Object rawScan(Dataset<Row> log, Dataset<Row> labels) {
    Row a =
        log.agg(
                sum(length(col(Columns.REQUEST_ID))),
                sum(length(col(Columns.MODEL_VERSION))),
                sum(datediff(col(Columns.EVENT_DATE), lit("1970-01-01"))),
                sum(col("monthly_charges")),
                sum(col("data_usage_gb")),
                sum(col("tenure_months")),
                sum(col("support_calls")),
                sum(element_at(col(Columns.SCORES), 2)),
                sum(col(Columns.PREDICTION)),
                sum(length(col("plan"))),
                sum(length(col("device"))))
            .head();
    Row b = labels.agg(sum(length(col(Columns.REQUEST_ID))), sum(col(Columns.LABEL))).head();
    return a.toString() + b;
  }

  /** Per (day, column): approxQuantile of a numeric column, or a group-by count of a category. */
  static Object naive(Dataset<Row> log, List<String> numeric, List<String> categorical, int pairs) {
    double[] probabilities = new double[999];
    for (int i = 0; i < probabilities.length; i++) {
      probabilities[i] = (i + 1) / 1000.0;
    }
    List<String> columns = new ArrayList<>(numeric);
    columns.addAll(categorical);
    long n = 0;
    for (int p = 0; p < pairs; p++) {
      String day = FIRST_DAY.plusDays(7 + p % 7).toString();
      String c = columns.get(p % columns.size());
      Dataset<Row> d = log.where(col(Columns.EVENT_DATE).equalTo(day));
      if (numeric.contains(c)) {
        n += d.stat().approxQuantile(c, probabilities, 1e-3).length;
      } else {
        n += d.groupBy(c).count().collectAsList().size();
      }
    }
    return n;
  }

  /**
   * A warehouse with prediction_log and labels of this many rows for the demo model (churn),
   * generated once with seeded Spark columns and no shuffle (bin/lakeloop generate's realism —
   * malformed rows, duplicates — would cost a shuffle of every row here): 14 days, traffic spread
   * evenly; monthly_charges shifts by one standard deviation from day 10 and the plan mix tilts;
   * nine in ten predictions get a label within three days.
   */
  static String warehouse(SparkSession spark, Options o, long rows) {
    File dir = new File(o.dir(), "drift_" + rows);
    String path = dir.getAbsolutePath();
    if (!o.regenerate() && new File(path, Tables.PREDICTION_LOG + "/_delta_log").isDirectory()) {
      Phase.log("reusing " + path);
      return path;
    }
    Phase.log("generating " + String.format(Locale.ROOT, "%,d", rows) + " rows at " + path);
    long seconds = DAYS * 86_400L;
    int partitions = (int) Math.max(2, rows / 1_000_000L);
    Column day = floor(col("id").multiply(DAYS).divide(rows));
    Column drifted = day.geq(9);
    Column u = rand(17);
    Dataset<Row> log =
        spark
            .range(0, rows, 1, partitions)
            .withColumn(Columns.REQUEST_ID, concat(lit("req-"), col("id").cast("string")))
            .withColumn(
                Columns.EVENT_TIME,
                timestamp_seconds(
                    lit(FIRST_DAY.toEpochDay() * 86_400L)
                        .plus(col("id").multiply(seconds).divide(rows).cast("long"))))
            .withColumn(Columns.EVENT_DATE, to_date(col(Columns.EVENT_TIME)))
            .withColumn(Columns.MODEL_NAME, lit("churn"))
            .withColumn(Columns.MODEL_VERSION, lit("1"))
            .withColumn(
                "monthly_charges",
                lit(70.0).plus(randn(3).multiply(20)).plus(when(drifted, lit(20.0)).otherwise(0)))
            .withColumn("data_usage_gb", exp(randn(5).multiply(0.8).plus(2)))
            .withColumn("tenure_months", floor(rand(7).multiply(72)).cast("double"))
            .withColumn("support_calls", floor(pow(rand(11), 3).multiply(8)).cast("double"))
            .withColumn(
                "plan",
                when(u.lt(when(drifted, 0.25).otherwise(0.4)), "standard")
                    .when(u.lt(0.7), "basic")
                    .when(u.lt(0.9), "premium")
                    .otherwise("family"))
            .withColumn(
                "device",
                element_at(
                    array(lit("android"), lit("ios"), lit("web")),
                    floor(rand(13).multiply(3)).cast("int").plus(1)))
            .withColumn(
                "region",
                element_at(
                    array(lit("na"), lit("eu"), lit("apac"), lit("latam"), lit("mea")),
                    floor(pow(rand(19), 2).multiply(5)).cast("int").plus(1)))
            .withColumn(
                "_p",
                lit(1.0)
                    .divide(
                        lit(1.0)
                            .plus(
                                exp(
                                    col("monthly_charges")
                                        .minus(70)
                                        .divide(-20)
                                        .plus(col("support_calls").multiply(-0.5))
                                        .plus(1.2)))))
            .withColumn(Columns.SCORES, array(lit(1.0).minus(col("_p")), col("_p")))
            .withColumn(Columns.PREDICTION, when(col("_p").geq(0.5), 1.0).otherwise(0.0))
            .withColumn(Columns.LABEL, when(rand(23).lt(col("_p")), 1.0).otherwise(0.0))
            .withColumn(
                Columns.LABEL_TIME,
                timestamp_seconds(
                    unix_seconds(col(Columns.EVENT_TIME))
                        .plus(floor(rand(29).multiply(3 * 86_400)).cast("long"))))
            .withColumn("_labeled", rand(31).lt(0.9));
    log.drop("_p", "_labeled", Columns.LABEL, Columns.LABEL_TIME)
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .partitionBy(Columns.EVENT_DATE)
        .save(path + "/" + Tables.PREDICTION_LOG);
    log.where(col("_labeled"))
        .select(
            col(Columns.REQUEST_ID),
            col(Columns.LABEL),
            col(Columns.LABEL_TIME),
            to_date(col(Columns.LABEL_TIME)).as(Columns.LABEL_DATE))
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .partitionBy(Columns.LABEL_DATE)
        .save(path + "/" + Tables.LABELS_TABLE);
    return path;
  }
}
