package io.lakeloop.monitoring.drift;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import java.util.List;

/**
 * Which slice columns a model's drift is computed per value of ({@code
 * lakeloop.models.<name>.drift-slices}, opt-in) and how many of each column's values are slices of
 * their own ({@code lakeloop.drift.top-k-slice-values}: the baseline's most frequent).
 */
record DriftSlices(List<String> columns, int topK) {
  static final DriftSlices NONE = new DriftSlices(List.of(), 0);

  DriftSlices {
    columns = List.copyOf(columns);
  }

  static DriftSlices of(LakeloopConfig config, ModelSpec model) {
    List<String> columns = config.modelSettings(model.name()).strings("drift-slices");
    for (String c : columns) {
      if (!model.sliceColumns().contains(c)) {
        throw new ConfigError(
            "lakeloop.models."
                + model.name()
                + ".drift-slices: '"
                + c
                + "' is not one of the model's slice-columns "
                + model.sliceColumns()
                + "; add it there or remove it here");
      }
    }
    if (columns.stream().distinct().count() < columns.size()) {
      throw new ConfigError(
          "lakeloop.models." + model.name() + ".drift-slices lists a column twice: " + columns);
    }
    return new DriftSlices(columns, config.section("drift").intAtLeast("top-k-slice-values", 1));
  }

  boolean any() {
    return !columns.isEmpty();
  }
}
