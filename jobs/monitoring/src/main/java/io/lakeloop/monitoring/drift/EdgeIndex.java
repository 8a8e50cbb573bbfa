package io.lakeloop.monitoring.drift;

import java.io.Serializable;

/**
 * Finds a value's bin on sorted, distinct, finite edges — the number of edges ≤ v, as {@link
 * NumericProfile#bin} defines it — in a few steps instead of a binary search over every edge.
 *
 * <p>A table splits [first edge, last edge] into equal-width buckets and records, per bucket, where
 * its edges start. The bucket of a value is {@code (int) ((v - lo) * scale)}, clamped to the table:
 * rounding in IEEE arithmetic is monotone, so that function never decreases as v grows. Hence every
 * edge in an earlier bucket is below v and every edge in a later bucket is above it, and only the
 * edges of v's own bucket (usually none to two) need comparing: the answer is exact, whatever the
 * rounding, and never slower than the plain binary search by more than two array reads (skewed
 * edges that crowd into one bucket fall back to a binary search within it).
 *
 * <p>Immutable; built once per column and shared by every profile on those edges.
 */
final class EdgeIndex implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Below this many edges a plain binary search is as fast as the table. */
  static final int MIN_EDGES_FOR_TABLE = 16;

  private static final int BUCKETS_PER_EDGE = 2;
  private static final int MAX_BUCKETS = 1 << 16;

  private final double[] edges;
  private final double lo;
  private final double scale;

  /** first[b] = the number of edges in buckets before b; first.length = buckets + 1; or null. */
  private final int[] first;

  private EdgeIndex(double[] edges, double lo, double scale, int[] first) {
    this.edges = edges;
    this.lo = lo;
    this.scale = scale;
    this.first = first;
  }

  /** An index on {@code edges} (sorted ascending, distinct, finite; shared, not copied). */
  static EdgeIndex of(double[] edges) {
    int m = edges.length;
    if (m < MIN_EDGES_FOR_TABLE) {
      return new EdgeIndex(edges, 0, 0, null);
    }
    double lo = edges[0];
    double range = edges[m - 1] - lo;
    int buckets = Math.min(MAX_BUCKETS, m * BUCKETS_PER_EDGE);
    double scale = buckets / range;
    if (!(range > 0) || !Double.isFinite(range) || !(scale > 0) || !Double.isFinite(scale)) {
      return new EdgeIndex(edges, 0, 0, null); // a span no double arithmetic can split evenly
    }
    EdgeIndex shape = new EdgeIndex(edges, lo, scale, new int[buckets + 1]);
    int[] first = shape.first;
    int e = 0;
    for (int b = 0; b <= buckets; b++) {
      while (e < m && shape.bucket(edges[e]) < b) {
        e++;
      }
      first[b] = e;
    }
    return shape;
  }

  /** The edges indexed (shared: do not change them). */
  double[] edges() {
    return edges;
  }

  /** The bucket of v, clamped to [0, buckets - 1]; monotone non-decreasing in v. */
  private int bucket(double v) {
    double x = (v - lo) * scale;
    int last = first.length - 2;
    if (!(x > 0)) {
      return 0;
    }
    return x >= last ? last : (int) x;
  }

  /** The number of edges ≤ v, for a finite v. */
  int bin(double v) {
    int from = 0;
    int to = edges.length;
    if (first != null) {
      int b = bucket(v);
      from = first[b];
      to = first[b + 1];
    }
    // every edge before `from` is < v and every edge from `to` on is > v
    while (from < to) {
      int mid = (from + to) >>> 1;
      if (edges[mid] <= v) {
        from = mid + 1;
      } else {
        to = mid;
      }
    }
    return from;
  }
}
