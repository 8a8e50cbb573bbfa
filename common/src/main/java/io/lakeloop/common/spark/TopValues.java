package io.lakeloop.common.spark;

import static org.apache.spark.sql.functions.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * The most frequent values of several string columns in one Spark job (an explode of (column,
 * value) pairs, a count per pair, a rank per column): the driver receives at most {@code limit}
 * rows per column. Used for evaluation slices (top-K, the rest folded) and drift categories.
 */
public final class TopValues {
  private TopValues() {}

  private static final String KEY = "_column";
  private static final String VALUE = "_value";
  private static final String COUNT = "_count";
  private static final String RANK = "_rank";

  /**
   * Per column, its values by descending count (ties by value), at most {@code limit} of them.
   * Nulls count as {@code nullValue}, or are left out when it is null. Columns with no value map to
   * an empty list.
   */
  public static Map<String, List<String>> ranked(
      Dataset<Row> rows, List<String> columns, int limit, String nullValue) {
    Map<String, Column> values = new LinkedHashMap<>();
    for (String c : columns) {
      values.put(
          c,
          nullValue == null
              ? col(c).cast("string")
              : coalesce(col(c).cast("string"), lit(nullValue)));
    }
    return ranked(rows, values, limit);
  }

  /**
   * Per named value (a STRING column expression; null values are left out), its values by
   * descending count (ties by value), at most {@code limit} of them, in the same one job.
   */
  public static Map<String, List<String>> ranked(
      Dataset<Row> rows, Map<String, Column> values, int limit) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    values.keySet().forEach(c -> out.put(c, new ArrayList<>()));
    if (values.isEmpty()) {
      return out;
    }
    Column[] members =
        values.entrySet().stream()
            .map(e -> struct(lit(e.getKey()).as(KEY), e.getValue().as(VALUE)))
            .toArray(Column[]::new);
    List<Row> top =
        rows.select(explode(array(members)).as("_m"))
            .select(col("_m." + KEY).as(KEY), col("_m." + VALUE).as(VALUE))
            .where(col(VALUE).isNotNull())
            .groupBy(KEY, VALUE)
            .agg(count(lit(1)).as(COUNT))
            .withColumn(
                RANK,
                row_number().over(Window.partitionBy(KEY).orderBy(col(COUNT).desc(), col(VALUE))))
            .where(col(RANK).leq(limit))
            .orderBy(KEY, RANK)
            .collectAsList();
    for (Row r : top) {
      out.get(r.getString(0)).add(r.getString(1));
    }
    return out;
  }
}
