package io.lakeloop.modeling.gate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class GateTest {
  private static final Offset<Double> EXACT = Offset.offset(1e-12);

  private static GateSettings settings(
      List<GateSettings.ValueThreshold> values, List<GateSettings.ChangeThreshold> changes) {
    return new GateSettings("accuracy", values, changes);
  }

  private static Gate.Candidate cand(String name, long params, double acc, double logLoss) {
    return new Gate.Candidate(name, params, Map.of("accuracy", acc, "log_loss", logLoss));
  }

  @Test
  void valueThresholdsHoldOrFailWithTheirMargin() {
    GateSettings s =
        settings(
            List.of(
                new GateSettings.ValueThreshold("accuracy", 0.9, null),
                new GateSettings.ValueThreshold("log_loss", null, 0.3)),
            List.of());
    Gate.Decision d =
        Gate.decide(
            s, List.of(cand("a", 10, 0.95, 0.2), cand("b", 10, 0.85, 0.2)), Optional.empty());
    Gate.Verdict a = d.verdicts().get(0);
    Gate.Verdict b = d.verdicts().get(1);
    assertThat(a.blessed()).isTrue();
    assertThat(a.checks().get(0).margin()).isCloseTo(0.05, EXACT);
    assertThat(a.checks().get(1).margin()).isCloseTo(0.1, EXACT);
    assertThat(b.blessed()).isFalse();
    assertThat(b.checks().get(0).passed()).isFalse();
    assertThat(b.checks().get(0).margin()).isCloseTo(-0.05, EXACT);
    assertThat(b.checks().get(0).reason()).contains("fails").contains("accuracy ≥ 0.9000");
    assertThat(d.winner().map(Gate.Candidate::name)).contains("a");
  }

  @Test
  void changeThresholdsCompareWithTheChampionAbsoluteOrRelative() {
    GateSettings s =
        settings(
            List.of(),
            List.of(
                new GateSettings.ChangeThreshold("accuracy", true, 0.01, false),
                new GateSettings.ChangeThreshold("log_loss", false, 0.10, true)));
    Map<String, Double> champion = Map.of("accuracy", 0.90, "log_loss", 0.40);
    // accuracy may drop to 0.89; log loss may rise to 0.44
    Gate.Decision d =
        Gate.decide(
            s,
            List.of(
                cand("within", 5, 0.895, 0.43),
                cand("accuracyDrop", 5, 0.88, 0.30),
                cand("lossRise", 5, 0.95, 0.45)),
            Optional.of(champion));
    assertThat(d.verdicts()).extracting(Gate.Verdict::blessed).containsExactly(true, false, false);
    Gate.Check drop = d.verdicts().get(1).checks().get(0);
    assertThat(drop.limit()).isCloseTo(0.89, EXACT);
    assertThat(drop.reference()).isEqualTo(0.90);
    assertThat(drop.margin()).isCloseTo(-0.01, EXACT);
    Gate.Check rise = d.verdicts().get(2).checks().get(1);
    assertThat(rise.limit()).isCloseTo(0.44, EXACT);
    assertThat(rise.margin()).isCloseTo(-0.01, EXACT);
    assertThat(rise.reason()).contains("higher than the champion").contains("relative");
    assertThat(d.winner().map(Gate.Candidate::name)).contains("within");
  }

  @Test
  void missingMetricsFailAndNoChampionMeansNoChangeCheck() {
    GateSettings s =
        settings(
            List.of(new GateSettings.ValueThreshold("roc_auc", 0.5, null)),
            List.of(new GateSettings.ChangeThreshold("accuracy", true, 0, false)));
    Gate.Decision d = Gate.decide(s, List.of(cand("a", 1, 0.9, 0.1)), Optional.empty());
    assertThat(d.verdicts().get(0).checks().get(0).passed()).isFalse();
    assertThat(d.verdicts().get(0).checks().get(0).reason()).contains("not computed");
    assertThat(d.verdicts().get(0).checks().get(1).passed()).isTrue();
    assertThat(d.verdicts().get(0).checks().get(1).reason()).contains("no champion");
    assertThat(d.winner()).isEmpty();
    assertThat(d.summary("accuracy")).contains("champion stays");
    // a champion whose metric is missing cannot be compared with: the check fails
    Gate.Decision d2 =
        Gate.decide(
            settings(List.of(), s.changes()),
            List.of(cand("a", 1, 0.9, 0.1)),
            Optional.of(Map.of("log_loss", 0.2)));
    assertThat(d2.verdicts().get(0).blessed()).isFalse();
  }

  @Test
  void theWinnerHasTheBestPrimaryMetricAndTiesGoToTheSmallerModel() {
    GateSettings s = settings(List.of(), List.of());
    List<Gate.Candidate> cs =
        List.of(
            cand("big", 1000, 0.93, 0.2), cand("small", 100, 0.93, 0.3), cand("low", 10, 0.9, 0.1));
    assertThat(Gate.decide(s, cs, Optional.empty()).winner().map(Gate.Candidate::name))
        .contains("small");
    GateSettings byLoss = new GateSettings("log_loss", List.of(), List.of());
    assertThat(Gate.decide(byLoss, cs, Optional.empty()).winner().map(Gate.Candidate::name))
        .contains("low");
  }
}
