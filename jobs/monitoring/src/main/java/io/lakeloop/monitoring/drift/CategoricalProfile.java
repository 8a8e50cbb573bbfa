package io.lakeloop.monitoring.drift;

import java.io.Serializable;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mergeable profile of one categorical column over one window: all rows, null rows and the
 * count of each non-null value (the profiler caps the distinct values it counts one by one; the
 * rest share {@link #OVERFLOW}).
 */
public final class CategoricalProfile implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The value that stands for values beyond the distinct ones a profile counts one by one. */
  public static final String OVERFLOW = "__other__";

  private long count;
  private long nullCount;
  private final Map<String, Long> counts;

  public CategoricalProfile(long count, long nullCount, Map<String, Long> counts) {
    this.count = count;
    this.nullCount = nullCount;
    this.counts = new HashMap<>(counts);
  }

  public CategoricalProfile merge(CategoricalProfile o) {
    count += o.count;
    nullCount += o.nullCount;
    o.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
    return this;
  }

  public long count() {
    return count;
  }

  public long nullCount() {
    return nullCount;
  }

  /** Counts of the non-null values (read-only view). */
  public Map<String, Long> counts() {
    return java.util.Collections.unmodifiableMap(counts);
  }

  /**
   * The K most frequent values (ties by value), sorted by value: the category bins of a drift
   * comparison. The profiler's overflow bucket is never one of them.
   */
  public List<String> top(int k) {
    return counts.entrySet().stream()
        .filter(e -> !e.getKey().equals(OVERFLOW))
        .sorted(
            Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(k)
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  @Override
  public String toString() {
    return "CategoricalProfile[count="
        + count
        + ", nulls="
        + nullCount
        + ", values="
        + counts.size()
        + "]";
  }
}
