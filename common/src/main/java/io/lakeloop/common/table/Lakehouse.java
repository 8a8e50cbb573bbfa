package io.lakeloop.common.table;

import io.delta.tables.DeltaTable;
import io.delta.tables.DeltaTableBuilder;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.fault.Faults;
import io.lakeloop.common.lock.CommitLock;
import io.lakeloop.common.window.Predicate;
import java.net.URI;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.collection.JavaConverters;

/**
 * The lakehouse: one Delta table per {@link TableSpec} at {@code <warehouse>/<name>}, on local disk
 * or {@code s3a://} alike (all I/O goes through Spark and Hadoop's FileSystem). Creates missing
 * tables idempotently, checks existing ones against their contract, reads pinned snapshots and
 * writes with Delta's idempotency tools. Every commit carries the run id as {@code userMetadata}.
 */
public final class Lakehouse {
  private static final Logger LOG = LoggerFactory.getLogger(Lakehouse.class);

  private final SparkSession spark;
  private final String root;
  private final CommitLock lock;

  /** A lakehouse whose commits take no lock (local disk, or one writer at a time). */
  public Lakehouse(SparkSession spark, String warehouse) {
    this(spark, warehouse, CommitLock.NONE);
  }

  /** A lakehouse whose every commit runs inside {@code lock} for its table. */
  public Lakehouse(SparkSession spark, String warehouse, CommitLock lock) {
    this.spark = spark;
    this.root = normalize(warehouse);
    this.lock = lock;
  }

  /** A warehouse without a scheme is a local path, made absolute so the cwd never matters. */
  static String normalize(String warehouse) {
    String w = warehouse.endsWith("/") ? warehouse.substring(0, warehouse.length() - 1) : warehouse;
    URI uri = URI.create(w.replace(" ", "%20"));
    if (uri.getScheme() == null) {
      // Hadoop's own spelling (file:/abs/path); Delta compares locations as strings.
      return "file:" + Paths.get(warehouse).toAbsolutePath().normalize();
    }
    return w;
  }

  public SparkSession spark() {
    return spark;
  }

  /** The warehouse root as a URI (file:/... or s3a://...). */
  public String root() {
    return root;
  }

  public String path(String table) {
    return root + "/" + table;
  }

  /**
   * Runs one Delta transaction on {@code table} (its reads of the table and its commit) inside the
   * table's commit lock: every lakeloop write goes through here.
   */
  public <T> T committing(String table, Supplier<T> transaction) {
    return lock.around(path(table), transaction);
  }

  private void committing(String table, Runnable transaction) {
    committing(
        table,
        () -> {
          transaction.run();
          return null;
        });
  }

  public boolean exists(String table) {
    return latest(table).isPresent();
  }

  /**
   * The table's latest snapshot, straight from its Delta log: Delta caches the log per path and
   * only lists it for commits made since, so asking again (exists, ensure, read, the version after
   * a write) costs a listing, not a Spark job. Empty when there is no Delta table at the path.
   */
  private Optional<org.apache.spark.sql.delta.Snapshot> latest(String table) {
    org.apache.spark.sql.delta.Snapshot s =
        DeltaLog.forTable(spark, path(table)).update(false, Option.empty(), Option.empty());
    return s.version() < 0 ? Optional.empty() : Optional.of(s);
  }

  /**
   * Creates the table if it is missing, otherwise checks it against the contract: a column of
   * another type or another partitioning fails with a message naming the column; for tables that
   * allow it, missing nullable columns are added, NOT NULL is dropped where the contract allows
   * nulls, and the spec's backfills give the added columns their value in the older rows (once:
   * each is recorded in a table property). Idempotent; safe to call at every job start. Cost: a
   * read of the Delta log, no data scan — except the one-time backfill, an UPDATE of the table.
   */
  public void ensure(TableSpec spec) {
    committing(spec.name(), () -> ensureLocked(spec));
  }

  private void ensureLocked(TableSpec spec) {
    String path = path(spec.name());
    if (!exists(spec.name())) {
      try {
        DeltaTableBuilder create =
            DeltaTable.createIfNotExists(spark)
                .location(path)
                .addColumns(spec.schema())
                .partitionedBy(spec.partitionColumns().toArray(new String[0]));
        for (TableSpec.Backfill b : spec.backfills()) {
          create = create.property(b.property(), "true");
        }
        create.execute();
        LOG.info("created table {} at {}", spec.name(), path);
        return;
      } catch (RuntimeException raced) {
        if (!exists(spec.name())) {
          throw new LakeloopException(
              "cannot create table " + spec.name() + " at " + path + ": " + raced.getMessage(),
              raced);
        }
        // Another writer created it first: fall through and check it like any existing table.
      }
    }
    checkAndEvolve(spec, path);
    backfill(spec, path);
  }

