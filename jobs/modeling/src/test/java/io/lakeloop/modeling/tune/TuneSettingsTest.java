package io.lakeloop.modeling.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.modeling.model.Hyper;
import io.lakeloop.modeling.train.TrainSettings;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** lakeloop.tune read from config: the grid it spans, what it draws, and what it refuses. */
class TuneSettingsTest {
  private static TuneSettings read(String... sets) {
    return TuneSettings.from(ConfigLoader.load(Optional.empty(), List.of(sets)));
  }

  @Test
  void theDefaultSpaceIsTheFullProductAndHalvingDrawsWithoutReplacement() {
    TuneSettings s = read();
    // 3 learning rates x 3 shapes x 2 L2 x 2 dropout x 2 batch sizes
    assertThat(s.space()).hasSize(72).doesNotHaveDuplicates();
    assertThat(s.space().get(0)).isEqualTo(new Hyper(0.001, List.of(64), 0, 0, 64));
    assertThat(s.configurations()).hasSize(27).doesNotHaveDuplicates().isSubsetOf(s.space());
    assertThat(read("lakeloop.tune.seed=18").configurations()).isNotEqualTo(s.configurations());
    assertThat(read().configurations()).isEqualTo(s.configurations());
    assertThat(s.rungEpochs()).containsExactly(1, 3, 9);
    assertThat(read("lakeloop.tune.method=grid").configurations()).isEqualTo(s.space());
    assertThat(read("lakeloop.tune.samples=500").configurations()).hasSize(72);
  }

  @Test
  void badSettingsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> read("lakeloop.tune.method=bayes"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.tune.method")
        .hasMessageContaining("halving, grid, random");
    assertThatThrownBy(() -> read("lakeloop.tune.space.hidden=[16, 32]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.tune.space.hidden")
        .hasMessageContaining("list of list");
    assertThatThrownBy(() -> read("lakeloop.tune.space.hidden=[[16, 0]]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("≥ 1");
    assertThatThrownBy(() -> read("lakeloop.tune.space.dropout=[0.99]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.tune.space.dropout");
    assertThatThrownBy(() -> read("lakeloop.tune.space.batch-size=[32.5]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("not a whole number");
    assertThatThrownBy(() -> read("lakeloop.tune.halving.min-epochs=10"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("min-epochs");
  }

  @Test
  void configurationsTooSmallForTheStudentAreLeftOut() {
    TrainSettings train =
        TrainSettings.from(
            ConfigLoader.load(Optional.empty(), List.of("lakeloop.train.student.hidden=[8]")),
            io.lakeloop.common.config.Task.BINARY);
    // 19 inputs, 2 classes: the student [8] has 19*8+8 + 8*2+2 = 178 parameters; a teacher needs
    // at least 4 x 178 = 712 (max-parameter-share 0.25): [16] has 354, [32] 706, [48] 1,058
    Hyper small = new Hyper(0.01, List.of(16), 0, 0, 32);
    Hyper edge = new Hyper(0.01, List.of(32), 0, 0, 32);
    Hyper big = new Hyper(0.01, List.of(48), 0, 0, 32);
    assertThat(big.parameters(19, 2)).isEqualTo(19 * 48 + 48 + 48 * 2 + 2);
    assertThat(TuneJob.studentFits(List.of(small, edge, big), train, 19, 2)).containsExactly(big);
    assertThatThrownBy(() -> TuneJob.studentFits(List.of(small, edge), train, 19, 2))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.train.student.max-parameter-share");
  }
}
