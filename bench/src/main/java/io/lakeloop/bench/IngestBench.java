package io.lakeloop.bench;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import io.lakeloop.modeling.Scratch;
import io.lakeloop.monitoring.generate.GenerateJob;
import io.lakeloop.monitoring.ingest.IngestJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The loading benchmark of bench/README.md, side by side in one JVM (Spark local[2], the churn
 * model of configs/local.conf):
 *
 * <ol>
 *   <li><b>generate</b> ({@code bin/lakeloop generate --rows N}: traffic, validation,
 *       prediction_log and labels) against <b>spark.range</b>: the same number of predictions and
 *       labels of random columns of the same two schemas written to Delta, partitioned the same
 *       way;
 *   <li>for a JSON and a Parquet source of the generated predictions: a <b>plain Delta append</b>
 *       (read with the target schema, partitioned by event_date, nothing checked) against
 *       <b>ingest</b> ({@code bin/lakeloop ingest --table prediction_log}: every validation rule,
 *       duplicates, quarantine, the idempotent append).
 * </ol>
 *
 * Every write goes to an empty folder; repetitions are interleaved and the best is reported.
 */
public final class IngestBench {
  private IngestBench() {}

  public static void main(String[] args) throws Exception {
    long rows = 10_000_000;
    int repeats = 1;
    String dir = System.getProperty("java.io.tmpdir") + "/lakeloop-ingest-bench";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1].replace("_", ""));
        case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
        case "--dir" -> dir = args[i + 1];
        default ->
            throw new IllegalArgumentException(
                "unknown flag " + args[i] + "; use --rows N --repeats N --dir DIR");
      }
    }
    if (repeats < 1) {
      throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
    }
    if (Files.exists(Path.of(dir))) {
      Scratch.delete(Path.of(dir));
    }
    LakeloopConfig base = ScoreBench.config(dir + "/unused");
    SparkSession spark = Sessions.create(base);
    try {
      ModelSpec spec = base.model("churn");
      int days = base.section("generate").intAtLeast("days", 1);
      LocalDate start = LocalDate.parse(base.section("generate").string("start-date"));
      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      // a small round first, not counted: the JIT and Spark's first-use costs hit no contender
      round(spark, spec, start, days, Math.min(rows, 20_000), dir + "/warm-up", null);
      Generated generated = null;
      for (int r = 1; r <= repeats; r++) {
        generated = round(spark, spec, start, days, rows, dir + "/round-" + r, seconds);
      }
      report(rows, generated, repeats, seconds);
    } finally {
      spark.stop();
    }
  }

  /** What generate wrote: valid predictions and labels (its malformed rows are quarantined). */
  record Generated(long predictions, long labels) {}

  /**
   * One round of every contender into folders under {@code dir} (deleted after); times go to {@code
   * seconds} (none when null).
   */
  static Generated round(
      SparkSession spark,
      ModelSpec spec,
      LocalDate start,
      int days,
      long rows,
      String dir,
      Map<String, List<Double>> seconds)
      throws Exception {
    String gen = dir + "/generate";
    JobResult g =
        time(
            seconds,
            "generate (prediction_log and labels)",
            () ->
                ScoreBench.run(
                    new GenerateJob(),
                    ScoreBench.config(gen),
                    spark,
                    "--rows",
                    Long.toString(rows),
                    "--run-id",
                    "bench"));
    Generated written =
        new Generated(
            Long.parseLong(g.summary().get("predictions_written")),
            Long.parseLong(g.summary().get("labels_written")));
    TableSpec target = Tables.predictionLog(spec);
    String range = dir + "/range";
    time(
        seconds,
        "spark.range: the same rows, random columns of the same schemas",
        () -> {
          writeRandom(spark, target, written.predictions(), start, days, range);
          writeRandom(spark, Tables.LABELS, written.labels(), start, days, range);
          return null;
        });
    exportSources(spark, gen + "/" + Tables.PREDICTION_LOG, dir);
    for (String format : List.of("json", "parquet")) {
      String path = dir + "/source." + format;
      String plain = dir + "/plain-" + format;
      time(
          seconds,
          "plain Delta append from " + format,
          () -> {
            spark
                .read()
                .schema(target.schema())
                .format(format)
                .load(path)
                .write()
                .format("delta")
                .mode("append")
                .partitionBy(target.partitionColumns().toArray(String[]::new))
                .save(plain + "/" + Tables.PREDICTION_LOG);
            return null;
          });
      JobResult ir =
          time(
              seconds,
              "lakeloop ingest from " + format,
              () ->
                  ScoreBench.run(
                      new IngestJob(),
                      ScoreBench.config(dir + "/ingest-" + format),
                      spark,
                      "--table",
                      Tables.PREDICTION_LOG,
                      "--format",
                      format,
                      "--path",
                      path,
                      "--run-id",
                      "bench-" + format));
      System.err.println("bench: " + ir.output());
      if (Long.parseLong(ir.summary().get("written")) != written.predictions()) {
        throw new IllegalStateException(
            "ingest wrote "
                + ir.summary().get("written")
                + " of "
                + written.predictions()
                + " rows");
      }
    }
    Scratch.delete(Path.of(dir));
    return written;
  }

  /**
   * {@code rows} rows of random values in the table's columns (unique request ids, times spread
   * over the days, a date derived from the row's time, short strings of 8 values, normal doubles,
   * two-score arrays), appended to the table's folder under {@code warehouse} with its partitions.
   */
  static void writeRandom(
      SparkSession spark, TableSpec table, long rows, LocalDate start, int days, String warehouse) {
    long span = days * 86_400L;
    Column time =
        timestamp_seconds(
            lit(start.toEpochDay() * 86_400L)
                .plus(col("id").multiply(span).divide(rows).cast("long")));
    List<Column> columns = new ArrayList<>();
    int seed = 1;
    for (StructField f : table.schema().fields()) {
      String name = f.name();
      Column c;
      if (name.equals(REQUEST_ID)) {
        c = concat(lit("req-"), col("id").cast("string"));
      } else if (f.dataType().equals(DataTypes.TimestampType)) {
        c = time;
      } else if (f.dataType().equals(DataTypes.DateType)) {
        c = to_date(time);
      } else if (f.dataType().equals(DataTypes.StringType)) {
        c = concat(lit(name + "-"), floor(rand(seed++).multiply(8)).cast("string"));
      } else if (f.dataType().equals(DataTypes.DoubleType)) {
        c = randn(seed++);
      } else if (f.dataType() instanceof ArrayType) {
        Column p = rand(seed++);
        c = array(lit(1.0).minus(p), p);
      } else {
        throw new IllegalArgumentException("no random values for " + f);
      }
      columns.add(c.as(name));
    }
    spark
        .range(0, rows, 1, 8)
        .select(columns.toArray(Column[]::new))
        .write()
        .format("delta")
        .mode("append")
        .partitionBy(table.partitionColumns().toArray(String[]::new))
        .save(warehouse + "/" + table.name());
  }

  /** The generated predictions as landing files a logging system writes: JSON lines and Parquet. */
  static void exportSources(SparkSession spark, String table, String dir) {
    Dataset<Row> log = spark.read().format("delta").load(table).repartition(8);
    log.write().mode("overwrite").json(dir + "/source.json");
    log.write().mode("overwrite").parquet(dir + "/source.parquet");
  }

  private static <T> T time(Map<String, List<Double>> s, String key, Callable<T> body)
      throws Exception {
    long t0 = System.nanoTime();
    T out = body.call();
    double secs = (System.nanoTime() - t0) / 1e9;
    System.err.printf(
        Locale.ROOT, "bench: %s%s: %.2f s%n", s == null ? "(warm-up) " : "", key, secs);
    if (s != null) {
      s.computeIfAbsent(key, k -> new ArrayList<>()).add(secs);
    }
    return out;
  }

  private static void report(
      long rows, Generated generated, int repeats, Map<String, List<Double>> s) {
    System.out.println("## Loading throughput (bench/ingest)");
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Commit %s, `%s`: generate of %,d rows (%,d predictions and %,d labels written), Spark"
            + " local[2]; best of %d.%n%n",
        System.getProperty("lakeloop.bench.commit", "unknown"),
        System.getProperty("lakeloop.bench.command", "bench/ingest"),
        rows,
        generated.predictions(),
        generated.labels(),
        repeats);
    System.out.println("| contender | best s | predictions/s (best) |");
    System.out.println("| --- | ---: | ---: |");
    for (Map.Entry<String, List<Double>> e : s.entrySet()) {
      double b = ScoreBench.best(e.getValue());
      System.out.printf(
          Locale.ROOT, "| %s | %.1f | %,.0f |%n", e.getKey(), b, generated.predictions() / b);
    }
    System.out.println();
    ratio(
        s,
        "generate (prediction_log and labels)",
        "spark.range: the same rows, random columns of the same schemas",
        "generate / spark.range",
        2.0);
    ratio(
        s,
        "lakeloop ingest from json",
        "plain Delta append from json",
        "ingest / plain append, JSON",
        2.0);
    ratio(
        s,
        "lakeloop ingest from parquet",
        "plain Delta append from parquet",
        "ingest / plain append, Parquet",
        2.0);
  }

  private static void ratio(
      Map<String, List<Double>> s, String ours, String floor, String label, double target) {
    double r = ScoreBench.best(s.get(ours)) / ScoreBench.best(s.get(floor));
    System.out.printf(
        Locale.ROOT,
        "- %s: **%.2fx** (target <= %.1fx: %s)%n",
        label,
        r,
        target,
        r <= target ? "met" : "**not met**");
  }
}
