package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;

import io.lakeloop.common.table.Tables;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Row;

/**
 * Constraints checked on one window's column profiles — the profiles drift computes anyway, so a
 * check costs no scan. Pure.
 */
public final class ConstraintChecks {
  private ConstraintChecks() {}

  /** Where checks were made: a model version's window, and the run. */
  public record Window(
      String model,
      String version,
      String granularity,
      Instant start,
      Instant end,
      LocalDate date,
      String runId) {}

  /** One constraint on one window: what the window showed, over how many rows, and the verdict. */
  public record Check(Constraint constraint, double observed, long rows, boolean passed) {
    /** Its row of constraint_checks. */
    public Row row(Window w) {
      Map<String, Object> v = where(w);
      v.put(CONSTRAINT_NAME, constraint.name());
      v.put(COLUMN, constraint.column());
      v.put(CONSTRAINT_KIND, constraint.kind().label());
      v.put(OBSERVED, observed);
      v.put(BOUND, constraint.bound());
      v.put(ROWS, rows);
      v.put(PASSED, passed);
      return Tables.CONSTRAINT_CHECKS_SPEC.row(v);
    }

    /** Its row of alerts (kind data_quality), for a check that failed. */
    public Row alertRow(Window w) {
      Map<String, Object> v = where(w);
      v.put(KIND, Tables.DATA_QUALITY_ALERT);
      v.put(RULE, constraint.name());
      v.put(METRIC, constraint.kind().label());
      v.put(VALUE, observed);
      v.put(BOUND, constraint.bound());
      v.put(N, rows);
      v.put(REASON, reason());
      return Tables.ALERTS_SPEC.row(v);
    }

    private static Map<String, Object> where(Window w) {
      Map<String, Object> v = new HashMap<>();
      v.put(MODEL_NAME, w.model());
      v.put(MODEL_VERSION, w.version());
      v.put(GRANULARITY, w.granularity());
      v.put(WINDOW_START, Timestamp.from(w.start()));
      v.put(WINDOW_END, Timestamp.from(w.end()));
      v.put(RUN_ID, w.runId());
      v.put(WINDOW_DATE, Date.valueOf(w.date()));
      return v;
    }

    /** The verdict in words, e.g. "device: allowed_values observed 0.1974 breaks <= 0". */
    public String reason() {
      return String.format(
          Locale.ROOT,
          "%s: %s observed %.4g %s %s %.4g",
          constraint.column(),
          constraint.kind().label(),
          observed,
          passed ? "within" : "breaks",
          constraint.kind().relation(),
          constraint.bound());
    }
  }

  /**
   * A window's rows as the row-level kinds see them: how many, their counts ({@code checks}; null
   * when not known, e.g. days profiled before lakeloop counted them) and the window's first day.
   */
  public record Rows(long rows, RowChecks checks, int startDay) {
    static final Rows NONE = new Rows(0, null, 0);
  }

  /**
   * The checks of {@code constraints} on one window. A constraint whose value the window cannot
   * define (no rows; no finite value for a range; no non-null value for a categorical share; no
   * row-level counts) gives no check.
   *
   * @param baselineCategorical the baseline's categorical profiles (what {@code unseen_share} is
   *     measured against)
   */
  public static List<Check> check(
      List<Constraint> constraints,
      Map<String, NumericProfile> numeric,
      Map<String, CategoricalProfile> categorical,
      Map<String, CategoricalProfile> baselineCategorical,
      Rows window) {
    List<Check> out = new ArrayList<>();
    for (Constraint c : constraints) {
      if (c.kind().rowColumn() != null) {
        rowCheck(c, window).ifPresent(out::add);
        continue;
      }
      NumericProfile n = numeric.get(c.column());
      CategoricalProfile k = categorical.get(c.column());
      long rows = n != null ? n.count() : k != null ? k.count() : 0;
      if (rows == 0) {
        continue;
      }
      Double observed = observed(c, n, k, baselineCategorical.get(c.column()));
      if (observed != null) {
        out.add(new Check(c, observed, rows, c.kind().passes(observed, c.bound())));
      }
    }
    return out;
  }

  /** A row-level constraint on the window, when its counts are known and it has rows. */
  private static Optional<Check> rowCheck(Constraint c, Rows w) {
    RowChecks k = w.checks();
    if (k == null) {
      return Optional.empty();
    }
    long rows = c.kind() == Constraint.Kind.VALID_SCORES ? k.rows() : w.rows();
    if (rows == 0) {
      return Optional.empty();
    }
    long bad =
        c.kind() == Constraint.Kind.VALID_SCORES ? k.invalidScores() : k.repeats(w.startDay());
    if (bad < 0) {
      return Optional.empty(); // request ids not looked at
    }
    double observed = (double) bad / rows;
    return Optional.of(new Check(c, observed, rows, c.kind().passes(observed, c.bound())));
  }

  private static Double observed(
      Constraint c, NumericProfile n, CategoricalProfile k, CategoricalProfile baseline) {
    return switch (c.kind()) {
      case COMPLETENESS ->
          n != null ? (double) n.nullCount() / n.count() : (double) k.nullCount() / k.count();
      case MIN, NON_NEGATIVE ->
          n == null || n.finiteCount() + n.negInfCount() + n.posInfCount() == 0
              ? null
              : n.negInfCount() > 0
                  ? Double.NEGATIVE_INFINITY
                  : n.finiteCount() > 0 ? n.min() : Double.POSITIVE_INFINITY;
      case MAX ->
          n == null || n.finiteCount() + n.negInfCount() + n.posInfCount() == 0
              ? null
              : n.posInfCount() > 0
                  ? Double.POSITIVE_INFINITY
                  : n.finiteCount() > 0 ? n.max() : Double.NEGATIVE_INFINITY;
      case ALLOWED_VALUES -> {
        long nonNull = k == null ? 0 : k.count() - k.nullCount();
        if (nonNull == 0) {
          yield null;
        }
        Set<String> allowed = new HashSet<>(c.values());
        long outside = 0;
        for (Map.Entry<String, Long> e : k.counts().entrySet()) {
          if (!allowed.contains(e.getKey())) {
            outside += e.getValue();
          }
        }
        yield (double) outside / nonNull;
      }
      case VALID_SCORES, UNIQUE -> null; // row-level: rowCheck
      case UNSEEN_SHARE -> {
        if (k == null || baseline == null) {
          yield null;
        }
        long unseen = k.unseenBy(baseline);
        yield unseen < 0 ? null : (double) unseen / (k.count() - k.nullCount());
      }
    };
  }
}
