package io.lakeloop.monitoring;

import java.io.Serializable;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import scala.Tuple2;

/**
 * The reduce side both monitoring engines share (evaluate's slice states, drift's column profiles):
 * partial states folded per input partition are brought together per key by one shuffle and merged
 * in a fixed order — by key, then input partition, then the order the partition emitted them — so
 * that a rerun adds the same floating-point numbers in the same order (bit-identical results),
 * whatever the scheduling. Holds one key's state at a time on the reduce side.
 */
public final class OrderedMerge {
  private OrderedMerge() {}

  /**
   * A partial state's key after the map side: the key plus where it came from. A plain class rather
   * than a record so that Kryo, when a session uses it, can serialize it too.
   */
  public static final class Tagged<K extends Comparable<K>> implements Serializable {
    private static final long serialVersionUID = 1L;

    final K key;
    final int partition;
    final int sequence;

    /**
     * @param partition the input partition that folded the state
     * @param sequence the state's position among the states of this key the partition emitted
     */
    public Tagged(K key, int partition, int sequence) {
      this.key = Objects.requireNonNull(key);
      this.partition = partition;
      this.sequence = sequence;
    }

    public K key() {
      return key;
    }
  }

  /**
   * A key that chooses its reducer: keys with the same route meet in one reduce partition (in key
   * order), so that an {@link Output} can combine consecutive keys. Equal keys must route alike.
   */
  public interface Routed {
    int route();
  }

  /**
   * Yields what one key's merged state becomes (metric rows, or the state itself). Keys arrive in
   * order within a reduce partition; an output that combines consecutive keys keeps state in the
   * copy {@link #forPartition} makes and yields what is left in {@link #end}.
   */
  @FunctionalInterface
  public interface Output<K, S, R> extends Serializable {
    Iterator<R> of(K key, S merged);

    /** The output one reduce partition uses (this one when it keeps no state). */
    default Output<K, S, R> forPartition() {
      return this;
    }

    /** What to yield after the partition's last key. */
    default Iterator<R> end() {
      return Collections.emptyIterator();
    }
  }

  /**
   * Merges {@code partials} per key in the fixed order over {@code reducers} reduce partitions and
   * yields {@code output} of each merged state.
   */
  public static <K extends Comparable<K>, S, R> JavaRDD<R> merge(
      JavaPairRDD<Tagged<K>, S> partials,
      int reducers,
      Function2<S, S, S> merge,
      Output<K, S, R> output) {
    return partials
        .repartitionAndSortWithinPartitions(new ByKey(reducers), new InOrder<K>())
        .mapPartitions(sorted -> merged(sorted, merge, output.forPartition()));
  }

  /** The reduce side over one partition's sorted partial states. */
  static <K extends Comparable<K>, S, R> Iterator<R> merged(
      Iterator<Tuple2<Tagged<K>, S>> sorted, Function2<S, S, S> merge, Output<K, S, R> output) {
    return new Iterator<>() {
      private Tuple2<Tagged<K>, S> pending;
      private Iterator<R> current = Collections.emptyIterator();
      private boolean ended;

      @Override
      public boolean hasNext() {
        while (!current.hasNext()) {
          if (pending == null && !sorted.hasNext()) {
            if (ended) {
              return false;
            }
            ended = true;
            current = output.end();
            continue;
          }
          Tuple2<Tagged<K>, S> first = pending != null ? pending : sorted.next();
          pending = null;
          K key = first._1().key;
          S state = first._2();
          while (sorted.hasNext()) {
            Tuple2<Tagged<K>, S> t = sorted.next();
            if (!t._1().key.equals(key)) {
              pending = t;
              break;
            }
            try {
              state = merge.call(state, t._2());
            } catch (Exception e) {
              throw new IllegalStateException("merging the partial states of " + key, e);
            }
          }
          current = output.of(key, state);
        }
        return true;
      }

      @Override
      public R next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
  }

  /** Sends every partial state of a key to the same reducer. */
  static final class ByKey extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    ByKey(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      Object k = ((Tagged<?>) key).key;
      return Math.floorMod(k instanceof Routed r ? r.route() : k.hashCode(), partitions);
    }
  }

  /** The reduce side's order: by key, then input partition, then emission order. */
  static final class InOrder<K extends Comparable<K>>
      implements Comparator<Tagged<K>>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Tagged<K> a, Tagged<K> b) {
      int c = a.key.compareTo(b.key);
      if (c == 0) {
        c = Integer.compare(a.partition, b.partition);
      }
      return c != 0 ? c : Integer.compare(a.sequence, b.sequence);
    }
  }
}
