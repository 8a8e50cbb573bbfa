package io.lakeloop.common.table;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The contract of one lakehouse table: its name (also its folder under the warehouse), its schema,
 * its partition columns, whether lakeloop may evolve an existing table to it (add missing nullable
 * columns, drop NOT NULL where the contract allows nulls), and the values a column added that way
 * takes in the rows written before it existed.
 */
public record TableSpec(
    String name,
    StructType schema,
    List<String> partitionColumns,
    boolean addMissingColumns,
    List<Backfill> backfills) {

  /**
   * A value given once to an added column in the rows an older version wrote without it (e.g.
   * {@code kind = 'drift'} for alerts written before quality alerts existed). {@link
   * Lakehouse#ensure} runs it at most once per table and records that in the table property {@link
   * #property()}.
   *
   * @param column the added column (nullable in the schema)
   * @param value its value in the older rows
   */
  public record Backfill(String column, String value) {
    /** The table property that says this backfill has run (set at creation for new tables). */
    public String property() {
      return "lakeloop.backfilled." + column;
    }
  }

  public TableSpec {
    partitionColumns = List.copyOf(partitionColumns);
    backfills = List.copyOf(backfills);
    List<String> names = List.of(schema.fieldNames());
    for (String p : partitionColumns) {
      if (!names.contains(p)) {
        throw new IllegalArgumentException("partition column " + p + " not in schema of " + name);
      }
    }
    for (Backfill b : backfills) {
      StructField f = schema.apply(b.column());
      if (!f.nullable() || !addMissingColumns) {
        throw new IllegalArgumentException(
            "backfilled column " + b.column() + " of " + name + " must be an addable column");
      }
    }
  }

  public TableSpec(
      String name, StructType schema, List<String> partitionColumns, boolean addMissingColumns) {
    this(name, schema, partitionColumns, addMissingColumns, List.of());
  }

  /**
   * Whether writes go through Delta's optimized write (rows shuffled by partition value first, so a
   * write leaves about one file per date rather than one per task and date). The row logs
   * (prediction_log, labels): every later job scans them, and each file costs its own open (on S3 a
   * HEAD and a GET or two, about 60 of each per prediction_log file over the quick demo on S3) —
   * with one file per date that demo's requests fell from ~40,000 to ~18,000 and the demo took 191
   * s instead of 280 s (docs/TESTING.md, "Optimized writes"); the per-file cost is also what was
   * left of the 600-day backfill's scans (bench/RESULTS.md, backfill). eval_metrics and alerts,
   * which evaluate writes and then reads back in the same run (the quality checks): in a 600-day
   * backfill the 4,800 files of one write made those reads cost 40 s, 13 s with one file per date.
   * Not the drift tables: Delta puts all of a write's small dates into one task (one core), and
   * drift's three writes took 62 s instead of 37 s that way (bench/RESULTS.md, backfill). The small
   * tables (the ledger, the registry, ...) are written a few rows at a time, already one file per
   * write.
   */
  public boolean optimizedWrites() {
    return name.equals(Tables.PREDICTION_LOG)
        || name.equals(Tables.LABELS_TABLE)
        || name.equals(Tables.EVAL_METRICS)
        || name.equals(Tables.ALERTS);
  }

  /** A row of this table from values by column name, in schema order; absent columns are null. */
  public Row row(Map<String, Object> values) {
    String[] names = schema.fieldNames();
    Object[] out = new Object[names.length];
    for (int i = 0; i < names.length; i++) {
      out[i] = values.get(names[i]);
    }
    return RowFactory.create(out);
  }
}
