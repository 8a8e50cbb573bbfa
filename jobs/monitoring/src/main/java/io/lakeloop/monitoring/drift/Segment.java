package io.lakeloop.monitoring.drift;

/**
 * What one window profile of a drift run describes besides its window: a model version (null for
 * rows without one) and a slice of its rows.
 */
record Segment(String version, Slice slice) {
  static Segment all(String version) {
    return new Segment(version, Slice.ALL);
  }
}
