package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.config.ModelSpec;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Column;

/**
 * The metrics of one task in the Deequ style: they describe themselves as a few additive partial
 * states ({@link #partials}, one Spark {@code sum} each) plus per-class score histograms, and a
 * pure function from the summed state to metric values ({@link #compute}). Because every state adds
 * up, the evaluator fuses all metrics, windows, slices and bootstrap replicates into one
 * aggregation. Implementations are immutable and serializable (they run on executors).
 */
public interface MetricSet extends Serializable {
  /** Which rows a partial state sums over. */
  enum Scope {
    /** rows whose scores and label pass the checks */
    VALID,
    /** valid rows that have a label */
    LABELED
  }

  /**
   * One additive partial state: the sum over the rows in scope of a per-row value (nulls count as
   * 0), weighted by the bootstrap weight.
   *
   * @param name unique within the set, a plain identifier (it becomes a column name)
   * @param bootstrap whether a {@link #headline} metric reads it: only those partials are summed
   *     per bootstrap replicate (in a replicate's state the others read as NaN)
   */
  record Partial(String name, Scope scope, Column perRow, boolean bootstrap) {
    /** A partial that no headline metric reads. */
    Partial(String name, Scope scope, Column perRow) {
      this(name, scope, perRow, false);
    }
  }

  /** The row columns a metric set may use, prepared by the evaluator. */
  record RowColumns(Column label, Column prediction, Column scores) {}

  /** The summed state of one window x slice x replicate. */
  interface State {
    /**
     * A partial state by name, or one of the counts {@link #N_ALL}, {@link #N_VALID}, {@link
     * #N_LABELED}.
     */
    double get(String name);

    /** The score histogram of class k (binary: k = 0 is the positive class's score). */
    ScoreHistogram histogram(int k);
  }

  /** Rows, valid rows and valid labeled rows: partials every set gets from the evaluator. */
  String N_ALL = "n_all";

  String N_VALID = "n_valid";
  String N_LABELED = "n_labeled";

  /** A computed metric; value null when undefined (e.g. no labels); n = rows behind it. */
  record MetricValue(String name, Double value, long n) {}

  /** The additive states this set needs, beyond the three counts. */
  List<Partial> partials(RowColumns row);

  /** Number of score histograms (0 = none); histogram k ranks {@link #histogramScore}. */
  int histograms();

  /** The score that histogram {@code k} (an int column) ranks, in [0, 1]. */
  Column histogramScore(RowColumns row, Column k);

  /** Whether the row is a positive for histogram {@code k}. */
  Column histogramPositive(RowColumns row, Column k);

  /** Every metric from a summed state. */
  List<MetricValue> compute(State state);

  /** Metrics that get bootstrap confidence intervals. */
  boolean headline(String metric);

  /** The metric set for a model's task. */
  static MetricSet forModel(ModelSpec model) {
    return model.task().isClassification()
        ? new ClassificationMetrics(model.task(), model.classLabels())
        : new RegressionMetrics();
  }

  /** A value, or null when it is not a finite number (so undefined metrics stay null). */
  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
