package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.SLICE_KEY;
import static io.lakeloop.common.schema.Columns.SLICE_VALUE;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * The rows of a window (or of the baseline) that a profile covers: all of them ({@link #ALL}, key
 * and value {@code *}, as in eval_metrics) or those whose slice column {@code key} has the value
 * {@code value}. Stored in profiles and drift_metrics as slice_key and slice_value; rows written
 * before those columns existed (null) cover all rows.
 */
public record Slice(String key, String value) implements Serializable, Comparable<Slice> {
  public static final Slice ALL = new Slice("*", "*");

  private static final Comparator<Slice> ORDER =
      Comparator.comparing((Slice s) -> !s.all())
          .thenComparing(Slice::key)
          .thenComparing(Slice::value);

  boolean all() {
    return equals(ALL);
  }

  /** A stored row's slice: its slice_key and slice_value, ALL when absent or null. */
  static Slice of(Row r) {
    if (!Arrays.asList(r.schema().fieldNames()).contains(SLICE_KEY)
        || r.isNullAt(r.fieldIndex(SLICE_KEY))) {
      return ALL;
    }
    Slice s =
        new Slice(r.getString(r.fieldIndex(SLICE_KEY)), r.getString(r.fieldIndex(SLICE_VALUE)));
    return s.all() ? ALL : s;
  }

  /** Puts the slice into a row's values (slice_key, slice_value). */
  void into(Map<String, Object> values) {
    values.put(SLICE_KEY, key);
    values.put(SLICE_VALUE, value);
  }

  /** All rows first, then by key and value. */
  @Override
  public int compareTo(Slice o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return all() ? "all rows" : key + "=" + value;
  }
}
