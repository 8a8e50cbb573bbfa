package io.lakeloop.monitoring.evaluate;

import java.io.Serializable;
import java.util.Comparator;
import java.util.Objects;

/**
 * One model version x window (granularity index into the settings, start in epoch seconds) x slice:
 * the key the evaluation's state is aggregated under. A plain class rather than a record so that
 * Kryo, when a session uses it, can serialize it too.
 */
final class GroupKey implements Serializable, Comparable<GroupKey> {
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

  GroupKey(
      String model,
      String version,
      int granularity,
      long windowStart,
      String sliceKey,
      String sliceValue) {
    this.model = model;
    this.version = version;
    this.granularity = granularity;
    this.windowStart = windowStart;
    this.sliceKey = sliceKey;
    this.sliceValue = sliceValue;
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
