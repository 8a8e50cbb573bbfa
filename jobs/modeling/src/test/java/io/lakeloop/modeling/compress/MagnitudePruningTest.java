package io.lakeloop.modeling.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.model.CompactModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class MagnitudePruningTest {
  private static float[] gaussian(int n, double sd, long seed) {
    Random rnd = new Random(seed);
    float[] t = new float[n];
    for (int i = 0; i < n; i++) {
      t[i] = (float) (rnd.nextGaussian() * sd);
    }
    return t;
  }

  private static int kept(boolean[] m) {
    int k = 0;
    for (boolean b : m) {
      k += b ? 1 : 0;
    }
    return k;
  }

  @Test
  void theCubicScheduleStartsAtTheInitialAndEndsAtTheTargetSparsity() {
    assertThat(MagnitudePruning.scheduled(0, 0.8, 0, 10)).isEqualTo(0.0);
    assertThat(MagnitudePruning.scheduled(0, 0.8, 10, 10)).isEqualTo(0.8);
    assertThat(MagnitudePruning.scheduled(0, 0.8, 99, 10)).isEqualTo(0.8);
    // halfway: 0.8 - 0.8 * 0.5^3 = 0.7
    assertThat(MagnitudePruning.scheduled(0, 0.8, 5, 10)).isCloseTo(0.7, Offset.offset(1e-12));
    double previous = -1;
    for (int t = 0; t <= 10; t++) {
      double s = MagnitudePruning.scheduled(0.1, 0.9, t, 10);
      assertThat(s).isGreaterThanOrEqualTo(previous);
      previous = s;
    }
  }

  @Test
  void layerWiseMasksKeepExactlyTheLargestWeightsOfEachTensor() {
    float[] a = gaussian(1000, 1, 1);
    float[] b = gaussian(301, 0.01, 2);
    List<boolean[]> masks = MagnitudePruning.layerWise(List.of(a, b), 0.8);
    assertThat(kept(masks.get(0))).isEqualTo(1000 - 800);
    assertThat(kept(masks.get(1))).isEqualTo(301 - 240);
    // every kept weight is at least as large as every pruned one (independent check by sorting)
    for (int t = 0; t < 2; t++) {
      float[] w = t == 0 ? a : b;
      float[] sorted = new float[w.length];
      for (int i = 0; i < w.length; i++) {
        sorted[i] = Math.abs(w[i]);
      }
      Arrays.sort(sorted);
      float threshold = sorted[(int) Math.floor(0.8 * w.length)];
      for (int i = 0; i < w.length; i++) {
        assertThat(masks.get(t)[i]).isEqualTo(Math.abs(w[i]) >= threshold);
      }
    }
  }

  @Test
  void globalPruningTakesMoreFromTheLayerOfSmallWeightsAndTiesAreDeterministic() {
    float[] big = gaussian(1000, 1, 3);
    float[] small = gaussian(1000, 0.01, 4);
    List<boolean[]> masks = MagnitudePruning.global(List.of(big, small), 0.5);
    assertThat(kept(masks.get(0)) + kept(masks.get(1))).isEqualTo(1000);
    assertThat(kept(masks.get(1))).isLessThan(50); // nearly all small weights go
    // ties: four equal weights, half pruned — the later ones
    boolean[] tie = MagnitudePruning.global(List.of(new float[] {1, -1, 1, -1}), 0.5).get(0);
    assertThat(tie).containsExactly(true, true, false, false);
    float[] copy = big.clone();
    MagnitudePruning.apply(copy, masks.get(0));
    assertThat(CompactModel.sparsity(copy)).isEqualTo((1000 - kept(masks.get(0))) / 1000.0);
    List<float[]> none = new ArrayList<>();
    assertThat(MagnitudePruning.global(none, 0.5)).isEmpty();
    assertThatThrownBy(() -> MagnitudePruning.global(List.of(big), 1.0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
