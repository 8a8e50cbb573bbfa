package io.lakeloop.monitoring.generate;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.Settings;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of the synthetic traffic generator, from {@code lakeloop.generate} (documented in
 * reference.conf) with command-line overrides. Immutable.
 */
public record GenerateSettings(
    long rows,
    int days,
    LocalDate startDate,
    long seed,
    int partitions,
    double peakHour,
    double dailyCycle,
    double malformedShare,
    Duration meanLabelDelay,
    Duration minLabelDelay,
    double neverLabeledShare,
    int covariateDriftStartDay,
    double covariateDriftStrength,
    int conceptDriftStartDay,
    double conceptDriftStrength,
    String modelVersion,
    Map<String, List<String>> categories,
    long worldSeed,
    int qualityBreakDay,
    double qualityBreakShare,
    SliceDrift sliceDrift) {

  /**
   * A drift confined to one slice: from {@code startDay} (0-based; -1 = none) the second numeric
   * feature of the rows whose string column {@code column} is {@code value} shifts by {@code
   * strength} standard deviations; every other row is as without it.
   */
  public record SliceDrift(int startDay, String column, String value, double strength) {
    public static final SliceDrift NONE = new SliceDrift(-1, "", "", 0);
  }

  public GenerateSettings {
    categories = Map.copyOf(categories);
  }

  /** Reads {@code lakeloop.generate} and applies --rows, --days, --seed, --start-date. */
  public static GenerateSettings from(Settings s, CliArgs args) {
    long rows = args.longValue("rows", s.positiveLong("rows"));
    if (rows <= 0) {
      throw new ConfigError("--rows must be positive, got " + rows);
    }
    int days = (int) args.longValue("days", s.intAtLeast("days", 1));
    if (days <= 0) {
      throw new ConfigError("--days must be positive, got " + days);
    }
    LocalDate start =
        args.get("start-date")
            .map(
                d -> {
                  try {
                    return LocalDate.parse(d);
                  } catch (DateTimeParseException e) {
                    throw new ConfigError("--start-date '" + d + "' is not a date; use YYYY-MM-DD");
                  }
                })
            .orElseGet(() -> s.date("start-date"));
    Map<String, List<String>> categories = new LinkedHashMap<>();
    for (String key : s.raw().getObject("categories").keySet()) {
      List<String> values = s.child("categories").strings(key);
      if (values.isEmpty()) {
        throw new ConfigError(
            "lakeloop.generate.categories." + key + " is empty: list at least one value");
      }
      categories.put(key, values);
    }
    Settings cov = s.child("covariate-drift");
    Settings concept = s.child("concept-drift");
    return new GenerateSettings(
        rows,
        days,
        start,
        args.longValue("seed", s.raw().getLong("seed")),
        s.intAtLeast("partitions", 1),
        s.doubleIn("peak-hour", 0, 24),
        s.doubleIn("daily-cycle", 0, 0.99),
        s.doubleIn("malformed-share", 0, 0.5),
        s.duration("mean-label-delay"),
        s.duration("min-label-delay"),
        s.doubleIn("never-labeled-share", 0, 1),
        cov.intAtLeast("start-day", -1),
        cov.doubleIn("strength", 0, 10),
        concept.intAtLeast("start-day", -1),
        concept.doubleIn("strength", 0, 10),
        s.string("model-version"),
        categories,
        s.raw().getLong("world-seed") < 0
            ? args.longValue("seed", s.raw().getLong("seed"))
            : s.raw().getLong("world-seed"),
        s.child("quality-break").intAtLeast("day", -1),
        s.child("quality-break").doubleIn("share", 0, 1),
        new SliceDrift(
            s.child("slice-drift").intAtLeast("start-day", -1),
            s.child("slice-drift").string("column"),
            s.child("slice-drift").string("value"),
            s.child("slice-drift").doubleIn("strength", 0, 10)));
  }

  /** Whether a slice of the rows drifts (see reference.conf). */
  public boolean hasSliceDrift() {
    return sliceDrift.startDay() >= 0 && sliceDrift.startDay() < days;
  }

  /** Whether one day's rows log a broken categorical value (see reference.conf). */
  public boolean hasQualityBreak() {
    return qualityBreakDay >= 0 && qualityBreakDay < days && qualityBreakShare > 0;
  }

  /** First day (0-based) with covariate drift, or -1 for none. */
  public boolean hasCovariateDrift() {
    return covariateDriftStartDay >= 0 && covariateDriftStartDay < days;
  }

  public boolean hasConceptDrift() {
    return conceptDriftStartDay >= 0 && conceptDriftStartDay < days;
  }
}
