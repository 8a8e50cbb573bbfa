package io.lakeloop.monitoring.evaluate;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * An array of {@code blocks} blocks of {@code block} doubles, all zero at first, that holds only
 * the blocks written to (an open-addressing table keyed by block index) until they are a quarter of
 * all blocks, and then turns dense. A window of a few hundred rows touches a few hundred score bins
 * of the 10,000: its histograms cost kilobytes instead of half a megabyte, so memory and time
 * follow the rows rather than windows x slices x bins. Serialized, only blocks with a non-zero
 * value travel.
 *
 * <p>Writing: {@code int at = offset(i); double[] d = data();} then {@code d[at + j] += ...} for
 * {@code j < block} (the offset is only valid until the next {@code offset} call, which may move
 * the data). Every value receives exactly the additions it would in a dense array, in the same
 * order, so sums are bit-identical to the dense ones.
 */
final class BlockArray implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int INITIAL = 16;

  private final int blocks;
  private final int block;
  // dense: blocks x block values; sparse: table slots x block values
  private transient double[] data;
  // sparse only (null when dense): per table slot, its block index + 1, or 0 when free
  private transient int[] keys;
  private transient int size;

  BlockArray(int blocks, int block) {
    this.blocks = blocks;
    this.block = block;
    if (blocks <= 4 * INITIAL) {
      data = new double[blocks * block];
    } else {
      keys = new int[INITIAL];
      data = new double[INITIAL * block];
    }
  }

  int blocks() {
    return blocks;
  }

  int block() {
    return block;
  }

  /** The array {@link #offset} points into (it changes when the table grows or turns dense). */
  double[] data() {
    return data;
  }

  /** Where block {@code i}'s values start in {@link #data()}, making room for it if needed. */
  int offset(int i) {
    if (keys == null) {
      return i * block;
    }
    int s = slot(i);
    if (keys[s] != 0) {
      return s * block;
    }
    if ((size + 1) * 4L > blocks) {
      densify();
      return i * block;
    }
    if ((size + 1) * 2 > keys.length) {
      rehash(keys.length * 2);
      s = slot(i);
    }
    keys[s] = i + 1;
    size++;
    return s * block;
  }

  /** Value {@code j} of block {@code i} (zero when never written). */
  double get(int i, int j) {
    if (keys == null) {
      return data[i * block + j];
    }
    int s = slot(i);
    return keys[s] == 0 ? 0 : data[s * block + j];
  }

  /** Adds every block of {@code o} (same shape) into this one; zero blocks add nothing. */
  void add(BlockArray o) {
    if (o.keys == null) {
      for (int i = 0; i < blocks; i++) {
        addBlock(i, o.data, i * block);
      }
    } else {
      for (int s = 0; s < o.keys.length; s++) {
        if (o.keys[s] != 0) {
          addBlock(o.keys[s] - 1, o.data, s * block);
        }
      }
    }
  }

  private void addBlock(int i, double[] from, int start) {
    if (zero(from, start)) {
      return;
    }
    int at = offset(i);
    double[] d = data;
    for (int j = 0; j < block; j++) {
      d[at + j] += from[start + j];
    }
  }

  private boolean zero(double[] a, int start) {
    for (int j = start; j < start + block; j++) {
      if (a[j] != 0) {
        return false;
      }
    }
    return true;
  }

  /** The table slot of block i: where it is, or the free slot where it would go. */
  private int slot(int i) {
    int mask = keys.length - 1;
    int s = (i * 0x9E3779B9) >>> 7 & mask;
    while (keys[s] != 0 && keys[s] != i + 1) {
      s = (s + 1) & mask;
    }
    return s;
  }

  private void rehash(int capacity) {
    int[] oldKeys = keys;
    double[] oldData = data;
    keys = new int[capacity];
    data = new double[capacity * block];
    for (int s = 0; s < oldKeys.length; s++) {
      if (oldKeys[s] != 0) {
        int t = slot(oldKeys[s] - 1);
        keys[t] = oldKeys[s];
        System.arraycopy(oldData, s * block, data, t * block, block);
      }
    }
  }

  private void densify() {
    double[] dense = new double[blocks * block];
    for (int s = 0; s < keys.length; s++) {
      if (keys[s] != 0) {
        System.arraycopy(data, s * block, dense, (keys[s] - 1) * block, block);
      }
    }
    keys = null;
    size = 0;
    data = dense;
  }

  /** Bytes held (for memory accounting). */
  long bytes() {
    return 8L * data.length + (keys == null ? 0 : 4L * keys.length) + 32;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    int n = 0;
    int slots = keys == null ? blocks : keys.length;
    for (int s = 0; s < slots; s++) {
      n += (keys == null || keys[s] != 0) && !zero(data, s * block) ? 1 : 0;
    }
    int[] at = new int[n];
    double[] values = new double[n * block];
    for (int s = 0, k = 0; s < slots; s++) {
      if ((keys == null || keys[s] != 0) && !zero(data, s * block)) {
        at[k] = keys == null ? s : keys[s] - 1;
        System.arraycopy(data, s * block, values, k++ * block, block);
      }
    }
    out.writeObject(at);
    out.writeObject(values);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    int[] at = (int[]) in.readObject();
    double[] values = (double[]) in.readObject();
    if (blocks <= 4 * INITIAL || at.length * 4L > blocks) {
      data = new double[blocks * block];
    } else {
      int capacity = INITIAL;
      while (at.length * 2 > capacity) {
        capacity *= 2;
      }
      keys = new int[capacity];
      data = new double[capacity * block];
    }
    for (int k = 0; k < at.length; k++) {
      System.arraycopy(values, k * block, data, offset(at[k]), block);
    }
  }
}
