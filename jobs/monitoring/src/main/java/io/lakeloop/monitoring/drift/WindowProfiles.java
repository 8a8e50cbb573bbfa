package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;

/**
 * The stored window profiles of one model on one baseline: reads them back (a day's, a window's, or
 * the merge of a range of days) and turns new ones into rows. Reads only the profiles table's
 * aggregate rows (columns x windows), pruned by window date.
 */
final class WindowProfiles {
  private static final String DAY = "1 day";

  private final List<Row> stored;
  private final String model;
  private final Baseline baseline;
  private final List<DriftColumns.Spec> numeric;
  private final List<DriftColumns.Spec> categorical;
  private final Long sourceVersion;
  private final boolean moments; // windows carry the baseline's features' moments

  /**
   * @param sourceVersion the prediction_log version the run read (recorded in new rows)
   * @param moments whether windows carry their features' moments (multivariate drift)
   */
  WindowProfiles(
      List<Row> stored,
      String model,
      Baseline baseline,
      List<DriftColumns.Spec> numeric,
      List<DriftColumns.Spec> categorical,
      Long sourceVersion,
      boolean moments) {
    this.stored =
        stored.stream()
            .filter(
                r ->
                    ProfileRows.WINDOW.equals(r.getString(r.fieldIndex(PROFILE_KIND)))
                        && baseline.id().equals(r.getString(r.fieldIndex(BASELINE_ID))))
            .toList();
    this.model = model;
    this.baseline = baseline;
    this.numeric = numeric;
    this.categorical = categorical;
    this.sourceVersion = sourceVersion;
    this.moments = moments && baseline.multivariate() != null;
  }

