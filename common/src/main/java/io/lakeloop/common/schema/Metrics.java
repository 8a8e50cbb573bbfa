package io.lakeloop.common.schema;

import java.util.Set;

/** What lakeloop knows of a metric by its eval_metrics name, shared by the gate and the alerts. */
public final class Metrics {
  private Metrics() {}

  /** Metrics where a smaller value is better (every other metric: larger is better). */
  public static final Set<String> LOWER_IS_BETTER =
      Set.of("log_loss", "brier", "ece", "mae", "rmse", "mape");

  /**
   * How evaluate names a metric estimated without labels (CBPE): {@code estimated_accuracy} beside
   * {@code accuracy}.
   */
  public static final String ESTIMATED = "estimated_";

  /** The estimate's name of a metric. */
  public static String estimated(String metric) {
    return ESTIMATED + metric;
  }
}
