package io.lakeloop.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.function.Supplier;

/**
 * Typed reads of an already type-checked config section, with range checks whose errors name the
 * full key, where it was set and what is allowed. Every lakeloop settings record reads through
 * this.
 */
public final class Settings {
  private final Config section;
  private final String prefix;

  public Settings(Config section, String prefix) {
    this.section = section;
    this.prefix = prefix;
  }

  public Settings child(String key) {
    return new Settings(section.getConfig(key), prefix + "." + key);
  }

  /** The section's full key, e.g. {@code lakeloop.train.gate}. */
  public String prefix() {
    return prefix;
  }

  public Config raw() {
    return section;
  }

  public String string(String key) {
    return wrap(key, () -> section.getString(key));
  }

  public boolean bool(String key) {
    return wrap(key, () -> section.getBoolean(key));
  }

  public List<String> strings(String key) {
    return wrap(key, () -> section.getStringList(key));
  }

  public Duration duration(String key) {
    return wrap(key, () -> section.getDuration(key));
  }

  public long positiveLong(String key) {
    long v = wrap(key, () -> section.getLong(key));
    if (v <= 0) {
      throw bad(key, v, "a positive whole number");
    }
    return v;
  }

  public int intAtLeast(String key, int min) {
    int v = wrap(key, () -> section.getInt(key));
    if (v < min) {
      throw bad(key, v, "a whole number >= " + min);
    }
    return v;
  }

  public double doubleIn(String key, double min, double max) {
    double v = wrap(key, () -> section.getDouble(key));
    if (!(v >= min && v <= max)) {
      throw bad(key, v, "a number in [" + min + ", " + max + "]");
    }
    return v;
  }

  public LocalDate date(String key) {
    String v = string(key);
    try {
      return LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw bad(key, v, "a date as YYYY-MM-DD");
    }
  }

  private ConfigError bad(String key, Object value, String expected) {
    return new ConfigError(
        prefix
            + "."
            + key
            + " = "
            + value
            + ConfigLoader.where(section.getValue(key))
            + " is invalid: expected "
            + expected);
  }

  private <T> T wrap(String key, Supplier<T> read) {
    try {
      return read.get();
    } catch (ConfigException.Missing e) {
      throw new ConfigError(prefix + "." + key + " is missing: " + e.getMessage(), e);
    } catch (ConfigException e) {
      throw new ConfigError("invalid configuration: " + e.getMessage(), e);
    }
  }
}
