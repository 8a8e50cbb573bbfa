package io.lakeloop.monitoring.quality;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.schema.Metrics;
import io.lakeloop.common.window.Granularity;
import java.io.Serializable;
import java.util.List;
import java.util.Set;

/**
 * How metric history is watched for anomalies ({@code lakeloop.models.<name>.quality.anomaly}).
 *
 * @param metrics metrics compared with their own history; empty = off
 * @param granularities window lengths judged (eval_metrics labels)
 * @param history windows before the judged one that form its band
 * @param minHistory fewer usable windows than this: not judged
 * @param k how many robust standard deviations (1.4826 x MAD) away is an anomaly
 * @param weekly compare only with windows a whole number of weeks earlier (a weekly season)
 */
public record AnomalySettings(
    List<String> metrics,
    List<String> granularities,
    int history,
    int minHistory,
    double k,
    boolean weekly,
    Set<String> lowerIsBetter)
    implements Serializable {

  public AnomalySettings {
    metrics = List.copyOf(metrics);
    granularities = List.copyOf(granularities);
    lowerIsBetter = Set.copyOf(lowerIsBetter);
  }

  /** Settings whose metrics are all built-in (their direction is known). */
  public AnomalySettings(
      List<String> metrics,
      List<String> granularities,
      int history,
      int minHistory,
      double k,
      boolean weekly) {
    this(metrics, granularities, history, minHistory, k, weekly, Set.of());
  }

  /**
   * Whether a rise of the metric is the worse direction: a built-in loss or error, or a custom
   * metric whose direction is lower.
   */
  boolean lowerIsBetter(String metric) {
    return Metrics.LOWER_IS_BETTER.contains(metric) || lowerIsBetter.contains(metric);
  }

  /**
   * @param lowerIsBetter the model's custom metrics whose direction is lower (the built-in ones are
   *     known)
   */
  static AnomalySettings from(Settings a, String key, Set<String> lowerIsBetter) {
    List<String> granularities = a.strings("granularities");
    for (String g : granularities) {
      Granularity.parse(g, key + ".granularities");
    }
    String season = a.string("season").trim();
    if (!season.equals("none") && !season.equals("weekly")) {
      throw new ConfigError(key + ".season must be \"none\" or \"weekly\", got '" + season + "'");
    }
    int history = a.intAtLeast("history", 2);
    int minHistory = a.intAtLeast("min-history", 2);
    if (minHistory > history) {
      throw new ConfigError(
          key + ".min-history (" + minHistory + ") is more than history (" + history + ")");
    }
    return new AnomalySettings(
        a.strings("metrics"),
        granularities.stream().map(String::trim).toList(),
        history,
        minHistory,
        a.doubleIn("k", 0.5, 100),
        season.equals("weekly"),
        lowerIsBetter);
  }
}
