package io.lakeloop.monitoring.estimate;

import java.io.Serializable;
import java.util.List;

/**
 * One model version's calibration: the probability of each class given the model's scores, as
 * confidence-based performance estimation (CBPE) needs it. Binary models have one map, for the
 * positive class (the negative class gets its complement); a multiclass model has one one-vs-rest
 * map per class, and a row's calibrated probabilities are renormalized to sum to 1 (uniform when
 * every map gives 0), as the published CBPE method does for multiclass models (NannyML's
 * documentation of CBPE). Immutable, serializable.
 *
 * @param classes the model's number of classes
 * @param maps binary: one map (class 1); multiclass: one per class, by class index
 */
public record Calibration(int classes, List<Isotonic> maps) implements Serializable {
  public Calibration {
    maps = List.copyOf(maps);
    if (classes < 2 || maps.size() != (classes == 2 ? 1 : classes)) {
      throw new IllegalArgumentException(
          "a calibration has one map for a binary model, one per class otherwise");
    }
  }

  /** Writes the calibrated probability of every class for a row's scores into {@code out}. */
  public void apply(double[] scores, double[] out) {
    if (classes == 2) {
      double p = maps.get(0).apply(scores[1]);
      out[1] = p;
      out[0] = 1 - p;
      return;
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      out[c] = maps.get(c).apply(scores[c]);
      sum += out[c];
    }
    for (int c = 0; c < classes; c++) {
      out[c] = sum > 0 ? out[c] / sum : 1.0 / classes;
    }
  }

  /** The class index each map calibrates: 1 for a binary model, else the map's position. */
  public int classOf(int map) {
    return classes == 2 ? 1 : map;
  }
}
