package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Exact merges, consistency checks and the top-K category bins. */
class CategoricalProfileTest {

  @Test
  void theMergeOfPartsIsTheProfileOfTheWhole() {
    Random r = new Random(7);
    CategoricalProfile whole = new CategoricalProfile();
    CategoricalProfile[] parts = {new CategoricalProfile(), new CategoricalProfile()};
    Map<String, Long> expected = new HashMap<>();
    long nulls = 0;
    for (int i = 0; i < 2000; i++) {
      String v = r.nextInt(10) == 0 ? null : "v" + r.nextInt(30);
      whole.add(v);
      parts[r.nextInt(2)].add(v);
      if (v == null) {
        nulls++;
      } else {
        expected.merge(v, 1L, Long::sum);
      }
    }
    CategoricalProfile merged =
        new CategoricalProfile(
                parts[1].count(), parts[1].nullCount(), parts[1].counts()) // as read back
            .merge(parts[0]);
    assertThat(merged.count()).isEqualTo(whole.count()).isEqualTo(2000);
    assertThat(merged.nullCount()).isEqualTo(whole.nullCount()).isEqualTo(nulls);
    assertThat(merged.counts()).isEqualTo(whole.counts()).isEqualTo(expected);
    assertThat(merged.merge(new CategoricalProfile()).counts()).isEqualTo(expected);
  }

  @Test
  void countsThatDoNotAddUpAreRejected() {
    assertThatThrownBy(() -> new CategoricalProfile(5, 1, Map.of("a", 3L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("count=5 must be nullCount=1 + the value counts (3)");
    assertThatThrownBy(() -> new CategoricalProfile(1, 2, Map.of("a", -1L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a=-1");
    assertThat(new CategoricalProfile(4, 1, Map.of("a", 3L)).counts()).containsEntry("a", 3L);
  }

  @Test
  void topValuesAreTheMostFrequentTiesByValueSortedAndNeverTheOverflowBucket() {
    CategoricalProfile p =
        new CategoricalProfile(
            21, 0, Map.of("d", 5L, "b", 3L, "a", 3L, "c", 3L, CategoricalProfile.OVERFLOW, 7L));
    assertThat(p.top(3)).containsExactly("a", "b", "d");
    assertThat(p.top(1)).containsExactly("d");
    assertThat(p.top(10)).containsExactly("a", "b", "c", "d");
    assertThat(p.top(0)).isEmpty();
    assertThat(new CategoricalProfile().top(20)).isEqualTo(List.of());
  }
}
