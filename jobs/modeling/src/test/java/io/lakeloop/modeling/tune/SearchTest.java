package io.lakeloop.modeling.tune;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.modeling.model.Hyper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rungs of a search with a made-up score per configuration: who goes on, who wins. */
class SearchTest {
  /** Configurations told apart by their learning rate; score = a fixed accuracy per rate. */
  private static List<Hyper> configurations(int n) {
    List<Hyper> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Hyper(0.001 * (i + 1), List.of(4), 0, 0, 16));
    }
    return out;
  }

  /** Accuracy rises with epochs for all, but configuration k is best at 1 epoch and worst later. */
  private static Trials.Result score(Trials.Trial t, List<Trials.Trial> seen) {
    seen.add(t);
    int k = t.id();
    double accuracy =
        t.epochs() == 1 ? (k == 7 ? 0.99 : 0.5 + 0.01 * k) : 0.6 + 0.01 * ((k * 5) % 9);
    return new Trials.Result(t, new TrialFit.Score(accuracy, 1 - accuracy, t.epochs()), 0.1, null);
  }

  @Test
  void eachRungKeepsTheBestThirdAndTheWinnerIsTheBestOfTheLastRung() {
    List<Trials.Trial> seen = new ArrayList<>();
    Search.Outcome o =
        Search.run(
            configurations(9),
            List.of(1, 3, 9),
            3,
            trials -> trials.stream().map(t -> score(t, seen)).toList());
    // rung 0: 9 at 1 epoch; ids 7, 8, 6 score best (0.99, 0.58, 0.56)
    assertThat(seen.stream().filter(t -> t.rung() == 0)).hasSize(9);
    assertThat(seen.stream().filter(t -> t.rung() == 1).map(Trials.Trial::id))
        .containsExactlyInAnyOrder(7, 8, 6);
    assertThat(seen.stream().filter(t -> t.rung() == 1)).allMatch(t -> t.epochs() == 3);
    // rung 1 at 3 epochs: (k*5)%9 = 8 for 7, 4 for 8, 3 for 6: 7 goes on alone to 9 epochs
    assertThat(seen.stream().filter(t -> t.rung() == 2).map(Trials.Trial::id)).containsExactly(7);
    assertThat(o.winner().orElseThrow().trial().id()).isEqualTo(7);
    assertThat(o.winner().orElseThrow().trial().epochs()).isEqualTo(9);
    assertThat(o.entries()).hasSize(13);
    assertThat(o.entries().stream().filter(Search.Entry::winner)).hasSize(1);
    assertThat(o.entries().stream().filter(Search.Entry::promoted)).hasSize(3 + 1);
  }

  @Test
  void aSingleSurvivorSkipsToTheLastRungAndAFailedTrialNeverGoesOn() {
    List<Trials.Trial> seen = new ArrayList<>();
    Search.Outcome o =
        Search.run(
            configurations(3),
            List.of(1, 3, 9),
            3,
            trials ->
                trials.stream()
                    .map(
                        t -> t.id() == 2 ? new Trials.Result(t, null, 0.1, "boom") : score(t, seen))
                    .toList());
    // rung 0: ids 0 and 1 scored, 2 failed (it would have scored best); one goes on
    assertThat(seen.stream().filter(t -> t.rung() == 0).map(Trials.Trial::id))
        .containsExactly(0, 1);
    assertThat(seen.stream().filter(t -> t.rung() == 1)).isEmpty();
    assertThat(seen.stream().filter(t -> t.rung() == 2).map(Trials.Trial::id)).containsExactly(1);
    assertThat(o.winner().orElseThrow().trial().epochs()).isEqualTo(9);
    assertThat(o.failed()).isEqualTo(1);
    assertThat(
            o.entries().stream().filter(e -> !e.result().ok()).findFirst().orElseThrow().promoted())
        .isFalse();
  }

  @Test
  void aGridIsOneRungAndEveryTrialFailingLeavesNoWinner() {
    TuneSettings grid =
        new TuneSettings(TuneSettings.GRID, configurations(4), 2, 5, 3, 1, 100, 100, 1);
    assertThat(grid.configurations()).hasSize(4);
    assertThat(grid.rungEpochs()).containsExactly(5);
    TuneSettings halving =
        new TuneSettings(TuneSettings.HALVING, configurations(4), 2, 10, 3, 1, 100, 100, 1);
    assertThat(halving.rungEpochs()).containsExactly(1, 3, 9, 10);
    assertThat(halving.configurations()).hasSize(2).isSubsetOf(configurations(4));
    Search.Outcome o =
        Search.run(
            grid.configurations(),
            grid.rungEpochs(),
            3,
            trials -> trials.stream().map(t -> new Trials.Result(t, null, 0, "boom")).toList());
    assertThat(o.winner()).isEmpty();
    assertThat(o.failed()).isEqualTo(4);
  }
}
