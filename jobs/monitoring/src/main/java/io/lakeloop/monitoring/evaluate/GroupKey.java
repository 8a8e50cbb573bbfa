package io.lakeloop.monitoring.evaluate;

import io.lakeloop.monitoring.OrderedMerge;
import java.io.Serializable;
import java.util.Comparator;
import java.util.Objects;

/**
 * One model version x window (granularity index into the settings, start in epoch seconds) x slice:
 * the key the evaluation's state is aggregated under. A plain class rather than a record so that
 * Kryo, when a session uses it, can serialize it too.
 */
final class GroupKey implements Serializable, Comparable<GroupKey>, OrderedMerge.Routed {
  private static final long serialVersionUID = 1L;

  static final Comparator<GroupKey> ORDER =
      Comparator.comparing((GroupKey k) -> k.model)
          .thenComparing(k -> k.version)
          .thenComparingInt(k -> k.granularity)
          .thenComparingLong(k -> k.windowStart)
          .thenComparing(k -> k.sliceKey)
          .thenComparing(k -> k.sliceValue);

  final String model;
  final String version;
  final int granularity;
  final long windowStart;
  final String sliceKey;
  final String sliceValue;
  // whether the slice's values are compared with each other on the reduce side (fairness)
  final boolean grouped;

  GroupKey(
      String model,
      String version,
      int granularity,
      long windowStart,
      String sliceKey,
      String sliceValue) {
    this(model, version, granularity, windowStart, sliceKey, sliceValue, false);
  }

  /**
   * @param grouped the slice's values are compared with each other on the reduce side: every value
   *     of the window's slice goes to the same reducer (see {@link #route})
   */
  GroupKey(
      String model,
      String version,
      int granularity,
      long windowStart,
      String sliceKey,
      String sliceValue,
      boolean grouped) {
    this.model = model;
    this.version = version;
    this.granularity = granularity;
    this.windowStart = windowStart;
    this.sliceKey = sliceKey;
    this.sliceValue = sliceValue;
    this.grouped = grouped;
  }

  /**
   * The reducer route: the key's hash, or for a grouped slice the hash of its window and slice key
   * only, so that all its values meet in one reduce partition, where the sort order puts them next
   * to each other.
   */
  @Override
  public int route() {
    return grouped ? Objects.hash(model, version, granularity, windowStart, sliceKey) : hashCode();
  }

  /** Whether another key is of the same model version, window and slice key. */
  boolean sameSlice(GroupKey o) {
    return o != null
        && granularity == o.granularity
        && windowStart == o.windowStart
        && model.equals(o.model)
        && version.equals(o.version)
        && sliceKey.equals(o.sliceKey);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GroupKey k
        && granularity == k.granularity
        && windowStart == k.windowStart
        && model.equals(k.model)
        && version.equals(k.version)
        && sliceKey.equals(k.sliceKey)
        && sliceValue.equals(k.sliceValue);
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, version, granularity, windowStart, sliceKey, sliceValue);
  }

  @Override
  public int compareTo(GroupKey o) {
    return ORDER.compare(this, o);
  }
}
