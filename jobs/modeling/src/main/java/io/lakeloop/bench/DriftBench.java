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
import io.lakeloop.monitoring.generate.GenerateJob;
import java.io.File;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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

  /** A warehouse with prediction_log and labels of this many rows, generated once. */
  static String warehouse(SparkSession spark, Options o, long rows) throws Exception {
    File dir = new File(o.dir(), "drift_" + rows);
    String path = dir.getAbsolutePath();
    if (!o.regenerate() && new File(path, Tables.PREDICTION_LOG + "/_delta_log").isDirectory()) {
      Phase.log("reusing " + path);
      return path;
    }
    Phase.log("generating " + String.format(Locale.ROOT, "%,d", rows) + " rows at " + path);
    String landing = new File(dir, "landing").getAbsolutePath();
    Job gen = new GenerateJob();
    CliArgs parsed =
        CliArgs.parse(
            gen.name(),
            new String[] {
              "--rows",
              Long.toString(rows),
              "--days",
              Integer.toString(DAYS),
              "--output",
              landing,
              "--format",
              "parquet",
              "--run-id",
              "bench-gen"
            },
            gen.flags(),
            false);
    JobLauncher.run(gen, parsed, config(path), spark);
    // straight into Delta (the bench measures drift, not ingest's validation)
    Dataset<Row> p = spark.read().parquet(landing + "/" + Tables.PREDICTION_LOG);
    if (!java.util.Arrays.asList(p.columns()).contains(Columns.EVENT_DATE)) {
      p = p.withColumn(Columns.EVENT_DATE, to_date(col(Columns.EVENT_TIME)));
    }
    p.write()
        .format("delta")
        .mode("overwrite")
        .partitionBy(Columns.EVENT_DATE)
        .save(path + "/" + Tables.PREDICTION_LOG);
    Dataset<Row> l = spark.read().parquet(landing + "/" + Tables.LABELS_TABLE);
    if (!java.util.Arrays.asList(l.columns()).contains(Columns.LABEL_DATE)) {
      l = l.withColumn(Columns.LABEL_DATE, to_date(col(Columns.LABEL_TIME)));
    }
    l.write()
        .format("delta")
        .mode("overwrite")
        .partitionBy(Columns.LABEL_DATE)
        .save(path + "/" + Tables.LABELS_TABLE);
    return path;
  }
}
