package io.lakeloop.monitoring.evaluate;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Regression metrics over labeled rows: MAE, RMSE, R² (1 - SSE / SST, with SST from the sums of y
 * and y²: exact to ~1e-12 relative unless |mean| is many orders above the spread), MAPE over
 * non-zero labels (zero labels are counted as {@code mape_zero_labels}), mean prediction and mean
 * label. Pure functions of additive state; immutable.
 */
public final class RegressionMetrics implements MetricSet {
  private static final Set<String> HEADLINE = Set.of("mae", "rmse", "r2", "mape");

  /** Partials, in the order {@link #values} writes them. */
  @Override
  public List<Partial> partials() {
    return List.of(
        new Partial("abs_err", Scope.LABELED, true),
        new Partial("sq_err", Scope.LABELED, true),
        new Partial("y_sum", Scope.LABELED, true),
        new Partial("y2_sum", Scope.LABELED, true),
        new Partial("pred_sum", Scope.LABELED, false),
        new Partial("ape_sum", Scope.LABELED, true),
        new Partial("y_nonzero", Scope.LABELED, true));
  }

  @Override
  public void values(RowValues r, double[] out) {
    if (!r.labeled()) {
      Arrays.fill(out, 0, 7, 0.0);
      return;
    }
    double y = r.label;
    double err = r.prediction - y;
    out[0] = Math.abs(err);
    out[1] = err * err;
    out[2] = y;
    out[3] = y * y;
    out[4] = r.prediction;
    out[5] = y != 0 ? Math.abs(err) / Math.abs(y) : 0.0;
    out[6] = y != 0 ? 1.0 : 0.0;
  }

  @Override
  public int histograms() {
    return 0;
  }

  @Override
  public double histogramScore(RowValues row, int k) {
    throw new UnsupportedOperationException("regression has no score histograms");
  }

  @Override
  public boolean histogramPositive(RowValues row, int k) {
    throw new UnsupportedOperationException("regression has no score histograms");
  }

  @Override
  public boolean headline(String metric) {
    return HEADLINE.contains(metric);
  }

  @Override
  public List<MetricValue> compute(State s) {
    List<MetricValue> out = MetricSet.counts(s);
    double n = s.get(N_LABELED);
    long nl = Math.round(n);
    double sse = s.get("sq_err");
    double ySum = s.get("y_sum");
    double sst = s.get("y2_sum") - ySum * ySum / n;
    out.add(new MetricValue("mae", MetricSet.finite(s.get("abs_err") / n), nl));
    out.add(new MetricValue("rmse", MetricSet.finite(Math.sqrt(sse / n)), nl));
    out.add(new MetricValue("r2", sst > 0 ? MetricSet.finite(1 - sse / sst) : null, nl));
    double nonZero = s.get("y_nonzero");
    out.add(
        new MetricValue("mape", MetricSet.finite(s.get("ape_sum") / nonZero), Math.round(nonZero)));
    out.add(new MetricValue("mape_zero_labels", n - nonZero, nl));
    out.add(new MetricValue("mean_prediction", MetricSet.finite(s.get("pred_sum") / n), nl));
    out.add(new MetricValue("mean_label", MetricSet.finite(ySum / n), nl));
    return out;
  }
}
