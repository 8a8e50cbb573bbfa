package io.lakeloop.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vector layout by hand, the stored form's round trip, and the refusals. */
class FeatureEncodingTest {
  private static final FeatureEncoding ENCODING =
      new FeatureEncoding(
          List.of(
              new FeatureEncoding.Numeric("tenure", 10.0, 4.0),
              new FeatureEncoding.Numeric("constant", 3.0, 0.0)),
          List.of(
              new FeatureEncoding.Categorical("plan", List.of("basic", "premium")),
              new FeatureEncoding.Categorical("device", List.of("ios"))));

  @Test
  void layoutIsStandardisedValuesWithMissingFlagsThenOneHotBlocks() {
    assertThat(ENCODING.width()).isEqualTo(2 * 2 + (2 + 2) + (1 + 2));
    float[] v = ENCODING.encode(new Double[] {16.0, 5.0}, new String[] {"premium", "ios"});
    assertThat(v)
        .containsExactly(
            1.5f, 0f, // (16 - 10) / 4
            2f, 0f, // std 0: centred only
            0f, 1f, 0f, 0f, // plan = premium
            1f, 0f, 0f); // device = ios
  }

  @Test
  void missingValuesAndUnknownCategoriesHaveTheirOwnSlots() {
    for (Double missing : new Double[] {null, Double.NaN, Double.POSITIVE_INFINITY}) {
      float[] v = ENCODING.encode(new Double[] {missing, 3.0}, new String[] {"gold", null});
      assertThat(v)
          .as("numeric %s, plan unseen, device null", missing)
          .containsExactly(0f, 1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f);
    }
  }

  @Test
  void encodesIntoAnOffsetOfALargerBuffer() {
    float[] out = new float[ENCODING.width() + 3];
    Arrays.fill(out, 9f);
    ENCODING.encode(new Double[] {10.0, 3.0}, new String[] {"basic", "android"}, out, 2);
    assertThat(out[0]).isEqualTo(9f);
    assertThat(out[1]).isEqualTo(9f);
    assertThat(Arrays.copyOfRange(out, 2, 2 + ENCODING.width()))
        .containsExactly(0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 0f, 1f, 0f);
    assertThat(out[out.length - 1]).isEqualTo(9f);
  }

  @Test
  void theStoredFormReadsBackToTheSameEncoding() {
    FeatureEncoding awkward =
        new FeatureEncoding(
            List.of(new FeatureEncoding.Numeric("x", 0.1 + 0.2, Math.PI / 3)),
            List.of(new FeatureEncoding.Categorical("c", List.of("a \"quoted\" value", "ü", ""))));
    FeatureEncoding back = FeatureEncoding.fromJson(awkward.toJson());
    assertThat(back).isEqualTo(awkward);
    Random random = new Random(3);
    for (int i = 0; i < 100; i++) {
      Double[] n = {random.nextGaussian() * 10};
      String[] c = {List.of("a \"quoted\" value", "ü", "", "new").get(random.nextInt(4))};
      assertThat(back.encode(n, c)).containsExactly(awkward.encode(n, c));
    }
  }

  @Test
  void refusesWhatItCannotReadOrRepresent() {
    assertThatThrownBy(() -> FeatureEncoding.fromJson("{\"format\": 7}"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("format 7")
        .hasMessageContaining("reads format 1");
    assertThatThrownBy(() -> FeatureEncoding.fromJson("not json"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("cannot be read");
    assertThatThrownBy(() -> new FeatureEncoding.Numeric("x", Double.NaN, 1))
        .hasMessageContaining("feature x");
    assertThatThrownBy(() -> new FeatureEncoding.Categorical("c", List.of("a", "a")))
        .hasMessageContaining("distinct");
    assertThatThrownBy(() -> new FeatureEncoding.Categorical("c", List.of(FeatureEncoding.OTHER)))
        .hasMessageContaining("__other__");
    assertThatThrownBy(() -> ENCODING.encode(new Double[] {1.0}, new String[] {"a", "b"}))
        .hasMessageContaining("1 numeric and 2 categorical");
  }

  @Test
  void aRegressionTargetIsStandardisedAndUndoneAndStoredWithTheEncoding() {
    FeatureEncoding regression =
        ENCODING.withTarget(new FeatureEncoding.Numeric("label", 40.0, 8.0));
    assertThat(regression.standardisedTarget(52.0)).isEqualTo(1.5); // (52 - 40) / 8
    assertThat(regression.prediction(-0.25)).isEqualTo(38.0); // -0.25 * 8 + 40
    assertThat(regression.prediction(regression.standardisedTarget(17.5))).isEqualTo(17.5);
    FeatureEncoding flat = ENCODING.withTarget(new FeatureEncoding.Numeric("label", 5.0, 0.0));
    assertThat(flat.standardisedTarget(7.0)).isEqualTo(2.0);
    assertThat(flat.prediction(2.0)).isEqualTo(7.0);
    FeatureEncoding back = FeatureEncoding.fromJson(regression.toJson());
    assertThat(back).isEqualTo(regression).isNotEqualTo(ENCODING);
    assertThat(back.target()).contains(new FeatureEncoding.Numeric("label", 40.0, 8.0));
    // a classifier's encoding has no target, stored or read
    assertThat(FeatureEncoding.fromJson(ENCODING.toJson()).target()).isEmpty();
    assertThat(ENCODING.toJson()).doesNotContain("target");
    assertThatThrownBy(() -> ENCODING.prediction(1.0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no regression target");
  }
}