  /** Runs the spec's backfills that the table's properties do not record as done. */
  private void backfill(TableSpec spec, String path) {
    for (TableSpec.Backfill b : spec.backfills()) {
      Map<String, String> properties =
          JavaConverters.mapAsJavaMap(latest(spec.name()).orElseThrow().metadata().configuration());
      if (properties.containsKey(b.property())) {
        continue;
      }
      DeltaTable.forPath(spark, path)
          .update(functions.col(b.column()).isNull(), Map.of(b.column(), functions.lit(b.value())));
      spark.sql(
          "ALTER TABLE delta.`" + path + "` SET TBLPROPERTIES ('" + b.property() + "' = 'true')");
      LOG.info(
          "migrated table {}: {} = '{}' in rows written before it",
          spec.name(),
          b.column(),
          b.value());
    }
  }

  private void checkAndEvolve(TableSpec spec, String path) {
    org.apache.spark.sql.delta.Snapshot snapshot =
        latest(spec.name())
            .orElseThrow(
                () -> new LakeloopException("table " + spec.name() + " vanished at " + path));
    StructType actual = snapshot.schema();
    List<StructField> missing = new ArrayList<>();
    for (StructField expected : spec.schema().fields()) {
      Optional<StructField> found = field(actual, expected.name());
      if (found.isEmpty()) {
        missing.add(expected);
      } else if (!sameType(found.get().dataType(), expected.dataType())) {
        throw new LakeloopException(
            "table "
                + spec.name()
                + " at "
                + path
                + " has column '"
                + expected.name()
                + "' of type "
                + found.get().dataType().simpleString()
                + " but lakeloop expects "
                + expected.dataType().simpleString()
                + "; the table was written by something else or an incompatible version: point"
                + " lakeloop.warehouse elsewhere or migrate the column");
      }
    }
    List<String> partitions =
        new ArrayList<>(JavaConverters.seqAsJavaList(snapshot.metadata().partitionColumns()));
    if (!partitions.equals(spec.partitionColumns())) {
      throw new LakeloopException(
          "table "
              + spec.name()
              + " at "
              + path
              + " is partitioned by "
              + partitions
              + " but lakeloop expects "
              + spec.partitionColumns()
              + "; recreate it or point lakeloop.warehouse elsewhere");
    }
    if (spec.addMissingColumns()) {
      for (StructField expected : spec.schema().fields()) {
        Optional<StructField> found = field(actual, expected.name());
        if (expected.nullable() && found.isPresent() && !found.get().nullable()) {
          spark.sql(
              "ALTER TABLE delta.`"
                  + path
                  + "` ALTER COLUMN `"
                  + expected.name()
                  + "` DROP NOT NULL");
          LOG.info("table {}: column {} may now be null", spec.name(), expected.name());
        }
      }
    }
    if (!missing.isEmpty()) {
      if (!spec.addMissingColumns() || missing.stream().anyMatch(f -> !f.nullable())) {
        throw new LakeloopException(
            "table "
                + spec.name()
                + " at "
                + path
                + " lacks column '"
                + missing.get(0).name()
                + "' ("
                + missing.get(0).dataType().simpleString()
                + "); it was created by an incompatible version: migrate it or point"
                + " lakeloop.warehouse elsewhere");
      }
      StringBuilder ddl = new StringBuilder();
      for (StructField f : missing) {
        ddl.append(ddl.length() == 0 ? "" : ", ")
            .append('`')
            .append(f.name())
            .append("` ")
            .append(f.dataType().sql());
      }
      spark.sql("ALTER TABLE delta.`" + path + "` ADD COLUMNS (" + ddl + ")");
      LOG.info("added columns {} to table {}", ddl, spec.name());
    }
  }

  private static Optional<StructField> field(StructType schema, String name) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** Types equal up to nullability (Delta enforces NOT NULL itself). */
  static boolean sameType(DataType a, DataType b) {
    return DataType.equalsIgnoreNullability(a, b);
  }

  /** The latest committed version of a table, or empty if it does not exist. */
  public Optional<Long> latestVersion(String table) {
    return latest(table).map(org.apache.spark.sql.delta.Snapshot::version);
  }

  /** A table pinned at the version read, so a job's inputs can be recorded and re-read. */
  public record Snapshot(String table, long version, Dataset<Row> data) {}

