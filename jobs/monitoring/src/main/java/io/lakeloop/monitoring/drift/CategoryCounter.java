package io.lakeloop.monitoring.drift;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Exact counts of one column's distinct values within a partition, up to {@code limit} values;
 * values met after the table is full are counted together as overflow. The profiler's inner loop
 * calls {@link #add} once per row, so this is an open-addressing table keyed by the value's bytes:
 * values of up to 8 bytes (most category names) are told apart by their 8-byte prefix and length
 * alone — no hash of the bytes, no byte-by-byte comparison, no allocation on a hit — and longer
 * values fall back to a Murmur3 hash and a comparison of their bytes.
 */
final class CategoryCounter {
  private static final int INITIAL_CAPACITY = 16;

  private final int limit;
  private UTF8String[] keys = new UTF8String[INITIAL_CAPACITY];
  private long[] prefixes = new long[INITIAL_CAPACITY];
  private long[] counts = new long[INITIAL_CAPACITY];
  private int size;
  private long overflow;

  /**
   * @param limit the most distinct values counted apart (≥ 0)
   */
  CategoryCounter(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("a category limit must be ≥ 0; got " + limit);
    }
    this.limit = limit;
  }

  /** Counts one non-null value (its bytes are copied when it is new: rows reuse their buffers). */
  void add(UTF8String value) {
    long prefix = value.getPrefix();
    int n = value.numBytes();
    int mask = keys.length - 1;
    int i = slot(prefix, n, value) & mask;
    while (true) {
      UTF8String k = keys[i];
      if (k == null) {
        insert(i, value, prefix);
        return;
      }
      if (prefixes[i] == prefix && k.numBytes() == n && (n <= Long.BYTES || k.equals(value))) {
        counts[i]++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  private void insert(int i, UTF8String value, long prefix) {
    if (size >= limit) {
      overflow++;
      return;
    }
    keys[i] = value.clone();
    prefixes[i] = prefix;
    counts[i] = 1;
    size++;
    if (2 * size > keys.length) {
      grow();
    }
  }

  /** The table's starting slot for a value: its prefix and length mixed (plus its hash if long). */
  private static int slot(long prefix, int n, UTF8String value) {
    long h = prefix ^ ((long) n << 56);
    if (n > Long.BYTES) {
      h ^= value.hashCode();
    }
    h *= 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }

  private void grow() {
    UTF8String[] oldKeys = keys;
    long[] oldPrefixes = prefixes;
    long[] oldCounts = counts;
    int capacity = oldKeys.length * 2;
    keys = new UTF8String[capacity];
    prefixes = new long[capacity];
    counts = new long[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      UTF8String k = oldKeys[j];
      if (k != null) {
        int i = slot(oldPrefixes[j], k.numBytes(), k) & mask;
        while (keys[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = k;
        prefixes[i] = oldPrefixes[j];
        counts[i] = oldCounts[j];
      }
    }
  }

  /** Values met after {@code limit} distinct ones were counted. */
  long overflow() {
    return overflow;
  }

  /**
   * The counts by value as Java strings, overflow not included (byte strings that are not valid
   * UTF-8 and decode to the same text are added together).
   */
  Map<String, Long> counts() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        out.merge(keys[i].toString(), counts[i], Long::sum);
      }
    }
    return out;
  }
}
