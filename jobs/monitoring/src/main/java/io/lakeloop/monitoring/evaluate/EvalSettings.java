package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.window.Granularity;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code lakeloop.evaluate} section, typed and range-checked (defaults and meaning in
 * reference.conf). Immutable.
 */
public record EvalSettings(
    List<Granularity> granularities,
    int bootstrapReplicates,
    double confidence,
    int topKSliceValues,
    int aucBins,
    int bootstrapAucBins,
    double scoreSumTolerance,
    long stateMemoryBytes) {

  public EvalSettings {
    granularities = List.copyOf(granularities);
    if (aucBins % bootstrapAucBins != 0) {
      throw new ConfigError(
          "lakeloop.evaluate.auc-bins ("
              + aucBins
              + ") must be a multiple of lakeloop.evaluate.bootstrap-auc-bins ("
              + bootstrapAucBins
              + "): each coarse bin is a run of fine ones; e.g. 10000 and 200");
    }
  }

  public static EvalSettings from(LakeloopConfig config) {
    Settings s = config.section("evaluate");
    List<Granularity> gs = new ArrayList<>();
    for (String g : s.strings("granularities")) {
      Granularity parsed = Granularity.parse(g, "lakeloop.evaluate.granularities");
      if (gs.stream().anyMatch(o -> o.label().equals(parsed.label()))) {
        throw new ConfigError("lakeloop.evaluate.granularities lists '" + g + "' twice");
      }
      gs.add(parsed);
    }
    if (gs.isEmpty()) {
      throw new ConfigError(
          "lakeloop.evaluate.granularities is empty: list at least one, e.g. [\"1 day\"]");
    }
    double confidence = s.doubleIn("confidence", 0.5, 0.999);
    return new EvalSettings(
        gs,
        s.intAtLeast("bootstrap-replicates", 0),
        confidence,
        s.intAtLeast("top-k-slice-values", 1),
        s.intAtLeast("auc-bins", 10),
        s.intAtLeast("bootstrap-auc-bins", 10),
        s.doubleIn("score-sum-tolerance", 0, 1),
        (long) s.intAtLeast("state-memory-mb", 16) << 20);
  }

  /** A copy with other granularities (tests, the quality gate). */
  public EvalSettings withGranularities(List<Granularity> gs) {
    return new EvalSettings(
        gs,
        bootstrapReplicates,
        confidence,
        topKSliceValues,
        aucBins,
        bootstrapAucBins,
        scoreSumTolerance,
        stateMemoryBytes);
  }
}