  /** Reads the latest version of a table, pinned (time travel) so later commits don't leak in. */
  public Snapshot read(String table) {
    return readIfExists(table)
        .orElseThrow(
            () ->
                new LakeloopException(
                    "table "
                        + table
                        + " does not exist at "
                        + path(table)
                        + "; run the job that creates it first (e.g. bin/lakeloop generate or"
                        + " ingest) or check lakeloop.warehouse"));
  }

  /** {@link #read} when the table exists; empty when there is no Delta table at its path. */
  public Optional<Snapshot> readIfExists(String table) {
    return latestVersion(table).map(v -> new Snapshot(table, v, readAt(table, v)));
  }

  /** Reads a table as of a version (Delta time travel). */
  public Dataset<Row> readAt(String table, long version) {
    return spark.read().format("delta").option("versionAsOf", version).load(path(table));
  }

  /**
   * Appends once: Delta skips the commit if this (appId, txnVersion) was already committed, so a
   * retried task or a rerun of the same run adds nothing. Returns the table's version after.
   */
  public long appendOnce(
      Dataset<Row> rows, TableSpec spec, String runId, String appId, long txnVersion) {
    return committing(
        spec.name(),
        () -> {
          appending(rows, spec, runId)
              .option("txnAppId", appId)
              .option("txnVersion", txnVersion)
              .save(path(spec.name()));
          return latestVersion(spec.name()).orElseThrow();
        });
  }

  /**
   * Appends the rows as they are: for insert-only logs (the job_runs ledger) where every call is a
   * new fact, so a repeated call adds a repeated fact rather than a duplicate to guard against. A
   * blind append (the commit reads nothing), so concurrent appends never conflict.
   */
  public void append(Dataset<Row> rows, TableSpec spec, String runId) {
    committing(spec.name(), () -> appending(rows, spec, runId).save(path(spec.name())));
  }

  /** A Delta append of the rows (through the table's fault point) tagged with the run id. */
  private static DataFrameWriter<Row> appending(Dataset<Row> rows, TableSpec spec, String runId) {
    return faultable(rows, spec.name())
        .write()
        .format("delta")
        .mode("append")
        .option("optimizeWrite", spec.optimizedWrites())
        .option("userMetadata", runId);
  }

  /**
   * Atomically replaces exactly the rows matching {@code predicate} (e.g. one window's dates) with
   * {@code rows}; rerunning with the same rows leaves the same content. Returns the version.
   */
  public long replaceWhere(Dataset<Row> rows, TableSpec spec, Predicate predicate, String runId) {
    return committing(
        spec.name(),
        () -> {
          faultable(rows, spec.name())
              .write()
              .format("delta")
              .mode("overwrite")
              .option("replaceWhere", predicate.sql())
              .option("optimizeWrite", spec.optimizedWrites())
              .option("userMetadata", runId)
              .save(path(spec.name()));
          return latestVersion(spec.name()).orElseThrow();
        });
  }

  /**
   * The rows to write, passed through the fault point {@code delta.write:<table>} after each
   * partition's last row when the reliability tests armed it (see {@link Faults}); the rows
   * themselves otherwise.
   */
  private static Dataset<Row> faultable(Dataset<Row> rows, String table) {
    String point = "delta.write:" + table;
    if (!Faults.armed(point)) {
      return rows;
    }
    return rows.mapPartitions(
        (MapPartitionsFunction<Row, Row>) it -> new AfterLast(it, point),
        Encoders.row(rows.schema()));
  }

  /** Hands over a partition's rows, then passes the fault point once they are all taken. */
  private static final class AfterLast implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final String point;
    private boolean passed;

    AfterLast(Iterator<Row> rows, String point) {
      this.rows = rows;
      this.point = point;
    }

    @Override
    public boolean hasNext() {
      boolean more = rows.hasNext();
      if (!more && !passed) {
        passed = true;
        TaskContext task = TaskContext.get();
        Faults.point(point, task == null ? 0 : task.partitionId());
      }
      return more;
    }

    @Override
    public Row next() {
      return rows.next();
    }
  }

  /** Operation metrics (numOutputRows, ...) of the commit at a version. Reads the log only. */
  public Map<String, String> commitMetrics(String table, long version) {
    Dataset<Row> h =
        DeltaTable.forPath(spark, path(table))
            .history()
            .where("version = " + version)
            .select("operationMetrics");
    List<Row> rows = h.collectAsList();
    if (rows.isEmpty() || rows.get(0).isNullAt(0)) {
      return Map.of();
    }
    return new HashMap<>(JavaConverters.mapAsJavaMap(rows.get(0).<String, String>getMap(0)));
  }
}
