package io.lakeloop.monitoring.drift;

import io.lakeloop.monitoring.ScoreVectors;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Row-level data-quality counts of one window, beside its column profiles: the rows whose score
 * vector is invalid ({@link ScoreVectors}), and the rows whose request_id repeats an earlier row's
 * of the same model version (two versions may score one request: a shadow deployment). A repeat is
 * kept by its row's day and its gap — the days back to the nearest earlier such row, 0 for an
 * earlier row of the same day — so that a window of any start counts exactly the repeats inside it:
 * a row repeats within a window starting on day s when its gap is at most its day − s, and the
 * repeats of a window are its rows minus its distinct request ids. Gaps are counted up to the
 * longest drift window minus one day. Mergeable; one small array per day.
 */
final class RowChecks implements Serializable {
  private static final long serialVersionUID = 1L;

  private long rows;
  private long invalidScores;
  private final TreeMap<Integer, long[]> repeats = new TreeMap<>(); // epoch day -> count by gap
  private boolean repeatsCounted; // whether the rows' request ids were looked at

  /** Counts where the request ids are looked at ({@code repeats} known, zero so far) or not. */
  RowChecks(boolean repeatsCounted) {
    this.repeatsCounted = repeatsCounted;
  }

  /** One row's score vector, checked: invalid or not. */
  void addScores(boolean invalid) {
    rows++;
    if (invalid) {
      invalidScores++;
    }
  }

  /**
   * A row of {@code day} whose nearest earlier row with its request_id is {@code gap} days back.
   */
  void addRepeat(int day, int gap, int maxGap) {
    repeats.computeIfAbsent(day, d -> new long[maxGap + 1])[gap]++;
  }

  /** Adds another window's (or pass's) counts into these; returns this. */
  RowChecks merge(RowChecks o) {
    return merge(o, repeatsCounted && o.repeatsCounted);
  }

  /**
   * Adds the counts of another pass over the same rows (score vectors in one, request ids in the
   * other); returns this.
   */
  RowChecks combine(RowChecks o) {
    return merge(o, repeatsCounted || o.repeatsCounted);
  }

  private RowChecks merge(RowChecks o, boolean counted) {
    repeatsCounted = counted;
    rows += o.rows;
    invalidScores += o.invalidScores;
    o.repeats.forEach(
        (day, counts) ->
            repeats.merge(
                day,
                counts.clone(),
                (a, b) -> {
                  long[] sum = Arrays.copyOf(a, Math.max(a.length, b.length));
                  for (int g = 0; g < b.length; g++) {
                    sum[g] += b[g];
                  }
                  return sum;
                }));
    return this;
  }

  RowChecks copy() {
    return new RowChecks(repeatsCounted).merge(this);
  }

  /** The rows whose score vector was checked. */
  long rows() {
    return rows;
  }

  long invalidScores() {
    return invalidScores;
  }

  /**
   * The rows of the window starting on epoch day {@code start} that repeat an earlier one's id; -1
   * when the request ids were not looked at.
   */
  long repeats(int start) {
    if (!repeatsCounted) {
      return -1;
    }
    long n = 0;
    for (Map.Entry<Integer, long[]> e : repeats.tailMap(start, true).entrySet()) {
      long[] byGap = e.getValue();
      for (int g = 0; g <= Math.min(e.getKey() - start, byGap.length - 1); g++) {
        n += byGap[g];
      }
    }
    return n;
  }

  /** The days with repeats, in order, and their counts by gap (for the profiles table). */
  Map<Integer, long[]> repeatsByDay() {
    return repeats;
  }

  /** Counts as stored: rows, invalid score vectors, and the repeats of each day by gap. */
  static RowChecks of(
      long rows, long invalidScores, boolean repeatsCounted, Map<Integer, long[]> repeatsByDay) {
    RowChecks c = new RowChecks(repeatsCounted);
    c.rows = rows;
    c.invalidScores = invalidScores;
    repeatsByDay.forEach((d, g) -> c.repeats.put(d, g.clone()));
    return c;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("RowChecks{rows=" + rows + ", invalid=" + invalidScores);
    repeats.forEach((d, g) -> s.append(", ").append(d).append('=').append(Arrays.toString(g)));
    return s.append('}').toString();
  }
}
