package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.LABEL;
import static io.lakeloop.common.schema.Columns.LABEL_TIME;
import static io.lakeloop.common.schema.Columns.REQUEST_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Pairs every prediction with the latest label of its request, in the layout {@link Profiler}
 * reads: the drift job's one join, for the label columns.
 *
 * <p>Sort-based, one shuffle: the predictions' (request_id, version, day) and the labels'
 * (request_id, label_time, values) are unioned, partitioned and sorted within each partition by a
 * 64-bit hash of request_id alone — a single integral key, which Spark sorts by radix instead of by
 * comparisons. One pass over each partition then walks the runs of equal hash (in practice one
 * request each; a hash collision puts several requests in a run, and the run is split by
 * request_id, so the answer stays exact) and gives each request's latest label (greatest
 * label_time; at equal times the greatest label, as {@link
 * io.lakeloop.monitoring.LabeledPredictions#withLabels} picks it) to each of its predictions; a
 * prediction without a label, or without a request_id, gets nulls. There is no aggregation or join
 * operator: memory is bounded by the sort, which spills, and by the longest run. The result is what
 * a left join with each request's latest label gives; within a run predictions come out ordered by
 * (request_id, version, day), so reruns feed the profiler the same rows in the same order.
 */
final class LatestLabels {
  private static final String HASH = "_lakeloop_request_hash";
  private static final String IS_LABEL = "_lakeloop_is_label";
  private static final String VERSION = "_lakeloop_version";
  private static final String DAY = "_lakeloop_day";
  private static final String TIE = "_lakeloop_tie";
  private static final int TIE_AT = 6;
  private static final int VALUES_AT = 7;

  private LatestLabels() {}

  /**
   * Rows [version, day, values...], one per row of {@code predictions}. With {@code repeats} (not
   * {@link Repeats#NONE}) each row also ends with the gap in days to the nearest earlier prediction
   * with the same request_id and model version (0: an earlier one of the same day; null: none
   * within {@code repeats.maxGap()} days), and predictions before {@code repeats.firstDay()} — read
   * only so that the first days' gaps are exact — give no row. The slice values come last.
   *
   * @param version the predictions' model version (cast to string)
   * @param day the predictions' epoch day (cast to int)
   * @param values the label columns as computed from {@code labels} — numeric ones as doubles,
   *     categorical ones as strings, in the profiler's order
   * @param numericValues how many of {@code values} (the first ones) are numeric
   * @param slices the predictions' slice values (strings), carried to the end of each row
   */
  static JavaRDD<InternalRow> rows(
      Dataset<Row> predictions,
      Column version,
      Column day,
      Dataset<Row> labels,
      List<Column> values,
      int numericValues,
      Repeats repeats,
      List<Column> slices) {
    return rows(
        predictions,
        version,
        day,
        labels,
        values,
        numericValues,
        repeats,
        slices,
        xxhash64(col(REQUEST_ID)));
  }

  /**
   * Whether and how far back repeated request ids are looked for: gaps up to {@code maxGap} days
   * (negative: not at all), for predictions from epoch day {@code firstDay} on.
   */
  record Repeats(int maxGap, int firstDay) implements java.io.Serializable {
    static final Repeats NONE = new Repeats(-1, Integer.MIN_VALUE);
  }

  /** As above with the hash of request_id given (tests pass a poor one to force collisions). */
  static JavaRDD<InternalRow> rows(
      Dataset<Row> predictions,
      Column version,
      Column day,
      Dataset<Row> labels,
      List<Column> values,
      int numericValues,
      Repeats repeats,
      List<Column> slices,
      Column hash) {
    List<Column> predictionSide = new ArrayList<>();
    List<Column> labelSide = new ArrayList<>();
    predictionSide.addAll(
        List.of(
            col(REQUEST_ID),
            hash.cast("long").as(HASH),
            lit(false).as(IS_LABEL),
            version.cast("string").as(VERSION),
            day.cast("int").as(DAY),
            lit(null).cast("timestamp").as(LABEL_TIME),
            lit(null).cast("double").as(TIE)));
    labelSide.addAll(
        List.of(
            col(REQUEST_ID),
            hash.cast("long").as(HASH),
            lit(true).as(IS_LABEL),
            lit(null).cast("string").as(VERSION),
            lit(null).cast("int").as(DAY),
            col(LABEL_TIME).cast("timestamp").as(LABEL_TIME),
            col(LABEL).cast("double").as(TIE)));
    for (int i = 0; i < values.size(); i++) {
      String type = i < numericValues ? "double" : "string";
      predictionSide.add(lit(null).cast(type).as("_lakeloop_value_" + i));
      labelSide.add(values.get(i).cast(type).as("_lakeloop_value_" + i));
    }
    for (int i = 0; i < slices.size(); i++) {
      predictionSide.add(slices.get(i).cast("string").as("_lakeloop_slice_" + i));
      labelSide.add(lit(null).cast("string").as("_lakeloop_slice_" + i));
    }
    Dataset<Row> sorted =
        predictions
            .select(predictionSide.toArray(Column[]::new))
            .union(labels.select(labelSide.toArray(Column[]::new)))
            .repartition(col(HASH))
            .sortWithinPartitions(col(HASH));
    int n = values.size();
    int sliceCount = slices.size();
    return sorted
        .queryExecution()
        .toRdd()
        .toJavaRDD()
        .mapPartitions(rows -> new Runs(rows, n, numericValues, repeats, sliceCount));
  }

  /** A prediction waiting for the end of its run, with its slice values. */
  private record Prediction(UTF8String request, UTF8String version, Integer day, Object[] slices)
      implements Comparable<Prediction> {
    private static final Comparator<Prediction> ORDER =
        Comparator.comparing(Prediction::request)
            .thenComparing(Prediction::version, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(Prediction::day, Comparator.nullsFirst(Comparator.naturalOrder()));

    @Override
    public int compareTo(Prediction o) {
      return ORDER.compare(this, o);
    }
  }

  /** A request's latest label so far. */
  private record Latest(long time, double label, Object[] values) {}

  /** The pass over one sorted partition: a run of equal hash in, its predictions out. */
  static final class Runs implements Iterator<InternalRow> {
    private final Iterator<InternalRow> in;
    private final int values;
    private final int numericValues;
    private final ArrayDeque<InternalRow> out = new ArrayDeque<>();
    private final List<Prediction> pending = new ArrayList<>();
    private boolean open;
    private long hash;
    private UTF8String runId; // the run's first request_id (most runs hold no other)
    private Latest runLatest; // its latest label so far
    private final Map<UTF8String, Latest> others = new HashMap<>(); // other ids: hash collisions
    private UTF8String lastVersion;
    private final Repeats repeats;
    private final int slices;

    Runs(Iterator<InternalRow> in, int values, int numericValues, Repeats repeats, int slices) {
      this.in = in;
      this.values = values;
      this.numericValues = numericValues;
      this.repeats = repeats;
      this.slices = slices;
    }

    @Override
    public boolean hasNext() {
      while (out.isEmpty()) {
        if (!in.hasNext()) {
          close();
          return !out.isEmpty();
        }
        InternalRow r = in.next();
        boolean isLabel = r.getBoolean(2);
        if (r.isNullAt(0)) {
          Integer day = day(r);
          if (!isLabel && (day == null || day >= repeats.firstDay())) {
            // no request_id: no label can be found, and no repeat
            emit(version(r), day, null, null, slices(r));
          }
          continue;
        }
        long h = r.getLong(1);
        if (!open || h != hash) {
          close();
          open = true;
          hash = h;
          runId = r.getUTF8String(0).clone();
        }
        UTF8String id = r.getUTF8String(0);
        id = id.equals(runId) ? runId : id.clone();
        if (isLabel) {
          label(id, r);
        } else {
          pending.add(new Prediction(id, version(r), day(r), slices(r)));
        }
      }
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return out.poll();
    }

    /** Ends the current run: each of its predictions with its request's latest label. */
    private void close() {
      if (pending.size() > 1) {
        Collections.sort(pending);
      }
      Integer[] gaps = repeats.maxGap() >= 0 ? gaps() : null;
      for (int i = 0; i < pending.size(); i++) {
        Prediction p = pending.get(i);
        if (p.day() != null && p.day() < repeats.firstDay()) {
          continue; // read for the gaps of later days only
        }
        Latest l = p.request() == runId ? runLatest : others.get(p.request());
        emit(
            p.version(),
            p.day(),
            l == null ? null : l.values(),
            gaps == null ? null : gaps[i],
            p.slices());
      }
      pending.clear();
      others.clear();
      runLatest = null;
      runId = null;
      open = false;
    }

    /**
     * Per pending prediction (sorted by request, version, day), the gap in days to the nearest
     * earlier prediction of its request by the same model version — of k predictions of one day the
     * first has none (or an earlier day's) and the others 0 — or null when there is none within the
     * gap. Two versions scoring one request (a shadow deployment) repeat nothing.
     */
    private Integer[] gaps() {
      Integer[] gaps = new Integer[pending.size()];
      for (int i = 1; i < pending.size(); i++) {
        Prediction a = pending.get(i - 1);
        Prediction b = pending.get(i);
        if (a.day() != null
            && b.day() != null
            && a.request().equals(b.request())
            && Objects.equals(a.version(), b.version())
            && b.day() - a.day() <= repeats.maxGap()) {
          gaps[i] = b.day() - a.day();
        }
      }
      return gaps;
    }

    /** A label row of request {@code id} (the run's own id object, or a copy for another id). */
    private void label(UTF8String id, InternalRow r) {
      long time = r.isNullAt(5) ? Long.MIN_VALUE : r.getLong(5);
      double label = r.isNullAt(TIE_AT) ? Double.NEGATIVE_INFINITY : r.getDouble(TIE_AT);
      Latest best = id == runId ? runLatest : others.get(id);
      if (best != null
          && (time < best.time() || (time == best.time() && !(label > best.label())))) {
        return; // not later, or as late with a label that is not greater
      }
      Object[] v = new Object[values];
      for (int i = 0; i < values; i++) {
        int at = VALUES_AT + i;
        if (!r.isNullAt(at)) {
          v[i] = i < numericValues ? (Object) r.getDouble(at) : r.getUTF8String(at).clone();
        }
      }
      Latest l = new Latest(time, label, v);
      if (id == runId) {
        runLatest = l;
      } else {
        others.put(id, l);
      }
    }

    private void emit(
        UTF8String version, Integer day, Object[] label, Integer gap, Object[] sliceValues) {
      int checks = repeats.maxGap() >= 0 ? 1 : 0;
      Object[] row = new Object[2 + values + checks + slices];
      row[0] = version;
      row[1] = day;
      if (label != null) {
        System.arraycopy(label, 0, row, 2, values);
      }
      if (repeats.maxGap() >= 0) {
        row[2 + values] = gap;
      }
      if (slices > 0) {
        System.arraycopy(sliceValues, 0, row, 2 + values + checks, slices);
      }
      out.add(new GenericInternalRow(row));
    }

    /** The row's version, shared with the previous prediction's when equal (few versions). */
    private UTF8String version(InternalRow r) {
      if (r.isNullAt(3)) {
        return null;
      }
      UTF8String v = r.getUTF8String(3);
      if (lastVersion == null || !lastVersion.equals(v)) {
        lastVersion = v.clone();
      }
      return lastVersion;
    }

    /** A prediction's slice values (copies), or null without slices. */
    private Object[] slices(InternalRow r) {
      if (slices == 0) {
        return null;
      }
      Object[] out = new Object[slices];
      for (int i = 0; i < slices; i++) {
        int at = VALUES_AT + values + i;
        out[i] = r.isNullAt(at) ? null : r.getUTF8String(at).clone();
      }
      return out;
    }

    private static Integer day(InternalRow r) {
      return r.isNullAt(4) ? null : r.getInt(4);
    }
  }
}
