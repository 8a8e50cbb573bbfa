package io.lakeloop.monitoring.drift;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Constraints suggested from a stored baseline profile, with no scan of data: per column,
 * completeness (except where a null means "not known yet", as for labels), a numeric range with a
 * margin and non-negativity where the baseline never went below 0, and for a categorical column its
 * allowed values (small domains) or an unseen-share bound (large ones); and for whole rows, no
 * invalid score vector (classification) and no repeated request_id per window — bounds of 0, which
 * prediction_log written by ingest and score meets (both quarantine such rows), so a break means
 * another writer or a fault. Bounds are rounded outward to 4 significant digits, so the file reads
 * well and the baseline itself passes. Pure.
 */
public final class ConstraintSuggestions {
  private ConstraintSuggestions() {}

  /**
   * @param nullIsUnknown columns where null means "not known yet" (no completeness constraint)
   * @param classification whether the model logs score vectors (valid_scores)
   */
  public static List<Constraint> from(
      Baseline baseline, Set<String> nullIsUnknown, boolean classification, ConstraintSettings s) {
    List<Constraint> out = new ArrayList<>();
    for (Constraint.Kind kind : List.of(Constraint.Kind.VALID_SCORES, Constraint.Kind.UNIQUE)) {
      if (kind != Constraint.Kind.VALID_SCORES || classification) {
        out.add(constraint(kind.rowColumn(), kind, 0, List.of()));
      }
    }
    for (String column : baseline.numeric()) {
      NumericProfile p = baseline.numericProfiles().get(column);
      completeness(column, p.count(), p.nullCount(), nullIsUnknown, s).ifPresent(out::add);
      if (p.finiteCount() == 0) {
        continue;
      }
      double min = p.min();
      double max = p.max();
      double margin = s.rangeMargin() * (max > min ? max - min : Math.abs(min));
      boolean nonNegative = min >= 0 && p.negInfCount() == 0;
      if (p.negInfCount() == 0) {
        double lo = round(min - margin, RoundingMode.FLOOR);
        out.add(
            constraint(column, Constraint.Kind.MIN, nonNegative ? Math.max(0, lo) : lo, List.of()));
      }
      if (p.posInfCount() == 0) {
        out.add(
            constraint(
                column, Constraint.Kind.MAX, round(max + margin, RoundingMode.CEILING), List.of()));
      }
      if (nonNegative) {
        out.add(constraint(column, Constraint.Kind.NON_NEGATIVE, 0, List.of()));
      }
    }
    for (String column : baseline.categorical()) {
      CategoricalProfile p = baseline.categoricalProfiles().get(column);
      completeness(column, p.count(), p.nullCount(), nullIsUnknown, s).ifPresent(out::add);
      long nonNull = p.count() - p.nullCount();
      if (nonNull == 0) {
        continue;
      }
      Map<String, Long> counts = p.counts();
      long beyond = counts.getOrDefault(CategoricalProfile.OVERFLOW, 0L);
      if (beyond > 0 || counts.size() > s.maxDomainSize()) {
        // a large domain's baseline rarely holds all of it: the share of new rows whose value it
        // lacks is, by Good-Turing (I. J. Good, 1953), about the share of its values seen once
        long once = counts.values().stream().filter(x -> x == 1).count();
        double share = Math.min(1, (double) (beyond + once) / nonNull + s.unseenShareSlack());
        out.add(
            constraint(
                column,
                Constraint.Kind.UNSEEN_SHARE,
                round(share, RoundingMode.CEILING),
                List.of()));
      } else {
        List<String> values =
            counts.entrySet().stream()
                .sorted(
                    Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey)
                .toList();
        out.add(constraint(column, Constraint.Kind.ALLOWED_VALUES, 0, values));
      }
    }
    return out;
  }

  private static Optional<Constraint> completeness(
      String column, long count, long nulls, Set<String> nullIsUnknown, ConstraintSettings s) {
    if (nullIsUnknown.contains(column) || count == 0) {
      return Optional.empty();
    }
    double bound = Math.min(1, (double) nulls / count + s.nullShareSlack());
    return Optional.of(
        constraint(
            column, Constraint.Kind.COMPLETENESS, round(bound, RoundingMode.CEILING), List.of()));
  }

  private static Constraint constraint(
      String column, Constraint.Kind kind, double bound, List<String> values) {
    return new Constraint(column + "." + kind.label(), column, kind, bound, values);
  }

  /** {@code x} to 4 significant digits, rounded in {@code mode}'s direction. */
  static double round(double x, RoundingMode mode) {
    if (x == 0 || !Double.isFinite(x)) {
      return x;
    }
    return new BigDecimal(x).round(new MathContext(4, mode)).doubleValue();
  }
}
