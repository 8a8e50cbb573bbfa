package io.lakeloop.common.spark;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.S3Settings;
import io.lakeloop.common.config.SparkSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the one SparkSession a lakeloop process uses, with Delta enabled, UTC session time and S3A
 * settings from the config. Called once, by the job launcher (or a test base); everything else
 * receives the session as a parameter. Under spark-submit the submitted master and conf take
 * precedence over the config's defaults.
 */
public final class Sessions {
  private Sessions() {}

  /** Creates (or joins) the session for this JVM. */
  public static SparkSession create(LakeloopConfig config) {
    SparkSettings s = config.spark();
    // SparkConf(true) reads the spark.* system properties spark-submit sets.
    SparkConf submitted = new SparkConf(true);
    SparkSession.Builder b = SparkSession.builder().appName(s.appName());
    if (!submitted.contains("spark.master")) {
      b = b.master(s.master());
    }
    for (Map.Entry<String, String> e : deltaAndSessionConf(s, config.s3()).entrySet()) {
      if (!submitted.contains(e.getKey())) {
        b = b.config(e.getKey(), e.getValue());
      }
    }
    return b.getOrCreate();
  }

  /** The settings lakeloop needs on every session, in precedence order (later wins). */
  static Map<String, String> deltaAndSessionConf(SparkSettings s, S3Settings s3) {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    conf.put("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    // Windows, partitions and dates are UTC whatever the machine's zone is.
    conf.put("spark.sql.session.timeZone", "UTC");
    conf.put("spark.ui.enabled", Boolean.toString(s.uiEnabled()));
    conf.put("spark.ui.showConsoleProgress", "false");
    // HotSpot does not JIT-compile methods over 8,000 bytes of bytecode; a whole-stage-generated
    // method that large (the evaluation's per-row columns make one) would run interpreted, several
    // times slower. At this limit Spark generates smaller, split functions for such a stage.
    conf.put("spark.sql.codegen.hugeMethodLimit", "8000");
    // Spark keeps the 100 classes it compiled last (Janino) and compiles a query's code again when
    // it was evicted. One evaluate compiles ~260, so a driver that runs several jobs (batch, demo,
    // Airflow's reruns in one application) compiled everything again each time: a warm evaluate
    // rerun took 17 s instead of 14 s on the demo's 20,000 rows (docs/TESTING.md, "Codegen").
    conf.put("spark.sql.codegen.cache.maxEntries", "1000");
    // The ledger and Delta's history record run ids; Delta checks schemas itself.
    conf.put("spark.databricks.delta.schema.autoMerge.enabled", "false");
    s3.hadoopConf().forEach((k, v) -> conf.put("spark.hadoop." + k, v));
    conf.putAll(s.conf());
    return conf;
  }
}
