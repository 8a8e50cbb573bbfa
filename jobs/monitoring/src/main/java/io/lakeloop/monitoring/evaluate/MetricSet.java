package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.config.ModelSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The metrics of one task in the Deequ style: they describe themselves as a few additive partial
 * states ({@link #partials}, each the sum of a per-row value that {@link #values} computes) plus
 * per-class score histograms, and a pure function from the summed state to metric values ({@link
 * #compute}). Because every state adds up, the evaluator fuses all metrics, windows, slices and
 * bootstrap replicates into one aggregation. Per-row values are plain Java over a {@link RowValues}
 * (not Spark expressions): the scan stays a small projection. Implementations are immutable and
 * serializable (they run on executors).
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
   * One additive partial state: the sum over the rows in scope of a per-row value, weighted by the
   * bootstrap weight.
   *
   * @param name unique within the set, a plain identifier
   * @param bootstrap whether a {@link #headline} metric reads it: only those partials are summed
   *     per bootstrap replicate (in a replicate's state the others read as NaN)
   */
  record Partial(String name, Scope scope, boolean bootstrap) implements Serializable {}

  /**
   * One valid row as the metrics see it: the prediction, the label (NaN when unlabeled) and the
   * class probabilities (null for regression). For classification both are class indexes, checked
   * by the evaluator. Mutable and reused from row to row by the evaluator; read it, do not keep it.
   */
  final class RowValues {
    double prediction;
    double label;
    double[] scores;

    /** calibrated class probabilities when the row's model version is estimated, else null */
    double[] calibrated;

    boolean labeled() {
      return !Double.isNaN(label);
    }
  }

  /** The summed state of one window x slice x replicate. */
  interface State {
    /**
     * A partial state by name, or one of the counts {@link #N_ALL}, {@link #N_VALID}, {@link
     * #N_LABELED}.
     */
    double get(String name);

    /** The score histogram of class k (binary: k = 0 is the positive class's score). */
    ScoreHistogram histogram(int k);

    /**
     * The estimated score histogram of class k: every estimated row in its score's bin, as a
     * positive of weight {@link #estimatedPositive} and a negative of weight one minus it. Empty in
     * a replicate's state.
     */
    default ScoreHistogram estimatedHistogram(int k) {
      return new ScoreHistogram();
    }
  }

  /** Rows, valid rows and valid labeled rows: partials every set gets from the evaluator. */
  String N_ALL = "n_all";

  String N_VALID = "n_valid";
  String N_LABELED = "n_labeled";

  /** A computed metric; value null when undefined (e.g. no labels); n = rows behind it. */
  record MetricValue(String name, Double value, long n) {}

  /** The additive states this set needs, beyond the three counts. */
  List<Partial> partials();

  /**
   * Writes each partial's value for a valid row into {@code out}, in the order of {@link
   * #partials}; the evaluator zeroes LABELED partials of unlabeled rows. Values must be finite.
   */
  void values(RowValues row, double[] out);

  /** Number of score histograms (0 = none); histogram k ranks {@link #histogramScore}. */
  int histograms();

  /** The score in [0, 1] that histogram {@code k} ranks. */
  double histogramScore(RowValues row, int k);

  /** Whether a labeled row is a positive for histogram {@code k}. */
  boolean histogramPositive(RowValues row, int k);

  /**
   * Number of estimated score histograms (0 = none); histogram k ranks {@link #histogramScore} with
   * every row that has calibrated probabilities.
   */
  default int estimatedHistograms() {
    return 0;
  }

  /**
   * Index of the first estimation partial of {@link #partials}: they are its last ones, and only
   * they depend on a row's calibrated probabilities (the size of the list when none).
   */
  default int estimatedFrom() {
    return partials().size();
  }

  /** Writes only the estimation partials of a row ({@link #estimatedFrom} on) into {@code out}. */
  default void estimatedValues(RowValues row, double[] out) {}

  /** The probability that an estimated row is a positive of estimated histogram {@code k}. */
  default double estimatedPositive(RowValues row, int k) {
    throw new UnsupportedOperationException("no estimated histograms");
  }

  /** Every metric from a summed state. */
  List<MetricValue> compute(State state);

  /**
   * Intervals the set computes itself from the sample's state rather than from the bootstrap
   * replicates (by metric name: low, high), at the given confidence.
   */
  default Map<String, double[]> intervals(State sample, double confidence) {
    return Map.of();
  }

  /** Metrics that get bootstrap confidence intervals. */
  boolean headline(String metric);

  /** The metric set for a model's task. */
  static MetricSet forModel(ModelSpec model) {
    return forModel(model, false);
  }

  /**
   * The metric set for a model's task; with {@code estimate} (classification only) it adds the
   * estimated metrics of rows with calibrated probabilities.
   */
  static MetricSet forModel(ModelSpec model, boolean estimate) {
    return model.task().isClassification()
        ? new ClassificationMetrics(model.task(), model.classLabels(), estimate)
        : new RegressionMetrics();
  }

  /**
   * The counts every task reports first: rows, invalid rows, labeled valid rows and their share of
   * the valid rows; in a new mutable list the task appends its metrics to.
   */
  static List<MetricValue> counts(State s) {
    long all = Math.round(s.get(N_ALL));
    double valid = s.get(N_VALID);
    double n = s.get(N_LABELED);
    long nv = Math.round(valid);
    List<MetricValue> out = new ArrayList<>();
    out.add(new MetricValue("count", (double) all, all));
    out.add(new MetricValue("invalid_rows", (double) (all - nv), all));
    out.add(new MetricValue("labeled_count", n, nv));
    out.add(new MetricValue("labeled_share", finite(n / valid), nv));
    return out;
  }

  /** A value, or null when it is not a finite number (so undefined metrics stay null). */
  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
