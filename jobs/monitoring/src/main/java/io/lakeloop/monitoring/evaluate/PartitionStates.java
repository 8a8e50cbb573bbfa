package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.window.Granularity;
import io.lakeloop.monitoring.OrderedMerge;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Tuple2;

/**
 * The map side of the evaluation: folds one input partition's rows into a {@link SliceState} per
 * window x slice it meets, and emits the states tagged with their origin. Each row is read once:
 * its bootstrap weights are drawn once, then it is added to its value's slice of every slice
 * column, for each granularity whose window is in scope. The all-rows slice is not added to row by
 * row when there is a slice column: every row is in exactly one value's slice of the first slice
 * column (nulls and folded values included), so the all-rows state is the sum of those states,
 * summed as they are emitted. That saves one state update per row and granularity. Where slice
 * values have calibrations of their own (estimated metrics), a row's estimation partials in a slice
 * are its value's, so the all-rows estimate is stratified by the first slice column.
 *
 * <p>Input rows (built by {@link Evaluator}): model, version, event time (epoch seconds), {@code
 * xxhash64(request_id)}, slice values (one per slice column, already folded), prediction, label,
 * scores; {@link RowScorer} turns the last three into partial values and histogram codes. Memory is
 * bounded: at most {@code memoryBytes} of states are open (three quarters for the slices' states, a
 * quarter for the all-rows sums); beyond that the least recently used state is emitted early (the
 * reduce side merges it with the rest).
 */
