package io.lakeloop.monitoring.evaluate;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import scala.Tuple2;

/**
 * The map side of the evaluation: folds one input partition's rows into a {@link SliceState} per
 * window x slice it meets, and emits the states tagged with their origin. Each row is read once:
 * its bootstrap weights are drawn once, then it is added to the all-rows slice and to its value's
 * slice of every slice column, for each granularity whose window is in scope.
 *
 * <p>Input rows (built by {@link Evaluator}): model, version, event time (epoch seconds), {@code
 * xxhash64(request_id)}, slice values (one per slice column, already folded), partial values,
 * histogram codes. Memory is bounded: at most {@code memoryBytes} of states are open; beyond that
 * the least recently used state is emitted early (the reduce side merges it with the rest).
 */
final class PartitionStates
    implements Function2<
        Integer, Iterator<InternalRow>, Iterator<Tuple2<GroupKey.Tagged, SliceState>>> {
  private static final long serialVersionUID = 1L;

  /** The shape of every state of one evaluation. */
  record Shape(int partials, int replicates, int histograms, int fineBins, int coarseBins)
      implements Serializable {
    SliceState create() {
      return new SliceState(partials, replicates, histograms, fineBins, coarseBins);
    }

    long bytes() {
      long sums = 8L * (replicates + 1) * partials;
      long fine = 16L * histograms * fineBins;
      long coarse = replicates > 0 ? 16L * (replicates + 1) * histograms * coarseBins : 0;
      return sums + fine + coarse + 64;
    }
  }

  private final Shape shape;
  private final List<Granularity> granularities;
  private final long[] from;
  private final String[] sliceColumns;
  private final long memoryBytes;

  /**
   * @param from per granularity, the earliest window start (epoch seconds) to evaluate
   */
  PartitionStates(
      Shape shape,
      List<Granularity> granularities,
      long[] from,
      List<String> sliceColumns,
      long memoryBytes) {
    this.shape = shape;
    this.granularities = List.copyOf(granularities);
    this.from = from.clone();
    this.sliceColumns = sliceColumns.toArray(String[]::new);
    this.memoryBytes = memoryBytes;
  }

  @Override
  public Iterator<Tuple2<GroupKey.Tagged, SliceState>> call(
      Integer partition, Iterator<InternalRow> rows) {
    return new Folder(partition, rows);
  }

  private final class Folder implements Iterator<Tuple2<GroupKey.Tagged, SliceState>> {
    private final int partition;
    private final Iterator<InternalRow> rows;
    private final Map<GroupKey, SliceState> open = new LinkedHashMap<>(64, 0.75f, true);
    private final ArrayDeque<Tuple2<GroupKey.Tagged, SliceState>> ready = new ArrayDeque<>();
    private final long maxOpen = Math.max(4, memoryBytes / shape.bytes());
    private final int[] weights = new int[shape.replicates() + 1];
    private final int[] nz = new int[shape.partials()];
    private final String[] values = new String[sliceColumns.length];
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
      if (ready.isEmpty() && !open.isEmpty()) {
        open.forEach((k, s) -> emit(k, s));
        open.clear();
      }
      return !ready.isEmpty();
    }

    @Override
    public Tuple2<GroupKey.Tagged, SliceState> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private void emit(GroupKey key, SliceState state) {
      ready.add(new Tuple2<>(new GroupKey.Tagged(key, partition, sequence++), state));
    }

    private void add(InternalRow row) {
      if (row.isNullAt(2)) {
        return; // no event time, no window (prediction_log requires one)
      }
      String model = String.valueOf(row.getUTF8String(0));
      String version = String.valueOf(row.getUTF8String(1));
      long t = row.getLong(2);
      PoissonWeights.weights(row.getLong(3), weights);
      if (sliceColumns.length > 0) {
        ArrayData s = row.getArray(4);
        for (int j = 0; j < values.length; j++) {
          values[j] = String.valueOf(s.getUTF8String(j));
        }
      }
      double[] x = row.getArray(5).toDoubleArray();
      int nonZero = 0;
      for (int i = 0; i < x.length; i++) {
        if (x[i] != 0) {
          nz[nonZero++] = i;
        }
      }
      int[] codes = row.isNullAt(6) ? new int[0] : row.getArray(6).toIntArray();
      for (int g = 0; g < granularities.size(); g++) {
        Granularity gr = granularities.get(g);
        long start =
            Math.floorDiv(t - gr.offsetSeconds(), gr.seconds()) * gr.seconds() + gr.offsetSeconds();
        if (start < from[g]) {
          continue;
        }
        state(new GroupKey(model, version, g, start, Evaluator.ALL, Evaluator.ALL))
            .add(x, nz, nonZero, weights, codes);
        for (int j = 0; j < values.length; j++) {
          state(new GroupKey(model, version, g, start, sliceColumns[j], values[j]))
              .add(x, nz, nonZero, weights, codes);
        }
      }
    }

    private SliceState state(GroupKey key) {
      SliceState s = open.get(key);
      if (s == null) {
        s = shape.create();
        open.put(key, s);
        if (open.size() > maxOpen) {
          Iterator<Map.Entry<GroupKey, SliceState>> eldest = open.entrySet().iterator();
          Map.Entry<GroupKey, SliceState> e = eldest.next();
          eldest.remove();
          emit(e.getKey(), e.getValue());
        }
      }
      return s;
    }
  }

  /** Sends every partial state of a group to the same reducer. */
  static final class ByGroup extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    ByGroup(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return Math.floorMod(((GroupKey.Tagged) key).key.hashCode(), partitions);
    }
  }

  /** The reduce side's order: by group, then by origin (see {@link GroupKey.Tagged}). */
  static final class InMergeOrder implements Comparator<GroupKey.Tagged>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(GroupKey.Tagged a, GroupKey.Tagged b) {
      return GroupKey.Tagged.ORDER.compare(a, b);
    }
  }

  /**
   * The reduce side: merges the sorted partial states of each group, in order, and yields the
   * group's metric rows; holds one group's state at a time.
   */
  static Iterator<org.apache.spark.sql.Row> merged(
      Iterator<Tuple2<GroupKey.Tagged, SliceState>> sorted, MetricRows output) {
    return new Iterator<>() {
      private Tuple2<GroupKey.Tagged, SliceState> pending;
      private Iterator<org.apache.spark.sql.Row> current = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext()) {
          if (pending == null && !sorted.hasNext()) {
            return false;
          }
          Tuple2<GroupKey.Tagged, SliceState> first = pending != null ? pending : sorted.next();
          pending = null;
          GroupKey key = first._1().key;
          SliceState state = first._2();
          while (sorted.hasNext()) {
            Tuple2<GroupKey.Tagged, SliceState> t = sorted.next();
            if (!t._1().key.equals(key)) {
              pending = t;
              break;
            }
            state.merge(t._2());
          }
          current = output.rows(key, state).iterator();
        }
        return true;
      }

      @Override
      public org.apache.spark.sql.Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
  }
}
