package io.lakeloop.monitoring.drift;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a model's drift baseline comes from ({@code lakeloop.models.<name>.baseline}): a period of
 * {@code prediction_log}, or a Delta table pinned at a version.
 *
 * @param from first day of a window baseline (inclusive)
 * @param until end of a window baseline (exclusive)
 * @param table a lakehouse table name or a path/URI, for a table baseline
 * @param version the table's Delta version, empty for the latest when the baseline is built
 */
public record BaselineSpec(
    Source source, LocalDate from, LocalDate until, String table, Optional<Long> version) {

  /** The two kinds of baseline. */
  public enum Source {
    WINDOW,
    TABLE
  }

  public static BaselineSpec of(LakeloopConfig config, String model) {
    Settings b = config.modelSettings(model).child("baseline");
    String key = "lakeloop.models." + model + ".baseline";
    String source = b.string("source").trim().toLowerCase(Locale.ROOT);
    switch (source) {
      case "window" -> {
        LocalDate from = date(b, "from", key);
        LocalDate until = date(b, "until", key);
        if (!until.isAfter(from)) {
          throw new ConfigError(
              key
                  + ": until ("
                  + until
                  + ") must be after from ("
                  + from
                  + "); until is exclusive");
        }
        return new BaselineSpec(Source.WINDOW, from, until, null, Optional.empty());
      }
      case "table" -> {
        String table = b.string("table").trim();
        if (table.isEmpty()) {
          throw new ConfigError(
              key
                  + ".table is empty: name a lakehouse table or give a path/URI of the Delta"
                  + " table to use as the baseline (e.g. the training data)");
        }
        long v = b.raw().getLong("version");
        if (v < -1) {
          throw new ConfigError(key + ".version must be a Delta version >= 0, or -1 for latest");
        }
        return new BaselineSpec(
            Source.TABLE, null, null, table, v < 0 ? Optional.empty() : Optional.of(v));
      }
      default ->
          throw new ConfigError(
              key + ".source must be \"window\" or \"table\", got '" + b.string("source") + "'");
    }
  }

  private static LocalDate date(Settings b, String name, String key) {
    String v = b.string(name).trim();
    if (v.isEmpty()) {
      throw new ConfigError(
          key
              + "."
              + name
              + " is not set: a window baseline needs from and until dates (YYYY-MM-DD), e.g."
              + " baseline { source = window, from = \"2026-01-01\", until = \"2026-01-08\" }");
    }
    try {
      return LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw new ConfigError(key + "." + name + ": '" + v + "' is not a date; use YYYY-MM-DD");
    }
  }

  /** A short description for logs and the profiles table's source columns. */
  public String describe() {
    return source == Source.WINDOW
        ? "prediction_log [" + from + ", " + until + ")"
        : table + version.map(v -> "@v" + v).orElse("@latest");
  }
}
