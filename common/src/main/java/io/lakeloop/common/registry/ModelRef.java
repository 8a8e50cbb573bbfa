package io.lakeloop.common.registry;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ModelSpec;
import java.util.Optional;

/**
 * A reference to one registered model: {@code name/version} (a fixed version) or {@code name@alias}
 * (whatever the alias points at when it is resolved).
 */
public record ModelRef(String model, Optional<Integer> version, Optional<String> alias) {
  /** Parses {@code name/version} or {@code name@alias}; the message shows both forms. */
  public static ModelRef parse(String text) {
    int at = text.indexOf('@');
    int slash = text.indexOf('/');
    try {
      if (at > 0 && slash < 0 && at < text.length() - 1) {
        return new ModelRef(
            ModelSpec.checkName(text.substring(0, at)),
            Optional.empty(),
            Optional.of(text.substring(at + 1)));
      }
      if (slash > 0 && at < 0) {
        int v = Integer.parseInt(text.substring(slash + 1));
        if (v >= 1) {
          return new ModelRef(
              ModelSpec.checkName(text.substring(0, slash)), Optional.of(v), Optional.empty());
        }
      }
    } catch (NumberFormatException | ConfigError e) {
      // fall through to the message below
    }
    throw new LakeloopException(
        "'"
            + text
            + "' is not a model reference; use NAME/VERSION (e.g. churn/3) or NAME@ALIAS (e.g."
            + " churn@champion)");
  }

  @Override
  public String toString() {
    return model + version.map(v -> "/" + v).orElse("") + alias.map(a -> "@" + a).orElse("");
  }
}
