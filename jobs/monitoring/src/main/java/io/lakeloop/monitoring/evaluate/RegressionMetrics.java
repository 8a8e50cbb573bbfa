package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;

/**
 * Regression metrics over labeled rows: MAE, RMSE, R² (1 - SSE / SST, with SST from the sums of y
 * and y²: exact to ~1e-12 relative unless |mean| is many orders above the spread), MAPE over
 * non-zero labels (zero labels are counted as {@code mape_zero_labels}), mean prediction and mean
 * label. Pure functions of additive state; immutable.
 */
public final class RegressionMetrics implements MetricSet {
  private static final Set<String> HEADLINE = Set.of("mae", "rmse", "r2", "mape");

  @Override
  public List<Partial> partials(RowColumns r) {
    Column err = r.prediction().minus(r.label());
    Column nonZero = r.label().notEqual(0);
    return List.of(
        new Partial("abs_err", Scope.LABELED, abs(err), true),
        new Partial("sq_err", Scope.LABELED, err.multiply(err), true),
        new Partial("y_sum", Scope.LABELED, r.label(), true),
        new Partial("y2_sum", Scope.LABELED, r.label().multiply(r.label()), true),
        new Partial("pred_sum", Scope.LABELED, r.prediction()),
        new Partial(
            "ape_sum",
            Scope.LABELED,
            when(nonZero, abs(err).divide(abs(r.label()))).otherwise(0.0),
            true),
        new Partial("y_nonzero", Scope.LABELED, when(nonZero, 1.0).otherwise(0.0), true));
  }

  @Override
  public int histograms() {
    return 0;
  }

  @Override
  public Column histogramScore(RowColumns row, Column k) {
    return lit(0.0);
  }

  @Override
  public Column histogramPositive(RowColumns row, Column k) {
    return lit(false);
  }

  @Override
  public boolean headline(String metric) {
    return HEADLINE.contains(metric);
  }

  @Override
  public List<MetricValue> compute(State s) {
    List<MetricValue> out = new ArrayList<>();
    long all = Math.round(s.get(N_ALL));
    double valid = s.get(N_VALID);
    double n = s.get(N_LABELED);
    long nl = Math.round(n);
    long nv = Math.round(valid);
    out.add(new MetricValue("count", (double) all, all));
    out.add(new MetricValue("invalid_rows", (double) (all - nv), all));
    out.add(new MetricValue("labeled_count", n, nv));
    out.add(new MetricValue("labeled_share", MetricSet.finite(n / valid), nv));
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
