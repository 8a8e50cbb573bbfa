package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.monitoring.ScoreVectors;
import io.lakeloop.monitoring.estimate.Calibration;
import io.lakeloop.monitoring.estimate.CalibrationMaps;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * One input row's contribution to the evaluation, in plain Java: the first reason it cannot be
 * scored (if any), every partial state's value and every histogram's code. The evaluator's scan
 * only projects the raw columns; this runs on the executors inside the one pass (and, wrapped in a
 * UDF, in the quarantine pass, so both use the same checks). Immutable; the scratch it needs is
 * passed in.
 *
 * <p>Partials, in order: {@link MetricSet#N_ALL} (every row), {@link MetricSet#N_VALID}, {@link
 * MetricSet#N_LABELED}, one count per {@link Evaluator.Invalid} reason (every row), then the metric
 * set's own, with LABELED ones zero for unlabeled rows and all zero for invalid rows.
 */
final class RowScorer implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final int COUNTS = 3;

  private final MetricSet metrics;
  private final boolean classification;
  private final int classes;
  private final double scoreSumTolerance;
  private final int fineBins;
  private final List<MetricSet.Partial> partials;
  private final boolean[] labeledOnly;
  private final int first;
  private final int customFrom;
  private final int unlabeled;
  private final int estimatedFrom;
  private final CalibrationMaps calibrations;
  private final boolean segmented;

  RowScorer(ModelSpec model, MetricSet metrics, double scoreSumTolerance, int fineBins) {
    this(model, metrics, scoreSumTolerance, fineBins, CalibrationMaps.NONE, List.of(), false);
  }

  /**
   * @param calibrations the calibrations of the versions whose metrics are also estimated (rows of
   *     other versions get no calibrated probabilities), and of the slice values that have their
   *     own
   * @param custom the custom metrics, whose per-row values the scan projects after the scores
   * @param fairness whether fairness disparities are computed: their rates' partials (unlabeled
   *     rows, predicted positives) are then summed per replicate too
   */
  RowScorer(
      ModelSpec model,
      MetricSet metrics,
      double scoreSumTolerance,
      int fineBins,
      CalibrationMaps calibrations,
      List<CustomMetric> custom,
      boolean fairness) {
    this.metrics = metrics;
    this.calibrations = calibrations;
    this.segmented = calibrations.segmented();
    this.estimatedFrom = metrics.estimatedFrom();
    this.classification = model.task().isClassification();
    this.classes = classification ? model.numClasses() : 0;
    this.scoreSumTolerance = scoreSumTolerance;
    this.fineBins = fineBins;
    List<MetricSet.Partial> all = new ArrayList<>();
    all.add(new MetricSet.Partial(MetricSet.N_ALL, null, false));
    all.add(new MetricSet.Partial(MetricSet.N_VALID, MetricSet.Scope.VALID, false));
    all.add(new MetricSet.Partial(MetricSet.N_LABELED, MetricSet.Scope.LABELED, true));
    for (Evaluator.Invalid reason : Evaluator.Invalid.values()) {
      all.add(new MetricSet.Partial(Evaluator.INVALID_PREFIX + reason.code(), null, false));
    }
    // the valid rows per replicate, for fairness's positive rates: labeled (summed anyway) plus
    // unlabeled, a partial that is zero on most rows (cheaper than summing every row's weight)
    this.unlabeled = fairness ? all.size() : -1;
    if (fairness) {
      all.add(new MetricSet.Partial(FairnessRows.N_UNLABELED, MetricSet.Scope.VALID, true));
    }
    this.customFrom = all.size();
    for (CustomMetric m : custom) {
      m.partials()
          .forEach(name -> all.add(new MetricSet.Partial(name, MetricSet.Scope.VALID, true)));
    }
    this.first = all.size();
    for (MetricSet.Partial p : metrics.partials()) {
      boolean rate = fairness && FairnessRows.RATE_PARTIALS.contains(p.name());
      all.add(rate ? new MetricSet.Partial(p.name(), p.scope(), true) : p);
    }
    this.partials = List.copyOf(all);
    this.labeledOnly = new boolean[all.size()];
    for (int i = 0; i < all.size(); i++) {
      labeledOnly[i] = all.get(i).scope() == MetricSet.Scope.LABELED;
    }
  }

  /** Every partial, in the order {@link #score} writes them. */
  List<MetricSet.Partial> partials() {
    return partials;
  }

  int histograms() {
    return metrics.histograms();
  }

  int estimatedHistograms() {
    return metrics.estimatedHistograms();
  }

  /** Per-row scratch: reuse one per task. */
  static final class Scratch {
    final MetricSet.RowValues row = new MetricSet.RowValues();
    double[] scores = new double[0];
    double[] calibrated = new double[0];
    double[] segment = new double[0];
    double[] values = new double[0];

    /** whether the last scored row has calibrated probabilities */
    boolean estimated;

    /** per slice column, the last version and value looked up and its own calibration (or null) */
    String[] segmentVersion = new String[0];

    String[] segmentValue = new String[0];
    Calibration[] segmentCalibration = new Calibration[0];

    /** the last row's model version and its calibration (versions repeat from row to row) */
    String version;

    Calibration calibration;
  }

  /**
   * A row's estimated histogram entries, written by {@link #score}: per estimated histogram the
   * fine bin of its score (-1 when the row is in none) and its probability of being a positive.
   */
  static final class Estimates {
    final int[] bins;
    final double[] positive;

    Estimates(int histograms) {
      bins = new int[histograms];
      positive = new double[histograms];
    }
  }

  /**
   * The first reason the row cannot be scored, or null. {@code scores} may be null (a null array)
   * and may hold nulls; {@code label} null when unlabeled.
   */
  Evaluator.Invalid check(Double prediction, Double label, ArrayData scores) {
    if (prediction == null || !Double.isFinite(prediction)) {
      return Evaluator.Invalid.PREDICTION_NOT_FINITE;
    }
    if (!classification) {
      return label != null && !Double.isFinite(label) ? Evaluator.Invalid.LABEL_NOT_FINITE : null;
    }
    ScoreVectors.Defect defect = ScoreVectors.defect(scores, classes, scoreSumTolerance);
    if (defect != null) {
      return switch (defect) {
        case MISSING -> Evaluator.Invalid.SCORES_MISSING;
        case WRONG_LENGTH -> Evaluator.Invalid.SCORES_WRONG_LENGTH;
        case OUT_OF_RANGE -> Evaluator.Invalid.SCORES_OUT_OF_RANGE;
        case NOT_SUMMING_TO_1 -> Evaluator.Invalid.SCORES_NOT_SUMMING_TO_1;
      };
    }
    if (!isClass(prediction)) {
      return Evaluator.Invalid.PREDICTION_NOT_A_CLASS;
    }
    if (label != null && !isClass(label)) {
      return Evaluator.Invalid.LABEL_NOT_A_CLASS;
    }
    return null;
  }

  private boolean isClass(double v) {
    return v == Math.floor(v) && v >= 0 && v <= classes - 1; // NaN fails
  }

  /** Number of custom metric partials: the scan's per-row values after the scores. */
  int customValues() {
    return first - customFrom;
  }

  /**
   * Scores one row: writes every partial's value into {@code x} and every histogram's code ({@code
   * 2 * fine bin + (positive ? 1 : 0)}, or -1 when the row is in no histogram) into {@code codes};
   * {@code custom} holds the row's custom metric values ({@link #customValues} of them).
   */
  void score(
      String version,
      Double prediction,
      Double label,
      ArrayData scores,
      double[] custom,
      Scratch scratch,
      double[] x,
      int[] codes,
      Estimates estimates) {
    Evaluator.Invalid reason = check(prediction, label, scores);
    Arrays.fill(x, 0.0);
    Arrays.fill(codes, -1);
    Arrays.fill(estimates.bins, -1);
    scratch.estimated = false;
    x[0] = 1.0;
    if (reason != null) {
      x[COUNTS + reason.ordinal()] = 1.0;
      return;
    }
    boolean labeled = label != null;
    x[1] = 1.0;
    x[2] = labeled ? 1.0 : 0.0;
    if (unlabeled >= 0) {
      x[unlabeled] = labeled ? 0.0 : 1.0;
    }
    System.arraycopy(custom, 0, x, customFrom, first - customFrom);
    MetricSet.RowValues row = scratch.row;
    row.prediction = prediction;
    row.label = labeled ? label : Double.NaN;
    if (classification) {
      if (scratch.scores.length != classes) {
        scratch.scores = new double[classes];
      }
      for (int i = 0; i < classes; i++) {
        scratch.scores[i] = scores.getDouble(i);
      }
      row.scores = scratch.scores;
      row.calibrated = calibrated(version, scratch);
    } else {
      row.scores = null;
      row.calibrated = null;
    }
    if (scratch.values.length != x.length - first) {
      scratch.values = new double[x.length - first];
    }
    metrics.values(row, scratch.values);
    System.arraycopy(scratch.values, 0, x, first, scratch.values.length);
    if (row.calibrated != null) {
      scratch.estimated = true;
      for (int h = 0; h < estimates.bins.length; h++) {
        estimates.bins[h] = fineBin(metrics.histogramScore(row, h));
        estimates.positive[h] = metrics.estimatedPositive(row, h);
      }
    }
    if (!labeled) {
      for (int i = first; i < x.length; i++) {
        if (labeledOnly[i]) {
          x[i] = 0.0;
        }
      }
      return;
    }
    for (int h = 0; h < codes.length; h++) {
      int bin = fineBin(metrics.histogramScore(row, h));
      codes[h] = 2 * bin + (metrics.histogramPositive(row, h) ? 1 : 0);
    }
  }

  /** Whether some slice value has a calibration of its own (see {@link #rescore}). */
  boolean segmented() {
    return segmented;
  }

  /**
   * The row {@link #score} just scored as a slice of {@code column} = {@code value} (the model's
   * {@code slice}-th slice column) sees it: when the row is estimated and that value has a
   * calibration of its own, copies {@code x} and {@code estimates} into {@code xOut} and {@code
   * estimatesOut} with the estimation partials and positive weights of that calibration, and
   * answers true; otherwise writes nothing and answers false (the row's own values stand).
   */
  boolean rescore(
      String version,
      int slice,
      String column,
      String value,
      Scratch scratch,
      double[] x,
      Estimates estimates,
      double[] xOut,
      Estimates estimatesOut) {
    if (!scratch.estimated) {
      return false;
    }
    Calibration c = segment(version, slice, column, value, scratch);
    if (c == null) {
      return false;
    }
    if (scratch.segment.length != classes) {
      scratch.segment = new double[classes];
    }
    c.apply(scratch.scores, scratch.segment);
    MetricSet.RowValues row = scratch.row;
    double[] own = row.calibrated;
    row.calibrated = scratch.segment;
    metrics.estimatedValues(row, scratch.values);
    System.arraycopy(x, 0, xOut, 0, first + estimatedFrom);
    System.arraycopy(
        scratch.values,
        estimatedFrom,
        xOut,
        first + estimatedFrom,
        scratch.values.length - estimatedFrom);
    for (int h = 0; h < estimates.bins.length; h++) {
      estimatesOut.bins[h] = estimates.bins[h];
      estimatesOut.positive[h] = metrics.estimatedPositive(row, h);
    }
    row.calibrated = own;
    return true;
  }

  /** The value's own calibration, remembered per slice column (values repeat from row to row). */
  private Calibration segment(
      String version, int slice, String column, String value, Scratch scratch) {
    if (scratch.segmentValue.length <= slice) {
      scratch.segmentVersion = java.util.Arrays.copyOf(scratch.segmentVersion, slice + 1);
      scratch.segmentValue = java.util.Arrays.copyOf(scratch.segmentValue, slice + 1);
      scratch.segmentCalibration = java.util.Arrays.copyOf(scratch.segmentCalibration, slice + 1);
    }
    if (!value.equals(scratch.segmentValue[slice])
        || !version.equals(scratch.segmentVersion[slice])) {
      scratch.segmentVersion[slice] = version;
      scratch.segmentValue[slice] = value;
      scratch.segmentCalibration[slice] = calibrations.of(version, column, value);
    }
    return scratch.segmentCalibration[slice];
  }

  private int fineBin(double score) {
    return Math.min((int) Math.floor(score * fineBins), fineBins - 1);
  }

  /** The row's calibrated probabilities when its version is estimated, else null. */
  private double[] calibrated(String version, Scratch scratch) {
    if (calibrations.isEmpty()) {
      return null;
    }
    if (!version.equals(scratch.version)) {
      scratch.version = version;
      scratch.calibration = calibrations.of(version);
    }
    if (scratch.calibration == null) {
      return null;
    }
    if (scratch.calibrated.length != classes) {
      scratch.calibrated = new double[classes];
    }
    scratch.calibration.apply(scratch.scores, scratch.calibrated);
    return scratch.calibrated;
  }
}
