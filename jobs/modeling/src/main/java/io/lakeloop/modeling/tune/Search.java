package io.lakeloop.modeling.tune;

import io.lakeloop.modeling.model.Hyper;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A search over configurations, rung by rung: every configuration runs the first rung's epochs; of
 * each rung the best {@code ⌈n / eta⌉} that did not fail go on to the next rung's (eta times more)
 * epochs, from scratch, until the last rung ({@code max-epochs}) — successive halving (Jamieson and
 * Talwalkar, 2016). A grid or random search is the one-rung case. Best = highest validation
 * accuracy, then lowest log loss, then lowest trial id. A single configuration left before the last
 * rung skips straight to it. Pure: the rungs are run by the function given.
 */
public final class Search {
  private Search() {}

  /** A trial's result, whether it went on to the next rung, and whether it won the search. */
  public record Entry(Trials.Result result, boolean promoted, boolean winner) {}

  /** Every trial of every rung in the order run, and the winner (none when all failed). */
  public record Outcome(List<Entry> entries, Optional<Trials.Result> winner) {
    public long failed() {
      return entries.stream().filter(e -> !e.result().ok()).count();
    }
  }

  /** Best first: accuracy, then log loss, then id; failed results last. */
  public static final Comparator<Trials.Result> BEST_FIRST =
      Comparator.comparing((Trials.Result r) -> !r.ok())
          .thenComparing(r -> r.ok() ? -r.score().accuracy() : 0)
          .thenComparing(
              r -> r.ok() ? r.score().logLoss() : 0, Comparator.nullsLast(Double::compare))
          .thenComparingInt(r -> r.trial().id());

  public static Outcome run(
      List<Hyper> configurations,
      List<Integer> rungEpochs,
      int eta,
      Function<List<Trials.Trial>, List<Trials.Result>> runRung) {
    List<Integer> alive = new ArrayList<>();
    for (int i = 0; i < configurations.size(); i++) {
      alive.add(i);
    }
    List<List<Trials.Result>> rungs = new ArrayList<>();
    List<Set<Integer>> promoted = new ArrayList<>();
    int last = rungEpochs.size() - 1;
    for (int r = 0; r <= last && !alive.isEmpty(); r++) {
      if (r < last && alive.size() == 1) {
        continue;
      }
      List<Trials.Trial> trials = new ArrayList<>();
      for (int id : alive) {
        trials.add(new Trials.Trial(id, r, rungEpochs.get(r), configurations.get(id)));
      }
      List<Trials.Result> results = new ArrayList<>(runRung.apply(trials));
      results.sort(BEST_FIRST);
      rungs.add(results);
      Set<Integer> next = new HashSet<>();
      if (r < last) {
        int keep = Math.max(1, (alive.size() + eta - 1) / eta);
        results.stream()
            .filter(Trials.Result::ok)
            .limit(keep)
            .forEach(x -> next.add(x.trial().id()));
      }
      promoted.add(next);
      alive = results.stream().map(x -> x.trial().id()).filter(next::contains).toList();
    }
    Optional<Trials.Result> winner = Optional.empty();
    if (!rungs.isEmpty()) {
      List<Trials.Result> lastRung = rungs.get(rungs.size() - 1);
      if (!lastRung.isEmpty() && lastRung.get(0).ok() && lastRung.get(0).trial().rung() == last) {
        winner = Optional.of(lastRung.get(0));
      }
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < rungs.size(); i++) {
      for (Trials.Result x : rungs.get(i)) {
        entries.add(
            new Entry(
                x,
                promoted.get(i).contains(x.trial().id()),
                winner.isPresent() && winner.get() == x));
      }
    }
    return new Outcome(entries, winner);
  }
}
