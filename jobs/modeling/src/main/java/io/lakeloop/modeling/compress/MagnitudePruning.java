package io.lakeloop.modeling.compress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Magnitude pruning, pure: which weights to zero for a target sparsity, and the gradual schedule
 * that reaches it (Zhu and Gupta 2017, "To prune, or not to prune": the sparsity at step t of n
 * rises from s_i to s_f as {@code s_f + (s_i - s_f) (1 - t/n)^3}, fast first, gently at the end).
 *
 * <p>A mask keeps exactly {@code n - floor(sparsity * n)} weights of the tensors it covers: the
 * largest by magnitude; among equal magnitudes the earlier position is kept, so masks are
 * deterministic. Layer-wise pruning gives each tensor its own count; global pruning ranks every
 * covered weight together, so layers with many small weights lose more.
 */
public final class MagnitudePruning {
  private MagnitudePruning() {}

  /** The sparsity the schedule asks for after {@code step} of {@code steps} (clamped). */
  public static double scheduled(double initial, double target, int step, int steps) {
    if (steps <= 0) {
      return target;
    }
    double progress = Math.max(0, Math.min(1, (double) step / steps));
    double remaining = 1 - progress;
    return target + (initial - target) * remaining * remaining * remaining;
  }

  /** Masks (true = keep) for each tensor pruned to {@code sparsity} on its own. */
  public static List<boolean[]> layerWise(List<float[]> tensors, double sparsity) {
    List<boolean[]> masks = new ArrayList<>();
    for (float[] t : tensors) {
      masks.add(global(List.of(t), sparsity).get(0));
    }
    return masks;
  }

  /** Masks (true = keep) with {@code sparsity} of all the tensors' weights together pruned. */
  public static List<boolean[]> global(List<float[]> tensors, double sparsity) {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1); got " + sparsity);
    }
    int total = 0;
    for (float[] t : tensors) {
      total += t.length;
    }
    // every weight as (tensor, index), ordered by magnitude then position
    long[] order = new long[total];
    float[] magnitude = new float[total];
    int k = 0;
    for (int ti = 0; ti < tensors.size(); ti++) {
      float[] t = tensors.get(ti);
      for (int i = 0; i < t.length; i++) {
        order[k] = k;
        magnitude[k] = Math.abs(t[i]);
        k++;
      }
    }
    Long[] boxed = Arrays.stream(order).boxed().toArray(Long[]::new);
    Arrays.sort(
        boxed,
        (a, b) -> {
          int c = Float.compare(magnitude[(int) (long) a], magnitude[(int) (long) b]);
          // equal magnitudes: the later position is pruned first, the earlier kept
          return c != 0 ? c : Long.compare(b, a);
        });
    int prune = (int) Math.floor(sparsity * total);
    boolean[] keep = new boolean[total];
    Arrays.fill(keep, true);
    for (int i = 0; i < prune; i++) {
      keep[(int) (long) boxed[i]] = false;
    }
    List<boolean[]> masks = new ArrayList<>();
    int at = 0;
    for (float[] t : tensors) {
      masks.add(Arrays.copyOfRange(keep, at, at + t.length));
      at += t.length;
    }
    return masks;
  }

  /** Zeroes the weights a mask drops, in place. */
  public static void apply(float[] tensor, boolean[] mask) {
    for (int i = 0; i < tensor.length; i++) {
      if (!mask[i]) {
        tensor[i] = 0f;
      }
    }
  }
}
