package io.lakeloop.common.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a model predicts; decides which metrics, scores and label types apply. */
public enum Task {
  BINARY,
  MULTICLASS,
  REGRESSION;

  /** Parses {@code binary|multiclass|regression}, case-insensitively. */
  public static Task parse(String value, String key) {
    for (Task t : values()) {
      if (t.name().equalsIgnoreCase(value.trim())) {
        return t;
      }
    }
    throw new ConfigError(
        key
            + " = '"
            + value
            + "' is not a task; use one of "
            + Arrays.stream(values())
                .map(t -> t.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ")));
  }

  public boolean isClassification() {
    return this != REGRESSION;
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