  /** The stored daily profiles of days [from, to], per day, model version and slice. */
  Map<LocalDate, Map<Segment, ColumnProfiles>> days(LocalDate from, LocalDate to) {
    Map<LocalDate, Map<Segment, ColumnProfiles>> out = new TreeMap<>();
    if (to.isBefore(from)) {
      return out;
    }
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      out.put(d, new LinkedHashMap<>());
    }
    Set<ColumnProfiles> withMoments = Collections.newSetFromMap(new IdentityHashMap<>());
    Set<ColumnProfiles> withChecks = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Row r : stored) {
      LocalDate d = r.getDate(r.fieldIndex(WINDOW_DATE)).toLocalDate();
      if (!DAY.equals(r.getString(r.fieldIndex(GRANULARITY)))
          || d.isBefore(from)
          || d.isAfter(to)) {
        continue;
      }
      Segment segment = segment(r);
      ColumnProfiles p = out.get(d).computeIfAbsent(segment, v -> empty(segment.slice()));
      set(p, r, withMoments, withChecks);
    }
    out.values()
        .forEach(m -> m.values().forEach(p -> unknownUnlessSeen(p, withMoments, withChecks)));
    return out;
  }

  /**
   * Per model version and slice, the stored profile of a window (empty if it was never profiled).
   */
  Map<Segment, ColumnProfiles> stored(DriftJob.Window w) {
    Map<Segment, ColumnProfiles> out = new LinkedHashMap<>();
    Set<ColumnProfiles> withMoments = Collections.newSetFromMap(new IdentityHashMap<>());
    Set<ColumnProfiles> withChecks = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Row r : stored) {
      if (w.granularity().label().equals(r.getString(r.fieldIndex(GRANULARITY)))
          && r.getTimestamp(r.fieldIndex(WINDOW_START)).toInstant().equals(w.start())) {
        Segment segment = segment(r);
        set(out.computeIfAbsent(segment, v -> empty(segment.slice())), r, withMoments, withChecks);
      }
    }
    out.values().forEach(p -> unknownUnlessSeen(p, withMoments, withChecks));
    return out;
  }

  /**
   * One read of the profiles a run needs: the model's baseline rows and its window rows with a
   * window date in [from, to]. Aggregates only (columns x windows rows).
   */
  static List<Row> read(Lakehouse lh, String model, LocalDate from, LocalDate to) {
    return read(lh, model, col(WINDOW_DATE).between(from.toString(), to.toString()));
  }

  /** The model's baseline rows and the window rows that {@code windows} selects. */
  static List<Row> read(Lakehouse lh, String model, Column windows) {
    if (!lh.exists(Tables.PROFILES)) {
      return List.of();
    }
    return lh.read(Tables.PROFILES)
        .data()
        .where(
            col(MODEL_NAME)
                .equalTo(model)
                .and(
                    col(PROFILE_KIND)
                        .equalTo(ProfileRows.BASELINE)
                        .or(col(PROFILE_KIND).equalTo(ProfileRows.WINDOW).and(windows))))
        .collectAsList();
  }

  /** The baseline rows among the rows {@link #read} returned. */
  static List<Row> baselineRows(List<Row> rows) {
    return rows.stream()
        .filter(r -> ProfileRows.BASELINE.equals(r.getString(r.fieldIndex(PROFILE_KIND))))
        .toList();
  }

  /**
   * A stored window without a moments row (written while multivariate drift was off) has unknown
   * moments, not zero ones; without a row-checks row (written before drift counted them), unknown
   * row-level counts.
   */
  private static void unknownUnlessSeen(
      ColumnProfiles p, Set<ColumnProfiles> withMoments, Set<ColumnProfiles> withChecks) {
    if (!withMoments.contains(p)) {
      p.moments = null;
    }
    if (!withChecks.contains(p)) {
      p.checks = null;
    }
  }

  /** Puts one stored column profile into its place. */
  private void set(
      ColumnProfiles p, Row r, Set<ColumnProfiles> withMoments, Set<ColumnProfiles> withChecks) {
    if (ProfileRows.isRowChecks(r)) {
      p.checks = ProfileRows.rowChecksOf(r);
      withChecks.add(p);
      return;
    }
    if (ProfileRows.isMultivariate(r)) {
      if (moments) {
        p.moments = ProfileRows.momentsOf(r);
        withMoments.add(p);
      }
      return;
    }
    String column = r.getString(r.fieldIndex(COLUMN));
    for (int j = 0; j < numeric.size(); j++) {
      if (numeric.get(j).name().equals(column)) {
        p.numeric[j] = ProfileRows.numericOf(r);
      }
    }
    for (int j = 0; j < categorical.size(); j++) {
      if (categorical.get(j).name().equals(column)) {
        p.categorical[j] = ProfileRows.categoricalOf(r);
      }
    }
  }

  private static Segment segment(Row r) {
    return new Segment(
        r.isNullAt(r.fieldIndex(MODEL_VERSION)) ? null : r.getString(r.fieldIndex(MODEL_VERSION)),
        Slice.of(r));
  }

  /**
   * Profiles with no rows, on the baseline's edges; a slice's count no moments or row-level checks
   * (those are kept for all rows).
   */
  ColumnProfiles empty(Slice slice) {
    return new ColumnProfiles(
        numeric.stream()
            .map(c -> new NumericProfile(baseline.fineEdges(c.name())))
            .toArray(NumericProfile[]::new),
        categorical.stream()
            .map(c -> new CategoricalProfile(0, 0, Map.of()))
            .toArray(CategoricalProfile[]::new),
        moments && slice.all() ? new Moments(baseline.multivariate().columns().size(), 1) : null,
        slice.all() ? new RowChecks(true) : null);
  }

  /**
   * The rows of one window's profiles of one version and slice (columns missing from the data left
   * out).
   */
  List<Row> rows(
      DriftJob.Window w, Segment segment, ColumnProfiles p, List<String> missing, String runId) {
    ProfileRows.Meta m =
        new ProfileRows.Meta(
            model,
            segment.version(),
            ProfileRows.WINDOW,
            w.granularity().label(),
            w.start(),
            w.end(),
            Tables.PREDICTION_LOG,
            sourceVersion,
            baseline.id(),
            runId,
            w.startDate(),
            segment.slice());
    List<Row> out = new ArrayList<>();
    for (int j = 0; j < numeric.size(); j++) {
      String c = numeric.get(j).name();
      if (!missing.contains(c)) {
        out.add(ProfileRows.numeric(m, c, p.numeric[j], null));
      }
    }
    for (int j = 0; j < categorical.size(); j++) {
      String c = categorical.get(j).name();
      if (!missing.contains(c)) {
        out.add(ProfileRows.categorical(m, c, p.categorical[j]));
      }
    }
    if (moments && p.moments != null) {
      Baseline.Multivariate b = baseline.multivariate();
      out.add(ProfileRows.multivariate(m, b.columns(), b.pivots(), p.moments));
    }
    if (p.checks != null) {
      out.add(ProfileRows.rowChecks(m, p.checks, (int) w.startDate().toEpochDay()));
    }
    return out;
  }
}
