package io.lakeloop.common.config;

import io.lakeloop.common.LakeloopException;

/** Invalid configuration, detected before Spark starts. The message names key, file and fix. */
public final class ConfigError extends LakeloopException {
  public ConfigError(String message) {
    super(message);
  }

  public ConfigError(String message, Throwable cause) {
    super(message, cause);
  }
}
