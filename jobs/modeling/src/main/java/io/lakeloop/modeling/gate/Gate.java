package io.lakeloop.modeling.gate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The quality gate's decision, pure: a candidate is blessed when every value threshold holds and no
 * change threshold against the champion breaks (all on the same held-out data); the winner is the
 * blessed candidate with the best primary metric, ties going to the one with fewer parameters.
 * Every check says what it compared, the limit, whether it held and by how much.
 */
public final class Gate {
  private Gate() {}

  /** A model the gate judges: its name (e.g. {@code teacher}), size and held-out metrics. */
  public record Candidate(String name, long parameters, Map<String, Double> metrics) {}

  /**
   * One check of one candidate.
   *
   * @param value the candidate's value (null when the metric was not computed)
   * @param reference the champion's value for a change threshold, null otherwise
   * @param limit the bound the value was held to
   * @param margin how far inside the limit the value is (negative: by how much it failed)
   */
  public record Check(
      String candidate,
      String kind,
      String metric,
      Double value,
      Double reference,
      Double limit,
      boolean passed,
      Double margin,
      String reason) {}

  public record Verdict(Candidate candidate, boolean blessed, List<Check> checks) {}

  public record Decision(List<Verdict> verdicts, Optional<Candidate> winner) {
    /** Why the decision is what it is, one line. */
    public String summary(String primaryMetric) {
      if (winner.isEmpty()) {
        return "no candidate is blessed; the champion stays";
      }
      return String.format(
          Locale.ROOT,
          "winner: %s (%s %.4f, %d parameters)",
          winner.get().name(),
          primaryMetric,
          winner.get().metrics().get(primaryMetric),
          winner.get().parameters());
    }
  }

  /**
   * Judges the candidates.
   *
   * @param champion the champion's metrics on the same data; empty when there is none (change
   *     thresholds are then recorded as not applicable and pass)
   */
  public static Decision decide(
      GateSettings settings, List<Candidate> candidates, Optional<Map<String, Double>> champion) {
    return decide(settings, candidates, champion, "the champion");
  }

  /**
   * Judges the candidates against a reference that is not the champion (e.g. the uncompressed model
   * a compressed one must stay close to), named {@code reference} in the checks' reasons.
   */
  public static Decision decide(
      GateSettings settings,
      List<Candidate> candidates,
      Optional<Map<String, Double>> champion,
      String reference) {
    List<Verdict> verdicts = new ArrayList<>();
    for (Candidate c : candidates) {
      List<Check> checks = new ArrayList<>();
      for (GateSettings.ValueThreshold t : settings.values()) {
        checks.add(value(c, t));
      }
      for (GateSettings.ChangeThreshold t : settings.changes()) {
        checks.add(change(c, t, champion, reference));
      }
      verdicts.add(new Verdict(c, checks.stream().allMatch(Check::passed), checks));
    }
    Comparator<Candidate> primary =
        Comparator.comparingDouble(
            (Candidate c) -> {
              Double v = c.metrics().get(settings.primaryMetric());
              double x = v == null || v.isNaN() ? Double.NEGATIVE_INFINITY : v;
              return settings.primaryHigherIsBetter() ? x : -x;
            });
    Optional<Candidate> winner =
        verdicts.stream()
            .filter(Verdict::blessed)
            .map(Verdict::candidate)
            .max(primary.thenComparing(Comparator.comparingLong(Candidate::parameters).reversed()));
    return new Decision(verdicts, winner);
  }

  private static Double metric(Map<String, Double> metrics, String name) {
    Double v = metrics.get(name);
    return v == null || v.isNaN() ? null : v;
  }

  private static Check value(Candidate c, GateSettings.ValueThreshold t) {
    Double v = metric(c.metrics(), t.metric());
    String bound =
        (t.min() == null ? "" : t.metric() + " ≥ " + fmt(t.min()))
            + (t.min() != null && t.max() != null ? " and " : "")
            + (t.max() == null ? "" : t.metric() + " ≤ " + fmt(t.max()));
    if (v == null) {
      return new Check(
          c.name(),
          "value",
          t.metric(),
          null,
          null,
          null,
          false,
          null,
          t.metric() + " was not computed on the held-out data; required " + bound);
    }
    double margin = Double.POSITIVE_INFINITY;
    Double limit = null;
    if (t.min() != null) {
      margin = v - t.min();
      limit = t.min();
    }
    if (t.max() != null && t.max() - v < margin) {
      margin = t.max() - v;
      limit = t.max();
    }
    boolean passed = margin >= 0;
    return new Check(
        c.name(),
        "value",
        t.metric(),
        v,
        null,
        limit,
        passed,
        margin,
        String.format(
            Locale.ROOT,
            "%s = %s: %s %s (%s by %s)",
            t.metric(),
            fmt(v),
            passed ? "holds" : "fails",
            bound,
            passed ? "inside" : "outside",
            fmt(Math.abs(margin))));
  }

  private static Check change(
      Candidate c,
      GateSettings.ChangeThreshold t,
      Optional<Map<String, Double>> champion,
      String reference) {
    String kind = "change";
    Double v = metric(c.metrics(), t.metric());
    if (champion.isEmpty()) {
      return new Check(
          c.name(),
          kind,
          t.metric(),
          v,
          null,
          null,
          true,
          null,
          t.metric()
              + ": no "
              + reference.replaceFirst("^the ", "")
              + " to compare with; change threshold not applied");
    }
    Double ref = metric(champion.get(), t.metric());
    if (v == null || ref == null) {
      return new Check(
          c.name(),
          kind,
          t.metric(),
          v,
          ref,
          null,
          false,
          null,
          t.metric()
              + " was not computed for "
              + (v == null ? "the candidate" : reference)
              + " on the held-out data; the change threshold cannot be checked");
    }
    double allowed = t.relative() ? Math.abs(ref) * t.tolerance() : t.tolerance();
    double limit = t.higherIsBetter() ? ref - allowed : ref + allowed;
    double margin = t.higherIsBetter() ? v - limit : limit - v;
    boolean passed = margin >= 0;
    return new Check(
        c.name(),
        kind,
        t.metric(),
        v,
        ref,
        limit,
        passed,
        margin,
        String.format(
            Locale.ROOT,
            "%s = %s vs %s %s (%+.4f): %s; %s may be at most %s%s %s than %s"
                + " (limit %s, %s by %s)",
            t.metric(),
            fmt(v),
            reference.replaceFirst("^the ", ""),
            fmt(ref),
            v - ref,
            passed ? "holds" : "fails",
            t.metric(),
            t.relative() ? fmt(100 * t.tolerance()) + " %" : fmt(t.tolerance()),
            t.relative() ? " (relative)" : "",
            t.higherIsBetter() ? "lower" : "higher",
            reference,
            fmt(limit),
            passed ? "inside" : "outside",
            fmt(Math.abs(margin))));
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4f", x);
  }
}
