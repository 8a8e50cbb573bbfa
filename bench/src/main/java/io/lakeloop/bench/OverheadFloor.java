package io.lakeloop.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * The floor of bench/overhead: what any Spark job over the lakehouse pays before doing anything of
 * its own. A fresh JVM starts lakeloop's Delta-enabled session (the same settings as every job),
 * reads one day of prediction_log (a count of its rows: the Delta log, the file listing and the
 * day's Parquet files) and appends one row to a scratch Delta table. Prints one line: {@code floor
 * session=S read=S append=S rows=N}. Usage: {@code OverheadFloor --config FILE --warehouse W --date
 * D --scratch PATH}.
 */
public final class OverheadFloor {
  private OverheadFloor() {}

  public static void main(String[] args) {
    String config = value(args, "--config");
    String warehouse = value(args, "--warehouse");
    String date = value(args, "--date");
    String scratch = value(args, "--scratch");
    LakeloopConfig cfg =
        ConfigLoader.load(
            Optional.of(Path.of(config)),
            List.of("lakeloop.warehouse=\"" + warehouse.replace("\"", "\\\"") + "\""));
    long t0 = System.nanoTime();
    SparkSession spark = Sessions.create(cfg);
    long t1 = System.nanoTime();
    Lakehouse lh = new Lakehouse(spark, cfg.warehouse());
    long rows =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(col("event_date").equalTo(lit(Date.valueOf(date))))
            .count();
    long t2 = System.nanoTime();
    spark
        .range(1)
        .withColumn("at", lit(Timestamp.from(Instant.now())))
        .write()
        .format("delta")
        .mode("append")
        .save(scratch);
    long t3 = System.nanoTime();
    System.out.println(
        String.format(
            Locale.ROOT,
            "floor session=%.2f read=%.2f append=%.2f rows=%d",
            (t1 - t0) / 1e9,
            (t2 - t1) / 1e9,
            (t3 - t2) / 1e9,
            rows));
    spark.stop();
  }

  private static String value(String[] args, String flag) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(flag)) {
        return args[i + 1];
      }
    }
    throw new IllegalArgumentException("OverheadFloor needs " + flag);
  }
}
