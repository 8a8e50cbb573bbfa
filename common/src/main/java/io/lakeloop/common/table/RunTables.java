package io.lakeloop.common.table;

import io.lakeloop.common.window.Predicate;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The lakehouse as one run sees it: every table version the run reads or writes through this handle
 * is recorded, and the ledger's {@code inputs} and {@code outputs} of the run are exactly these
 * (the last version seen of each table). Engines take a handle and explicit values (dates, the run
 * id) instead of a job's whole context, so a notebook or a test can run them with {@link #of}.
 * Reads that are checks rather than the run's data (does a table exist, which windows does it hold)
 * go to {@link #lakehouse()} and are not lineage. Safe to use from several threads (drift commits
 * its tables in parallel).
 */
public final class RunTables {
  private final Lakehouse lakehouse;
  private final String runId;
  // by table name: the same run records the same maps however its parallel writes interleave
  private final Map<String, Long> inputs = new TreeMap<>();
  private final Map<String, Long> outputs = new TreeMap<>();

  private RunTables(Lakehouse lakehouse, String runId) {
    this.lakehouse = lakehouse;
    this.runId = runId;
  }

  /** A handle for the run {@code runId} on {@code lakehouse}, with nothing recorded yet. */
  public static RunTables of(Lakehouse lakehouse, String runId) {
    return new RunTables(lakehouse, runId);
  }

  public Lakehouse lakehouse() {
    return lakehouse;
  }

  public SparkSession spark() {
    return lakehouse.spark();
  }

  public String runId() {
    return runId;
  }

  /** The table at its latest version, recorded as an input. */
  public Lakehouse.Snapshot read(String table) {
    Lakehouse.Snapshot s = lakehouse.read(table);
    input(table, s.version());
    return s;
  }

  /** {@link #read} when the table exists; empty (and nothing recorded) when it does not. */
  public Optional<Lakehouse.Snapshot> readIfExists(String table) {
    Optional<Lakehouse.Snapshot> s = lakehouse.readIfExists(table);
    s.ifPresent(snapshot -> input(table, snapshot.version()));
    return s;
  }

  /**
   * {@link Lakehouse#replaceWhere} tagged with the run id; the version is recorded as an output.
   */
  public long replaceWhere(Dataset<Row> rows, TableSpec spec, Predicate predicate) {
    return output(spec.name(), lakehouse.replaceWhere(rows, spec, predicate, runId));
  }

  /** {@link Lakehouse#appendOnce} tagged with the run id; the version is recorded as an output. */
  public long appendOnce(Dataset<Row> rows, TableSpec spec, String appId, long txnVersion) {
    return output(spec.name(), lakehouse.appendOnce(rows, spec, runId, appId, txnVersion));
  }

  /**
   * Records the latest version of a table this run wrote through a writer of its own (the model
   * registry's compare-and-set commits); nothing when the table does not exist.
   */
  public void wrote(String table) {
    lakehouse.latestVersion(table).ifPresent(v -> output(table, v));
  }

  /** Records a version read by other means (a Delta table read at a version). */
  public synchronized void input(String table, long version) {
    inputs.put(table, version);
  }

  private synchronized long output(String table, long version) {
    outputs.put(table, version);
    return version;
  }

  /** The versions read, by table name. */
  public synchronized Map<String, Long> inputs() {
    return Collections.unmodifiableMap(new TreeMap<>(inputs));
  }

  /** The versions written, by table name. */
  public synchronized Map<String, Long> outputs() {
    return Collections.unmodifiableMap(new TreeMap<>(outputs));
  }
}