final class PartitionStates
    implements Function2<
        Integer,
        Iterator<InternalRow>,
        Iterator<Tuple2<OrderedMerge.Tagged<GroupKey>, SliceState>>> {
  private static final long serialVersionUID = 1L;

  /**
   * The shape of every state of one evaluation: per partial whether replicates sum it (see {@link
   * MetricSet.Partial#bootstrap}), replicates, histograms and their fine and coarse bins.
   */
  record Shape(
      List<Boolean> bootstrapped,
      int replicates,
      int histograms,
      int fineBins,
      int coarseBins,
      int estimatedHistograms)
      implements Serializable {
    Shape {
      bootstrapped = List.copyOf(bootstrapped);
    }

    int partials() {
      return bootstrapped.size();
    }

    /** Per partial, its index among the bootstrapped ones, or -1. */
    int[] replicateSlots() {
      int[] slots = new int[partials()];
      int next = 0;
      for (int i = 0; i < slots.length; i++) {
        slots[i] = bootstrapped.get(i) ? next++ : -1;
      }
      return slots;
    }

    SliceState create() {
      return new SliceState(
          replicateSlots(), replicates, histograms, fineBins, coarseBins, estimatedHistograms);
    }

    long bytes() {
      long boot = bootstrapped.stream().filter(b -> b).count();
      long sums = 8L * (partials() + replicates * boot);
      long fine = 16L * (histograms + estimatedHistograms) * fineBins;
      long coarse = replicates > 0 ? 16L * (replicates + 1) * histograms * coarseBins : 0;
      return sums + fine + coarse + 64;
    }
  }

  private static final int RECOUNT = 64;

  private final Shape shape;
  private final RowScorer scorer;
  private final List<Granularity> granularities;
  private final long[] from;
  private final long[][] also;
  private final String[] sliceColumns;
  private final boolean[] grouped;
  private final boolean totalFirst;
  private final long memoryBytes;

  /**
   * @param from per granularity, the earliest window start (epoch seconds) to evaluate
   * @param also per granularity, the starts (epoch seconds, sorted) of older windows to evaluate
   * @param sliceColumns the slice keys, in the order of the input's slice values; a null value
   *     leaves the row out of that slice (a slice expression the row does not satisfy), which only
   *     slices after the first may have
   * @param totalFirst whether every row has a value of the first slice (then the all-rows states
   *     are summed from its states)
   * @param groupedSlices the slice keys whose values are compared with each other (fairness): all
   *     of a window's states of such a key go to one reducer ({@link GroupKey#route})
   */
  PartitionStates(
      Shape shape,
      RowScorer scorer,
      List<Granularity> granularities,
      long[] from,
      long[][] also,
      List<String> sliceColumns,
      List<String> groupedSlices,
      boolean totalFirst,
      long memoryBytes) {
    this.shape = shape;
    this.scorer = scorer;
    this.granularities = List.copyOf(granularities);
    this.from = from.clone();
    this.also = also.clone();
    this.sliceColumns = sliceColumns.toArray(String[]::new);
    this.grouped = new boolean[this.sliceColumns.length];
    for (int j = 0; j < grouped.length; j++) {
      grouped[j] = groupedSlices.contains(this.sliceColumns[j]);
    }
    this.memoryBytes = memoryBytes;
    this.totalFirst = totalFirst;
  }

  @Override
  public Iterator<Tuple2<OrderedMerge.Tagged<GroupKey>, SliceState>> call(
      Integer partition, Iterator<InternalRow> rows) {
    return new Folder(partition, rows);
  }

  private final class Folder
      implements Iterator<Tuple2<OrderedMerge.Tagged<GroupKey>, SliceState>> {
    private final int partition;
    private final Iterator<InternalRow> rows;
    private final Map<GroupKey, SliceState> open = new LinkedHashMap<>(64, 0.75f, true);
    private final ArrayDeque<Tuple2<OrderedMerge.Tagged<GroupKey>, SliceState>> ready =
        new ArrayDeque<>();
    private final long maxTotals = Math.max(2, memoryBytes / shape.bytes() / 4);
    // the open states' bytes: states hold only the bins their rows use (a window of a few rows is
    // small), so the bound is on what they hold, recounted every RECOUNT new states
    private final long openBudget =
        Math.max(4 * shape.bytes(), memoryBytes - maxTotals * shape.bytes());
    private long openBytes;
    private int created;
    private final boolean derivedAll = sliceColumns.length > 0 && totalFirst;
    // the all-rows states summed from the first slice column's emitted states, oldest first
    private final Map<GroupKey, SliceState> totals = new LinkedHashMap<>();
    private final double[] w = new double[shape.replicates() + 1];
    private final double[] x = new double[shape.partials()];
    private final int[] nz = new int[shape.partials()];
    private final int[] codes = new int[shape.histograms()];
    private final double[] custom = new double[scorer.customValues()];
    private final RowScorer.Estimates estimates =
        new RowScorer.Estimates(shape.estimatedHistograms());
    private final RowScorer.Scratch scratch = new RowScorer.Scratch();
    private final String[] values = new String[sliceColumns.length];
    // per slice column, the row as its value's slice sees it when that value has a calibration of
    // its own (the estimation partials differ; see RowScorer.rescore)
    private final int segments = scorer.segmented() ? sliceColumns.length : 0;
    private final boolean[] own = new boolean[sliceColumns.length];
    private final double[][] xOwn = new double[segments][shape.partials()];
    private final int[][] nzOwn = new int[segments][shape.partials()];
    private final int[] nonZeroOwn = new int[segments];
    private final RowScorer.Estimates[] estimatesOwn =
        Stream.generate(() -> new RowScorer.Estimates(shape.estimatedHistograms()))
            .limit(segments)
            .toArray(RowScorer.Estimates[]::new);
    // Per-row allocation savers: strings seen in this partition (model, version, slice values;
    // bounded because slices are folded to their top K), the previous row's model and version
    // (the next row's, nearly always), and per granularity x slice column the states of the
    // previous row's model, version and window by slice value, which later rows mostly hit
    // (an input partition is usually one day). Profiling showed the general lookup (a GroupKey
    // built, hashed and compared per row and slice) at a tenth of the fold's time.
    private final Map<UTF8String, String> strings = new HashMap<>();
    private final UTF8String[] lastBytes = new UTF8String[2];
    private final String[] lastString = new String[2];
    private final int slots = granularities.size() * (sliceColumns.length + 1);
    private final String[] slotModel = new String[slots];
    private final String[] slotVersion = new String[slots];
    private final long[] slotStart = new long[slots];
    private final List<IdentityHashMap<String, SliceState>> slotStates =
        Stream.generate(IdentityHashMap<String, SliceState>::new).limit(slots).toList();
    private int sequence;

    Folder(int partition, Iterator<InternalRow> rows) {
      this.partition = partition;
      this.rows = rows;
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && rows.hasNext()) {
        add(rows.next());
      }
      if (ready.isEmpty() && !(open.isEmpty() && totals.isEmpty())) {
        open.forEach(this::emit);
        open.clear();
        totals.forEach(this::send);
        totals.clear();
      }
      return !ready.isEmpty();
    }

    @Override
    public Tuple2<OrderedMerge.Tagged<GroupKey>, SliceState> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    /** Emits a slice's state, first adding it to its all-rows sum if it is of the first column. */
    private void emit(GroupKey key, SliceState state) {
      if (derivedAll && key.sliceKey.equals(sliceColumns[0])) {
        GroupKey all =
            new GroupKey(
                key.model,
                key.version,
                key.granularity,
                key.windowStart,
                Evaluator.ALL,
                Evaluator.ALL);
        SliceState total = totals.get(all);
        if (total == null) {
          if (totals.size() >= maxTotals) {
            Iterator<Map.Entry<GroupKey, SliceState>> eldest = totals.entrySet().iterator();
            Map.Entry<GroupKey, SliceState> e = eldest.next();
            eldest.remove();
            send(e.getKey(), e.getValue());
          }
          total = shape.create();
          totals.put(all, total);
        }
        total.merge(state);
      }
      send(key, state);
    }

    private void send(GroupKey key, SliceState state) {
      ready.add(new Tuple2<>(new OrderedMerge.Tagged<>(key, partition, sequence++), state));
    }

    private void add(InternalRow row) {
      if (row.isNullAt(2)) {
        return; // no event time, no window (prediction_log requires one)
      }
      String model = repeated(row.getUTF8String(0), 0);
      String version = repeated(row.getUTF8String(1), 1);
      long t = row.getLong(2);
      PoissonWeights.weights(row.getLong(3), w);
      if (sliceColumns.length > 0) {
        ArrayData s = row.getArray(4);
        for (int j = 0; j < values.length; j++) {
          values[j] = s.isNullAt(j) ? null : string(s.getUTF8String(j));
        }
      }
      for (int i = 0; i < custom.length; i++) {
        custom[i] = row.getDouble(8 + i); // never null (CustomMetric.Sum#rowValue)
      }
      scorer.score(
          version,
          row.isNullAt(5) ? null : row.getDouble(5),
          row.isNullAt(6) ? null : row.getDouble(6),
          row.isNullAt(7) ? null : row.getArray(7),
          custom,
          scratch,
          x,
          codes,
          estimates);
      int nonZero = nonZeros(x, nz);
      for (int j = 0; j < segments; j++) {
        own[j] =
            values[j] != null
                && scorer.rescore(
                    version,
                    j,
                    sliceColumns[j],
                    values[j],
                    scratch,
                    x,
                    estimates,
                    xOwn[j],
                    estimatesOwn[j]);
        if (own[j]) {
          nonZeroOwn[j] = nonZeros(xOwn[j], nzOwn[j]);
        }
      }
      int slot = 0;
      for (int g = 0; g < granularities.size(); g++) {
        Granularity gr = granularities.get(g);
        long start =
            Math.floorDiv(t - gr.offsetSeconds(), gr.seconds()) * gr.seconds() + gr.offsetSeconds();
        if (start < from[g] && Arrays.binarySearch(also[g], start) < 0) {
          slot += values.length + 1;
          continue;
        }
        if (!derivedAll) {
          state(slot, model, version, g, start, Evaluator.ALL, Evaluator.ALL, false)
              .add(x, nz, nonZero, w, codes, estimates);
        }
        slot++;
        for (int j = 0; j < values.length; j++) {
          if (values[j] == null) {
            slot++;
            continue; // not in this slice
          }
          SliceState state =
              state(slot++, model, version, g, start, sliceColumns[j], values[j], grouped[j]);
          if (own[j]) {
            state.add(xOwn[j], nzOwn[j], nonZeroOwn[j], w, codes, estimatesOwn[j]);
          } else {
            state.add(x, nz, nonZero, w, codes, estimates);
          }
        }
      }
    }

    /** Writes the indexes of x's non-zero values into nz; answers their number. */
    private static int nonZeros(double[] x, int[] nz) {
      int n = 0;
      for (int i = 0; i < x.length; i++) {
        if (x[i] != 0) {
          nz[n++] = i;
        }
      }
      return n;
    }

    /** {@link #string} for a column whose value rarely changes from row to row. */
    private String repeated(UTF8String u, int column) {
      if (!u.equals(lastBytes[column])) {
        lastString[column] = string(u);
        lastBytes[column] = u.clone(); // the row's bytes are reused for the next row
      }
      return lastString[column];
    }

    /** The row's string, shared with earlier rows' equal strings. */
    private String string(UTF8String u) {
      String s = strings.get(u);
      if (s == null) {
        if (strings.size() > 100_000) {
          strings.clear(); // only with unfolded high-cardinality values; correctness is unaffected
        }
        s = u.toString();
        strings.put(u.clone(), s); // the row's bytes are reused for the next row: copy the key
      }
      return s;
    }

    private SliceState state(
        int slot,
        String model,
        String version,
        int granularity,
        long start,
        String sliceKey,
        String sliceValue,
        boolean grouped) {
      IdentityHashMap<String, SliceState> cached = slotStates.get(slot);
      // strings are shared (see string()), so identity is equality here
      if (slotModel[slot] != model
          || slotVersion[slot] != version
          || slotStart[slot] != start
          || cached.size() > 4096) { // only with unfolded high-cardinality values
        cached.clear();
        slotModel[slot] = model;
        slotVersion[slot] = version;
        slotStart[slot] = start;
      }
      SliceState s = cached.get(sliceValue);
      if (s != null) {
        return s;
      }
      GroupKey key =
          new GroupKey(model, version, granularity, start, sliceKey, sliceValue, grouped);
      s = open.get(key);
      if (s == null) {
        s = shape.create();
        open.put(key, s);
        openBytes += s.bytes();
        if (openBytes > openBudget || ++created % RECOUNT == 0) {
          openBytes = open.values().stream().mapToLong(SliceState::bytes).sum();
          boolean evicted = false;
          Iterator<Map.Entry<GroupKey, SliceState>> eldest = open.entrySet().iterator();
          while (openBytes > openBudget && open.size() > 4) {
            Map.Entry<GroupKey, SliceState> e = eldest.next();
            eldest.remove();
            openBytes -= e.getValue().bytes();
            emit(e.getKey(), e.getValue());
            evicted = true;
          }
          if (evicted) {
            // an emitted state takes no more rows: forget the remembered ones
            slotStates.forEach(Map::clear);
          }
        }
      }
      cached.put(sliceValue, s);
      return s;
    }
  }
}
