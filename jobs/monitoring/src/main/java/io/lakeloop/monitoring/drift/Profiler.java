package io.lakeloop.monitoring.drift;

import io.lakeloop.common.fault.Faults;
import io.lakeloop.monitoring.OrderedMerge;
import io.lakeloop.monitoring.ScoreVectors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Tuple2;

/**
 * Profiles every drift column of many windows in one pass: each input partition folds its rows into
 * one {@link ColumnProfiles} per (model version, day) it meets, and with slice columns one per
 * (model version, day, slice value) too — numeric values binned on the baseline's edges through an
 * {@link EdgeIndex}, categorical values counted exactly up to {@code maxCategories} distinct values
 * per column (rarer ones are counted together as {@link CategoricalProfile#OVERFLOW}) — then one
 * shuffle brings each window's partial profiles together, merged in input partition order so that a
 * rerun adds the same doubles in the same order (identical sums). With slices, all rows' column
 * profiles are the merge of the first slice column's slices (each value is binned once per slice
 * column, not once more for all rows). The driver receives only the merged profiles (columns x
 * windows x slices). One Spark job.
 */
public final class Profiler implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * A window of the fold: a model version (null for a baseline), a day (epoch day) and a slice of
   * its rows.
   */
  public record Key(String version, int day, Slice slice) implements Serializable, Comparable<Key> {
    /** All the rows of a version and day. */
    public Key(String version, int day) {
      this(version, day, Slice.ALL);
    }

    /**
     * By day, then version (a null version — a baseline — after every named one), then slice (all
     * rows first).
     */
    @Override
    public int compareTo(Key o) {
      int c = Integer.compare(day, o.day);
      if (c == 0) {
        c = Objects.toString(version, "").compareTo(Objects.toString(o.version, ""));
      }
      if (c == 0) {
        c = Boolean.compare(version == null, o.version == null);
      }
      return c != 0 ? c : slice.compareTo(o.slice);
    }
  }

  private final List<EdgeIndex> indexes; // per numeric column, its edges' index
  private final int categoricalColumns;
  private final int maxCategories;
  private final Multivariate multivariate; // null: no moments
  private final RowCheckColumns rowChecks;
  private final List<String> sliceColumns;

  /**
   * The numeric columns whose joint moments a profile sums ({@link Moments}): their positions among
   * the numeric columns, a pivot per column subtracted before the products, and how many chunks the
   * rows are spread over by a hash of their values (one for a window).
   */
  public record Multivariate(int[] columns, double[] pivots, int chunks) implements Serializable {}

  /**
   * The row-level checks a pass counts ({@link RowChecks}), from columns after the categorical
   * ones: the score vector (an array of doubles) when {@code scoreClasses} > 0, then — when {@code
   * maxGap} is at least 0 — the gap in days to the nearest earlier row with the same request_id (an
   * int; null when there is none within {@code maxGap} days).
   */
  public record RowCheckColumns(int scoreClasses, double sumTolerance, int maxGap)
      implements Serializable {
    public static final RowCheckColumns NONE = new RowCheckColumns(0, 0, -1);

    boolean any() {
      return scoreClasses > 0 || maxGap >= 0;
    }

    /** How many columns the checks read. */
    int columns() {
      return (scoreClasses > 0 ? 1 : 0) + (maxGap >= 0 ? 1 : 0);
    }
  }

  /**
   * @param edges per numeric column, the baseline's fine edges (sorted, distinct)
   */
  public Profiler(List<double[]> edges, int categoricalColumns, int maxCategories) {
    this(edges, categoricalColumns, maxCategories, null);
  }

  /**
   * @param multivariate the columns whose moments are summed too; null for none
   */
  public Profiler(
      List<double[]> edges, int categoricalColumns, int maxCategories, Multivariate multivariate) {
    this(edges, categoricalColumns, maxCategories, multivariate, RowCheckColumns.NONE);
  }

  /**
   * @param rowChecks the row-level checks counted from the columns after the categorical ones
   */
  public Profiler(
      List<double[]> edges,
      int categoricalColumns,
      int maxCategories,
      Multivariate multivariate,
      RowCheckColumns rowChecks) {
    this(edges, categoricalColumns, maxCategories, multivariate, rowChecks, List.of());
  }

  /**
   * @param sliceColumns the slice columns whose values key profiles of their own besides every
   *     row's (their values, strings, come last in the layout); the row-level checks and moments
   *     are counted over all rows only
   */
  public Profiler(
      List<double[]> edges,
      int categoricalColumns,
      int maxCategories,
      Multivariate multivariate,
      RowCheckColumns rowChecks,
      List<String> sliceColumns) {
    this.rowChecks = rowChecks;
    this.sliceColumns = List.copyOf(sliceColumns);
    this.indexes = edges.stream().map(EdgeIndex::of).toList();
    this.categoricalColumns = categoricalColumns;
    this.maxCategories = maxCategories;
    this.multivariate = multivariate;
  }

  /**
   * Profiles {@code data}: {@code version} and {@code day} (an int epoch day) key the windows,
   * {@code numeric} (doubles) and {@code categorical} (strings) are the columns' values, in the
   * order of the edges and categorical columns given at construction.
   */
  public Map<Key, ColumnProfiles> profile(
      Dataset<Row> data,
      Column version,
      Column day,
      List<Column> numeric,
      List<Column> categorical) {
    return profile(data, version, day, numeric, categorical, List.of());
  }

  /**
   * As above, with the row-level checks' columns ({@link RowCheckColumns}) after the categorical
   * ones.
   */
  public Map<Key, ColumnProfiles> profile(
      Dataset<Row> data,
      Column version,
      Column day,
      List<Column> numeric,
      List<Column> categorical,
      List<Column> checked) {
    return profile(data, version, day, numeric, categorical, checked, List.of());
  }

  /**
   * As above, with each slice column's value (a string, already folded to the values that are
   * slices of their own) after the checks' columns.
   */
  public Map<Key, ColumnProfiles> profile(
      Dataset<Row> data,
      Column version,
      Column day,
      List<Column> numeric,
      List<Column> categorical,
      List<Column> checked,
      List<Column> slices) {
    if (numeric.size() != indexes.size()
        || categorical.size() != categoricalColumns
        || slices.size() != sliceColumns.size()) {
      throw new IllegalArgumentException(
          "profile: "
              + numeric.size()
              + " numeric and "
              + categorical.size()
              + " categorical columns given, the profiler was built for "
              + indexes.size()
              + " and "
              + categoricalColumns);
    }
    List<Column> cols = new ArrayList<>();
    cols.add(version.cast("string"));
    cols.add(day.cast("int"));
    numeric.forEach(c -> cols.add(c.cast("double")));
    categorical.forEach(c -> cols.add(c.cast("string")));
    cols.addAll(checked);
    slices.forEach(c -> cols.add(c.cast("string")));
    return profile(data.select(cols.toArray(Column[]::new)).queryExecution().toRdd().toJavaRDD());
  }

  /**
   * Profiles rows already in the profiler's layout: the model version (string, may be null), the
   * epoch day (int), then the numeric columns (doubles) and the categorical columns (strings), in
   * the order given at construction, the checks' columns and the slice columns' values; nulls
   * allowed in every value column. The rows may be reused buffers (values are copied when kept).
   * One Spark job: a fold per partition, then a merge of each window's partial profiles in
   * partition order.
   */
  public Map<Key, ColumnProfiles> profile(JavaRDD<InternalRow> rows) {
    int reducers = Math.max(1, Math.min(rows.getNumPartitions(), 8));
    Profiler self = this;
    List<Tuple2<Key, ColumnProfiles>> merged =
        OrderedMerge.merge(
                rows.mapPartitionsWithIndex(
                        (p, it) -> {
                          Faults.point("scan", p);
                          return self.fold(p, it);
                        },
                        false)
                    .mapToPair(t -> t),
                reducers,
                ColumnProfiles::merge,
                (Key key, ColumnProfiles profiles) ->
                    List.of(new Tuple2<>(key, profiles)).iterator())
            .collect();
    Map<Key, ColumnProfiles> out = new LinkedHashMap<>();
    merged.stream()
        .sorted(Comparator.comparing((Tuple2<Key, ColumnProfiles> t) -> t._1()))
        .forEach(t -> out.put(t._1(), t._2()));
    if (!sliceColumns.isEmpty()) {
      // all rows' column profiles are the merge of the first slice column's slices (every row
      // is in exactly one of them), in slice order
      String first = sliceColumns.get(0);
      out.forEach(
          (k, p) -> {
            if (!k.slice().all() && k.slice().key().equals(first)) {
              out.get(new Key(k.version(), k.day())).mergeColumns(p);
            }
          });
    }
    return out;
  }

  /** The map side: one partition's rows into per-window profiles. */
  Iterator<Tuple2<OrderedMerge.Tagged<Key>, ColumnProfiles>> fold(
      int partition, Iterator<InternalRow> rows) {
    Map<Key, Acc> open = new LinkedHashMap<>();
    Map<UTF8String, String> versions = new HashMap<>();
    UTF8String lastBytes = null; // the last row's version: rows of one version come in runs
    String version = null;
    Key lastKey = null;
    Acc last = null;
    int slices = sliceColumns.size();
    int sliceAt = 2 + indexes.size() + categoricalColumns + rowChecks.columns();
    // per slice column, its values by a small id; per (version, day), its slices' accumulators
    // by column and id: a row finds its slices' accumulators without building a key
    List<Map<UTF8String, Integer>> ids = new ArrayList<>();
    List<List<Slice>> byId = new ArrayList<>();
    for (int j = 0; j < slices; j++) {
      ids.add(new HashMap<>());
      byId.add(new ArrayList<>());
    }
    Map<Key, Acc[][]> sliceAccs = new HashMap<>();
    Acc[][] lastSlices = null;
    while (rows.hasNext()) {
      InternalRow r = rows.next();
      if (r.isNullAt(0)) {
        version = null;
        lastBytes = null;
      } else {
        UTF8String v = r.getUTF8String(0);
        if (lastBytes == null || !lastBytes.equals(v)) {
          lastBytes = v.clone();
          version = versions.computeIfAbsent(lastBytes, UTF8String::toString);
        }
      }
      int day = r.isNullAt(1) ? Integer.MIN_VALUE : r.getInt(1);
      Acc acc;
      if (lastKey != null && lastKey.day() == day && lastKey.version() == version) {
        acc = last; // versions are shared strings: identity is equality
      } else {
        Key k = new Key(version, day);
        acc = open.computeIfAbsent(k, x -> new Acc(true, slices == 0));
        lastKey = k;
        last = acc;
        lastSlices = slices == 0 ? null : sliceAccs.computeIfAbsent(k, x -> new Acc[slices][0]);
      }
      acc.addRow(r, day);
      for (int j = 0; j < slices; j++) {
        int at = sliceAt + j;
        UTF8String v = r.isNullAt(at) ? NULL_SLICE : r.getUTF8String(at);
        Integer id = ids.get(j).get(v);
        if (id == null) {
          id = byId.get(j).size();
          byId.get(j).add(new Slice(sliceColumns.get(j), v.toString()));
          ids.get(j).put(v.clone(), id);
        }
        Acc[] row = lastSlices[j];
        if (id >= row.length) {
          row = java.util.Arrays.copyOf(row, id + 1);
          lastSlices[j] = row;
        }
        Acc a = row[id];
        if (a == null) {
          a =
              open.computeIfAbsent(
                  new Key(version, day, byId.get(j).get(id)), x -> new Acc(false, true));
          row[id] = a;
        }
        a.addRow(r, day);
      }
    }
    List<Tuple2<OrderedMerge.Tagged<Key>, ColumnProfiles>> out = new ArrayList<>(open.size());
    open.forEach(
        (k, a) -> out.add(new Tuple2<>(new OrderedMerge.Tagged<>(k, partition, 0), a.profiles())));
    return out.iterator();
  }

  /**
   * One window's accumulators within a partition. Numeric values wait in a small buffer per column
   * and are binned a block at a time, column by column: one column's edges, index and bins stay in
   * the CPU cache for the whole block instead of every column's competing for it on every row. Each
   * column still receives its values in row order, so the sums are the same.
   */
  private final class Acc {
    static final int BLOCK = 1024;

    final NumericProfile[] numeric = new NumericProfile[indexes.size()];
    final double[][] pending = new double[indexes.size()][BLOCK];
    final int[] pendingCount = new int[indexes.size()];
    final long[] count = new long[categoricalColumns];
    final long[] nulls = new long[categoricalColumns];
    final CategoryCounter[] counts = new CategoryCounter[categoricalColumns];
    final Moments moments;
    final double[] shifted;
    final RowChecks checks;

    final boolean columns;

    /**
     * @param allRows whether the window is all its rows (a slice's counts no moments or checks)
     * @param columns whether it profiles the columns (all rows' do not when there are slices: they
     *     are the merge of the first slice column's, which saves binning every value twice)
     */
    Acc(boolean allRows, boolean columns) {
      this.columns = columns;
      moments =
          multivariate == null || !allRows
              ? null
              : new Moments(multivariate.columns().length, multivariate.chunks());
      shifted = multivariate == null || !allRows ? null : new double[multivariate.columns().length];
      checks = rowChecks.any() && allRows ? new RowChecks(rowChecks.maxGap() >= 0) : null;
      for (int j = 0; j < numeric.length; j++) {
        numeric[j] = new NumericProfile(indexes.get(j));
      }
      for (int j = 0; j < categoricalColumns; j++) {
        counts[j] = new CategoryCounter(maxCategories);
      }
    }

    /** One row of the layout into the profiles, moments and checks. */
    void addRow(InternalRow r, int day) {
      int numeric = indexes.size();
      if (moments != null) {
        addMoments(r);
      }
      if (checks != null) {
        addChecks(r, 2 + numeric + categoricalColumns, day);
      }
      if (!columns) {
        return;
      }
      for (int j = 0; j < numeric; j++) {
        if (r.isNullAt(2 + j)) {
          this.numeric[j].addNull();
        } else {
          add(j, r.getDouble(2 + j));
        }
      }
      for (int j = 0; j < categoricalColumns; j++) {
        int at = 2 + numeric + j;
        count[j]++;
        if (r.isNullAt(at)) {
          nulls[j]++;
        } else {
          counts[j].add(r.getUTF8String(at));
        }
      }
    }

    void add(int column, double value) {
      int n = pendingCount[column];
      pending[column][n] = value;
      pendingCount[column] = ++n;
      if (n == BLOCK) {
        flush(column);
      }
    }

    void flush(int column) {
      double[] values = pending[column];
      NumericProfile p = numeric[column];
      for (int i = 0, n = pendingCount[column]; i < n; i++) {
        p.add(values[i]);
      }
      pendingCount[column] = 0;
    }

    /** One row into the moments, or counted as incomplete; its chunk from its values' bits. */
    void addMoments(InternalRow r) {
      int[] columns = multivariate.columns();
      long hash = 0x9E3779B97F4A7C15L;
      for (int i = 0; i < columns.length; i++) {
        int at = 2 + columns[i];
        double x = r.isNullAt(at) ? Double.NaN : r.getDouble(at);
        if (!Double.isFinite(x)) {
          moments.skip();
          return;
        }
        shifted[i] = x - multivariate.pivots()[i];
        hash = mix(hash ^ Double.doubleToLongBits(x));
      }
      moments.add(
          multivariate.chunks() == 1
              ? 0
              : (int) Long.remainderUnsigned(hash, multivariate.chunks()),
          shifted);
    }

    /** A row's score vector and request_id gap (from column {@code at} on) into the checks. */
    void addChecks(InternalRow r, int at, int day) {
      if (rowChecks.scoreClasses() > 0) {
        ArrayData scores = r.isNullAt(at) ? null : r.getArray(at);
        checks.addScores(
            ScoreVectors.defect(scores, rowChecks.scoreClasses(), rowChecks.sumTolerance())
                != null);
        at++;
      }
      if (rowChecks.maxGap() >= 0 && !r.isNullAt(at)) {
        checks.addRepeat(day, r.getInt(at), rowChecks.maxGap());
      }
    }

    ColumnProfiles profiles() {
      for (int j = 0; j < numeric.length; j++) {
        flush(j);
      }
      CategoricalProfile[] cat = new CategoricalProfile[categoricalColumns];
      for (int j = 0; j < categoricalColumns; j++) {
        Map<String, Long> values = counts[j].counts();
        if (counts[j].overflow() > 0) {
          values.merge(CategoricalProfile.OVERFLOW, counts[j].overflow(), Long::sum);
        }
        cat[j] = new CategoricalProfile(count[j], nulls[j], values);
      }
      return new ColumnProfiles(numeric, cat, moments, checks);
    }
  }

  /** A null slice value, as evaluate names it. */
  private static final UTF8String NULL_SLICE =
      UTF8String.fromString(io.lakeloop.monitoring.evaluate.Evaluator.NULL_VALUE);

  /** A 64-bit finalizer (MurmurHash3's fmix64): spreads a row's value bits over its chunks. */
  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb93fe53ec91aL;
    return h ^ (h >>> 33);
  }
}
