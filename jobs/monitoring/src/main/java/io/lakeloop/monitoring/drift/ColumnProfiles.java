package io.lakeloop.monitoring.drift;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The profiles of every drift column over one window (or the baseline): numeric columns first, in
 * {@link DriftColumns} order, then categorical ones. Mergeable; a few tens of KB per window
 * (numeric columns hold one count and one sum per fine bin).
 */
public final class ColumnProfiles implements Serializable {
  private static final long serialVersionUID = 1L;

  final NumericProfile[] numeric;
  final CategoricalProfile[] categorical;
  // the multivariate features' moments (MultivariateDrift); null when not profiled or not known
  Moments moments;
  // row-level counts (invalid score vectors, repeated request ids); null when not known
  RowChecks checks;

  ColumnProfiles(NumericProfile[] numeric, CategoricalProfile[] categorical) {
    this(numeric, categorical, null);
  }

  ColumnProfiles(NumericProfile[] numeric, CategoricalProfile[] categorical, Moments moments) {
    this(numeric, categorical, moments, null);
  }

  ColumnProfiles(
      NumericProfile[] numeric,
      CategoricalProfile[] categorical,
      Moments moments,
      RowChecks checks) {
    this.numeric = numeric;
    this.categorical = categorical;
    this.moments = moments;
    this.checks = checks;
  }

  /** Adds another window's profiles of the same columns into these; returns this. */
  ColumnProfiles merge(ColumnProfiles o) {
    mergeColumns(o);
    // moments unknown on either side leave the merge's unknown
    moments = moments == null || o.moments == null ? null : moments.merge(o.moments);
    checks = checks == null || o.checks == null ? null : checks.merge(o.checks);
    return this;
  }

  /**
   * Adds another profile's column profiles (not its moments or row-level counts) into these;
   * returns this.
   */
  ColumnProfiles mergeColumns(ColumnProfiles o) {
    for (int i = 0; i < numeric.length; i++) {
      numeric[i].merge(o.numeric[i]);
    }
    for (int i = 0; i < categorical.length; i++) {
      categorical[i].merge(o.categorical[i]);
    }
    return this;
  }

  /**
   * These profiles followed by another set's (columns profiled apart over the same rows): numeric
   * then categorical, each kind in the order this, then {@code more}; the row-level counts of both
   * passes together. Null {@code more} appends nothing.
   */
  ColumnProfiles append(ColumnProfiles more) {
    if (more == null) {
      return this;
    }
    NumericProfile[] n = Arrays.copyOf(numeric, numeric.length + more.numeric.length);
    System.arraycopy(more.numeric, 0, n, numeric.length, more.numeric.length);
    CategoricalProfile[] c =
        Arrays.copyOf(categorical, categorical.length + more.categorical.length);
    System.arraycopy(more.categorical, 0, c, categorical.length, more.categorical.length);
    RowChecks both =
        checks == null
            ? more.checks
            : more.checks == null ? checks : checks.copy().combine(more.checks);
    return new ColumnProfiles(n, c, moments, both);
  }

  /** The rows profiled (every column counts every row, nulls included); 0 without columns. */
  long rows() {
    if (numeric.length > 0) {
      return numeric[0].count();
    }
    return categorical.length > 0 ? categorical[0].count() : 0;
  }

  @Override
  public String toString() {
    return "ColumnProfiles" + Arrays.toString(numeric) + Arrays.toString(categorical);
  }
}
