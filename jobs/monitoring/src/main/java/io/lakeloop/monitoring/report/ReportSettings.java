package io.lakeloop.monitoring.report;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code lakeloop.report} section (and the drift section's top-k-categories, so histograms use
 * drift's bins), typed and range-checked; defaults and meaning in reference.conf. Immutable.
 */
record ReportSettings(
    List<String> metrics,
    int historyDays,
    int curveBins,
    int calibrationBins,
    int alertDays,
    int topK) {
  /** Read with the chosen metrics: it finds the latest labeled day. */
  static final String LABELED_COUNT = "labeled_count";

  ReportSettings {
    metrics = List.copyOf(metrics);
    if (metrics.isEmpty()) {
      throw new ConfigError(
          "lakeloop.report.metrics is empty: name at least one eval_metrics metric, e.g."
              + " [accuracy, roc_auc]");
    }
    if (curveBins % calibrationBins != 0) {
      throw new ConfigError(
          "lakeloop.report.curve-bins ("
              + curveBins
              + ") must be a multiple of lakeloop.report.calibration-bins ("
              + calibrationBins
              + "): each calibration bin is a run of curve bins; e.g. 1000 and 10");
    }
  }

  /** A copy that also charts {@code more} metrics (after the configured ones, no duplicates). */
  ReportSettings withMetrics(List<String> more) {
    Set<String> all = new LinkedHashSet<>(metrics);
    all.addAll(more);
    return new ReportSettings(
        List.copyOf(all), historyDays, curveBins, calibrationBins, alertDays, topK);
  }

  static ReportSettings from(LakeloopConfig config) {
    Settings s = config.section("report");
    return new ReportSettings(
        s.strings("metrics"),
        s.intAtLeast("history-days", 1),
        s.intAtLeast("curve-bins", 2),
        s.intAtLeast("calibration-bins", 1),
        s.intAtLeast("alert-days", 1),
        config.section("drift").intAtLeast("top-k-categories", 1));
  }
}
