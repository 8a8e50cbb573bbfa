package io.lakeloop.modeling.gate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.schema.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The quality gate's thresholds ({@code lakeloop.train.gate}, or {@code
 * lakeloop.train.regression-gate} for a regression model).
 *
 * @param primaryMetric the metric that picks the winner among blessed candidates
 * @param values thresholds on a candidate's own values
 * @param changes limits on how much worse than the champion a candidate may be
 */
public record GateSettings(
    String primaryMetric, List<ValueThreshold> values, List<ChangeThreshold> changes) {
  /** Metrics where a smaller value is better (every other metric: larger is better). */
  public static final Set<String> LOWER_IS_BETTER = Metrics.LOWER_IS_BETTER;

  /** {@code min ≤ value ≤ max}; either bound may be absent (null). */
  public record ValueThreshold(String metric, Double min, Double max) {}

  /**
   * The candidate may be worse than the champion by at most {@code tolerance}: absolute, or a share
   * of the champion's value when {@code relative}; "worse" is lower when {@code higherIsBetter},
   * higher otherwise.
   */
  public record ChangeThreshold(
      String metric, boolean higherIsBetter, double tolerance, boolean relative) {}

  public GateSettings {
    values = List.copyOf(values);
    changes = List.copyOf(changes);
  }

  public boolean primaryHigherIsBetter() {
    return !LOWER_IS_BETTER.contains(primaryMetric);
  }

  public static GateSettings from(Settings gate) {
    String prefix = gate.prefix();
    List<ValueThreshold> values = new ArrayList<>();
    Config v = gate.raw().getConfig("value-thresholds");
    for (String metric : new TreeSet<>(v.root().keySet())) {
      Config t = v.getConfig(quoted(metric));
      Double min = t.hasPath("min") ? t.getDouble("min") : null;
      Double max = t.hasPath("max") ? t.getDouble("max") : null;
      if (min == null && max == null) {
        throw new ConfigError(
            prefix
                + ".value-thresholds."
                + metric
                + " has neither min nor max; e.g. { min = 0.9 } or { max = 0.3 }");
      }
      values.add(new ValueThreshold(metric, min, max));
    }
    List<ChangeThreshold> changes = new ArrayList<>();
    try {
      for (Config c : gate.raw().getConfigList("change-thresholds")) {
        double tolerance = c.hasPath("tolerance") ? c.getDouble("tolerance") : 0;
        if (!(tolerance >= 0)) {
          throw new ConfigError(
              prefix + ".change-thresholds: tolerance must be ≥ 0; got " + tolerance);
        }
        String metric = c.getString("metric");
        changes.add(
            new ChangeThreshold(
                metric,
                c.hasPath("higher-is-better")
                    ? c.getBoolean("higher-is-better")
                    : !LOWER_IS_BETTER.contains(metric),
                tolerance,
                c.hasPath("relative") && c.getBoolean("relative")));
      }
    } catch (ConfigException e) {
      throw new ConfigError(
          prefix
              + ".change-thresholds: "
              + e.getMessage()
              + "; each entry is { metric = accuracy, higher-is-better = true, tolerance = 0.01,"
              + " relative = false }");
    }
    return new GateSettings(gate.string("primary-metric"), values, changes);
  }

  private static String quoted(String key) {
    return "\"" + key.replace("\"", "\\\"") + "\"";
  }
}
