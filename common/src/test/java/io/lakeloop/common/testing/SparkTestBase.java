package io.lakeloop.common.testing;

import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.Lakehouse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * The one SparkSession of a test JVM (local[2], UI off, 2 shuffle partitions, Delta enabled), built
 * through the product's own {@link Sessions} factory, plus fresh temporary warehouses.
 */
public abstract class SparkTestBase {
  private static SparkSession spark;
  private static Path root;

  protected static synchronized SparkSession spark() {
    if (spark == null) {
      try {
        root = Files.createTempDirectory("lakeloop-test-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      spark = Sessions.create(config(root.resolve("default").toString()));
      Runtime.getRuntime().addShutdownHook(new Thread(spark::stop));
    }
    return spark;
  }

  /** The test config: configs/local.conf (with the demo model) on local[2], at a warehouse. */
  protected static LakeloopConfig config(String warehouse, String... overrides) {
    List<String> sets = new ArrayList<>();
    sets.add("lakeloop.warehouse=\"" + warehouse + "\"");
    sets.add("lakeloop.spark.master=\"local[2]\"");
    sets.add("lakeloop.spark.conf.\"spark.sql.shuffle.partitions\"=\"2\"");
    sets.add("lakeloop.spark.conf.\"spark.default.parallelism\"=\"2\"");
    sets.addAll(Arrays.asList(overrides));
    return ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), sets);
  }

  /** A new empty warehouse folder for one test. */
  protected static String newWarehouse(String name) {
    spark();
    try {
      return Files.createTempDirectory(root, name + "-").toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  protected static Lakehouse newLakehouse(String name) {
    return new Lakehouse(spark(), newWarehouse(name));
  }
}
