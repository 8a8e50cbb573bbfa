package io.lakeloop.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Loads and validates lakeloop's configuration: {@code reference.conf} (the defaults), then an
 * optional {@code --config FILE}, then each {@code --set key=value} in order. Unknown keys under
 * {@code lakeloop.} and values of the wrong type fail here, before Spark starts, with a message
 * naming the key, where it was set and what is expected. Pure: reads only the given file.
 */
public final class ConfigLoader {
  static final String ROOT = "lakeloop";

  /** Sub-trees whose keys are free-form (validated elsewhere or passed through). */
  private static final Set<String> FREE_FORM =
      Set.of("lakeloop.spark.conf", "lakeloop.models", "lakeloop.generate.categories");

  private ConfigLoader() {}

  /** Loads reference.conf + file + overrides and returns the validated typed configuration. */
  public static LakeloopConfig load(Optional<Path> file, List<String> overrides) {
    Config reference =
        ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
    Config layered = ConfigFactory.empty();
    for (int i = overrides.size() - 1; i >= 0; i--) {
      layered = layered.withFallback(parseOverride(overrides.get(i)));
    }
    if (file.isPresent()) {
      layered = layered.withFallback(parseFile(file.get()));
    }
    Config merged;
    try {
      merged =
          layered
              .withFallback(reference)
              .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(true));
    } catch (ConfigException e) {
      throw new ConfigError("invalid configuration: " + e.getMessage(), e);
    }
    Config resolvedReference = reference.resolve();
    if (!merged.hasPath(ROOT)) {
      throw new ConfigError("configuration has no 'lakeloop' section");
    }
    checkKnownKeys(merged.getObject(ROOT), resolvedReference.getObject(ROOT), ROOT);
    try {
      merged.checkValid(resolvedReference, ROOT);
    } catch (ConfigException.ValidationFailed e) {
      throw new ConfigError(describeValidation(e), e);
    }
    checkLeafTypes(merged, resolvedReference.getObject(ROOT), ROOT);
    return LakeloopConfig.from(merged.getConfig(ROOT));
  }

  private static Config parseFile(Path path) {
    File f = path.toFile();
    if (!Files.isRegularFile(path)) {
      throw new ConfigError(
          "config file " + path + " does not exist (or is not a file): check the --config path");
    }
    if (!Files.isReadable(path)) {
      throw new ConfigError("config file " + path + " is not readable: check its permissions");
    }
    try {
      return ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new ConfigError("config file " + path + " cannot be parsed: " + e.getMessage(), e);
    }
  }

  /** Parses {@code key=value}; a value that is not valid HOCON is taken as a plain string. */
  static Config parseOverride(String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(
          "--set '"
              + override
              + "' is not key=value (for example --set lakeloop.generate.rows=1000)");
    }
    String key = override.substring(0, eq).trim();
    String value = override.substring(eq + 1).trim();
    if (!key.equals(ROOT) && !key.startsWith(ROOT + ".")) {
      throw new ConfigError(
          "--set "
              + override
              + ": keys start with 'lakeloop.' (did you mean lakeloop."
              + key
              + "?)");
    }
    ConfigParseOptions origin = ConfigParseOptions.defaults().setOriginDescription("--set " + key);
    try {
      return ConfigFactory.parseString(key + " = " + value, origin);
    } catch (ConfigException e) {
      try {
        return ConfigFactory.parseString(key + " = \"\"", origin)
            .withValue(key, ConfigValueFactory.fromAnyRef(value, "--set " + key));
      } catch (ConfigException bad) {
        throw new ConfigError("--set " + override + ": '" + key + "' is not a valid key", bad);
      }
    }
  }

  /** Rejects keys the reference does not declare, suggesting the nearest declared one. */
  private static void checkKnownKeys(ConfigObject actual, ConfigObject reference, String path) {
    if (FREE_FORM.contains(path)) {
      return;
    }
    for (Map.Entry<String, ConfigValue> entry : actual.entrySet()) {
      String key = entry.getKey();
      String full = path + "." + quoteIfNeeded(key);
      ConfigValue ref = reference.get(key);
      if (ref == null) {
        throw new ConfigError(
            "unknown key "
                + full
                + where(entry.getValue())
                + suggestion(key, reference.keySet(), path)
                + "; every key lakeloop reads is declared in reference.conf");
      }
      if (entry.getValue().valueType() == ConfigValueType.OBJECT
          && ref.valueType() == ConfigValueType.OBJECT) {
        checkKnownKeys((ConfigObject) entry.getValue(), (ConfigObject) ref, full);
      }
    }
  }

  private static final Pattern DURATION =
      Pattern.compile("\\d+\\s*(ms|s|seconds?|m|minutes?|h|hours?|d|days?)");

  /**
   * checkValid accepts a string where the reference has a number or boolean (it could convert);
   * read each such leaf as its reference type so "rows = lots" fails here, naming the file.
   */
  static void checkLeafTypes(Config merged, ConfigObject reference, String path) {
    if (FREE_FORM.contains(path)) {
      return;
    }
    for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
      String full = path + "." + quoteIfNeeded(e.getKey());
      if (!merged.hasPath(full)) {
        continue;
      }
      ConfigValue ref = e.getValue();
      try {
        switch (ref.valueType()) {
          case OBJECT -> checkLeafTypes(merged, (ConfigObject) ref, full);
          case NUMBER -> merged.getDouble(full);
          case BOOLEAN -> merged.getBoolean(full);
          case STRING -> {
            if (DURATION.matcher(String.valueOf(ref.unwrapped())).matches()) {
              merged.getDuration(full);
            }
          }
          default -> {}
        }
      } catch (ConfigException bad) {
        throw new ConfigError(
            "invalid configuration: "
                + full
                + where(merged.getValue(full))
                + ": expected "
                + (ref.valueType() == ConfigValueType.STRING
                    ? "a duration such as 36 hours"
                    : ref.valueType().name())
                + ", got '"
                + merged.getValue(full).unwrapped()
                + "'",
            bad);
      }
    }
  }

  /** Validates one model's keys against model-defaults (same rules as the rest). */
  static void checkModelKeys(String name, ConfigObject model, ConfigObject defaults) {
    checkKnownKeys(model, defaults, ROOT + ".models." + name);
  }

  static String where(ConfigValue value) {
    String d = value.origin().description();
    return d == null || d.isEmpty() ? "" : " (set in " + d + ")";
  }

  private static String suggestion(String key, Set<String> candidates, String path) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = Strings.editDistance(key, c);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    int allowed = Math.max(2, key.length() / 3);
    return best != null && bestDistance <= allowed
        ? "; did you mean " + path + "." + best + "?"
        : "; known keys here: " + new ArrayList<>(candidates).stream().sorted().toList();
  }

  private static String quoteIfNeeded(String key) {
    return key.contains(".") ? "\"" + key + "\"" : key;
  }

  private static String describeValidation(ConfigException.ValidationFailed e) {
    StringBuilder sb = new StringBuilder("invalid configuration:");
    for (ConfigException.ValidationProblem p : e.problems()) {
      sb.append(' ')
          .append(p.path())
          .append(where(p.origin()))
          .append(": ")
          .append(p.problem())
          .append(';');
    }
    sb.setLength(sb.length() - 1);
    return sb.toString();
  }

  private static String where(ConfigOrigin origin) {
    String d = origin == null ? null : origin.description();
    return d == null || d.isEmpty() ? "" : " (set in " + d + ")";
  }
}
