package io.lakeloop.monitoring;

import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * What makes a classification model's logged score vector unusable — the one definition evaluate
 * (rows it counts as invalid and does not score) and drift (the {@code valid_scores} constraint)
 * share. Pure.
 */
public final class ScoreVectors {
  private ScoreVectors() {}

  /** A score vector's first defect, in the order they are checked. */
  public enum Defect {
    /** The vector is null. */
    MISSING,
    /** It does not hold one value per class. */
    WRONG_LENGTH,
    /** A value is null, NaN or outside [0, 1]. */
    OUT_OF_RANGE,
    /** The values do not sum to 1 within the tolerance. */
    NOT_SUMMING_TO_1
  }

  /**
   * The first defect of {@code scores} (null: a null vector) for a model of {@code classes}
   * classes, or null when it is a valid probability vector.
   */
  public static Defect defect(ArrayData scores, int classes, double sumTolerance) {
    if (scores == null) {
      return Defect.MISSING;
    }
    if (scores.numElements() != classes) {
      return Defect.WRONG_LENGTH;
    }
    double sum = 0;
    for (int i = 0; i < classes; i++) {
      if (scores.isNullAt(i)) {
        return Defect.OUT_OF_RANGE;
      }
      double s = scores.getDouble(i);
      if (!(s >= 0 && s <= 1)) { // NaN fails both
        return Defect.OUT_OF_RANGE;
      }
      sum += s;
    }
    return Math.abs(sum - 1) > sumTolerance ? Defect.NOT_SUMMING_TO_1 : null;
  }
}
