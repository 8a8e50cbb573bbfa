package io.lakeloop.common.table;

import java.util.List;
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
}
