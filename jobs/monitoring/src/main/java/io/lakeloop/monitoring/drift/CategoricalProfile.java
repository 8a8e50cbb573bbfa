package io.lakeloop.monitoring.drift;

import java.io.Serializable;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mergeable profile of one categorical column over one window: all rows, null rows and the
 * exact count of each non-null value (the profiler caps the distinct values it counts one by one;
 * the rest share {@link #OVERFLOW}, which drift statistics fold into {@code __other__}). Adding a
 * value is one hash-map update; merging costs one update per distinct value of the other profile;
 * the state grows with the distinct values.
 */
public final class CategoricalProfile implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The value that stands for values beyond the distinct ones a profile counts one by one. */
  public static final String OVERFLOW = "__other__";

  private long count;
  private long nullCount;
  private final Map<String, Long> counts;

  /** An empty profile. */
  public CategoricalProfile() {
    this(0, 0, Map.of());
  }

  /**
   * A profile from its stored fields; {@code counts} (copied) holds the non-null values, so they
   * must add up to {@code count - nullCount}.
   *
   * @throws IllegalArgumentException naming the numbers that do not add up
   */
  public CategoricalProfile(long count, long nullCount, Map<String, Long> counts) {
    long values = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (e.getKey() == null || e.getValue() == null || e.getValue() < 0) {
        throw new IllegalArgumentException(
            "category counts need a non-null value and a count ≥ 0; got " + e);
      }
      values += e.getValue();
    }
    if (nullCount < 0 || count != nullCount + values) {
      throw new IllegalArgumentException(
          "inconsistent category profile: count="
              + count
              + " must be nullCount="
              + nullCount
              + " + the value counts ("
              + values
              + ")");
    }
    this.count = count;
    this.nullCount = nullCount;
    this.counts = new HashMap<>(counts);
  }

  /** Counts one row; null counts as a null row. */
  public void add(String value) {
    count++;
    if (value == null) {
      nullCount++;
    } else {
      counts.merge(value, 1L, Long::sum);
    }
  }

  /** Counts one null row. */
  public void addNull() {
    add(null);
  }

  /** Adds another profile of the same column into this one; returns this. */
  public CategoricalProfile merge(CategoricalProfile o) {
    count += o.count;
    nullCount += o.nullCount;
    o.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
    return this;
  }

  /** A copy without the null rows (for columns where null means "not known yet"). */
  public CategoricalProfile withoutNulls() {
    return new CategoricalProfile(count - nullCount, 0, counts);
  }

  public long count() {
    return count;
  }

  public long nullCount() {
    return nullCount;
  }

  /** Counts of the non-null values (read-only view). */
  public Map<String, Long> counts() {
    return Collections.unmodifiableMap(counts);
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

  /**
   * The non-null rows whose value {@code reference} never counted, or −1 without non-null rows.
   * Counted before any folding into bins, so a new value is unseen even where it would share {@code
   * __other__} with values the reference had; the overflow bucket matches the reference's own, so
   * beyond {@code max-categories} distinct values a window's count is a lower bound.
   */
  public long unseenBy(CategoricalProfile reference) {
    if (count == nullCount) {
      return -1;
    }
    long unseen = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (reference.counts.getOrDefault(e.getKey(), 0L) == 0) {
        unseen += e.getValue();
      }
    }
    return unseen;
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
