package io.lakeloop.common.table;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The contract of one lakehouse table: its name (also its folder under the warehouse), its schema,
 * its partition columns, and whether lakeloop may add missing nullable columns to an existing table
 * (true only where a model spec adds columns, as in prediction_log).
 */
public record TableSpec(
    String name, StructType schema, List<String> partitionColumns, boolean addMissingColumns) {
  public TableSpec {
    partitionColumns = List.copyOf(partitionColumns);
    for (String p : partitionColumns) {
      if (!List.of(schema.fieldNames()).contains(p)) {
        throw new IllegalArgumentException("partition column " + p + " not in schema of " + name);
      }
    }
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
