package io.lakeloop.monitoring.drift;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One data-quality constraint on one column, as the constraints file states it: a bound on one
 * value a window shows ({@link Kind}); {@code values} only for {@link Kind#ALLOWED_VALUES}.
 */
public record Constraint(String name, String column, Kind kind, double bound, List<String> values) {
  public Constraint {
    values = List.copyOf(values);
  }

  /** What a constraint bounds, and on which side. */
  public enum Kind {
    /** The share of null rows is at most the bound. */
    COMPLETENESS(true, false, true),
    /** The smallest value (−∞ if any) is at least the bound. */
    MIN(false, true, false),
    /** The largest value (+∞ if any) is at most the bound. */
    MAX(true, true, false),
    /** The smallest value is at least 0 (the bound). */
    NON_NEGATIVE(false, true, false),
    /** The share of non-null values outside {@code values} is at most the bound (0: none). */
    ALLOWED_VALUES(true, false, false),
    /**
     * The share of non-null values outside those the baseline counted is at most the bound (for
     * domains too large to list).
     */
    UNSEEN_SHARE(true, false, false),
    /**
     * The share of rows whose score vector is invalid — null, not one value per class, a value
     * null, NaN or outside [0, 1], or not summing to 1 within {@code
     * lakeloop.evaluate.score-sum-tolerance} — is at most the bound (classification models; column
     * {@code scores}).
     */
    VALID_SCORES("scores"),
    /**
     * The share of a model version's rows whose request_id an earlier row of the same version in
     * the window already has (rows minus distinct request ids, over rows) is at most the bound
     * (column {@code request_id}).
     */
    UNIQUE("request_id");

    private final boolean atMost;
    private final boolean numeric;
    private final boolean both;
    private final String rowColumn;

    Kind(boolean atMost, boolean numeric, boolean both) {
      this.atMost = atMost;
      this.numeric = numeric;
      this.both = both;
      this.rowColumn = null;
    }

    /** A kind checked on whole rows rather than one drift column: a share, at most the bound. */
    Kind(String rowColumn) {
      this.atMost = true;
      this.numeric = false;
      this.both = false;
      this.rowColumn = rowColumn;
    }

    /** The column a row-level kind is stated on ({@code scores}, {@code request_id}), or null. */
    public String rowColumn() {
      return rowColumn;
    }

    /** The name in the constraints file and the tables. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether a window passes with {@code observed}. */
    public boolean passes(double observed, double bound) {
      return atMost ? observed <= bound : observed >= bound;
    }

    /** "<=" or ">=", for messages. */
    public String relation() {
      return atMost ? "<=" : ">=";
    }

    /** Whether the kind applies to a column of this kind (numeric or categorical). */
    public boolean appliesTo(boolean numericColumn) {
      return rowColumn == null && (both || numeric == numericColumn);
    }

    /** The kind a file names, or an error listing the kinds. */
    public static Kind parse(String label, String where) {
      for (Kind k : values()) {
        if (k.label().equals(label)) {
          return k;
        }
      }
      throw new IllegalArgumentException(
          where
              + ": unknown kind '"
              + label
              + "'; use one of "
              + Arrays.stream(values()).map(Kind::label).toList());
    }
  }
}
