package io.lakeloop.modeling.compress;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import java.util.List;

/** {@code lakeloop.compress}, validated: see reference.conf for every key. */
public record CompressSettings(
    double targetSparsity,
    int pruningSteps,
    int epochsPerStep,
    boolean global,
    boolean includeOutputLayer,
    boolean asymmetric,
    int maxAttempts,
    double sparsityBackoff,
    double maxAccuracyDrop,
    double maxRocAucDrop,
    double maxRmseIncrease,
    int calibrationRows,
    double[] clipPercentiles) {

  public static CompressSettings from(LakeloopConfig config) {
    Settings s = config.section("compress");
    return new CompressSettings(
        s.doubleIn("target-sparsity", 0, 0.99),
        s.intAtLeast("pruning-steps", 1),
        s.intAtLeast("epochs-per-step", 1),
        s.string("pruning-scope").equals("global"),
        s.bool("prune-output-layer"),
        s.bool("asymmetric"),
        s.intAtLeast("max-attempts", 1),
        s.doubleIn("sparsity-backoff", 0, 0.99),
        s.doubleIn("gate.max-accuracy-drop", 0, 1),
        s.doubleIn("gate.max-roc-auc-drop", 0, 1),
        s.doubleIn("gate.max-rmse-increase", 0, 10),
        s.intAtLeast("calibration.rows", 0),
        percentiles(s));
  }

  private static double[] percentiles(Settings s) {
    List<Double> p = s.raw().getDoubleList("calibration.clip-percentiles");
    for (double x : p) {
      if (!(x > 0 && x <= 100)) {
        throw new ConfigError(
            "lakeloop.compress.calibration.clip-percentiles: each is in (0, 100]; got " + p);
      }
    }
    if (p.isEmpty()) {
      throw new ConfigError(
          "lakeloop.compress.calibration.clip-percentiles is empty; e.g. [100, 99.99, 99.9]");
    }
    return p.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
