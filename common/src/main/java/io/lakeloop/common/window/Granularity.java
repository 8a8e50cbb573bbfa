package io.lakeloop.common.window;

import io.lakeloop.common.config.ConfigError;
import java.io.Serializable;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A window length such as {@code 1 day}: windows are fixed, UTC-aligned intervals keyed by their
 * start. Weeks (multiples of 7 days) start on Monday; shorter lengths align to the epoch, so a day
 * starts at 00:00 UTC. Pure Java, immutable.
 *
 * @param label the configured spelling, written to eval_metrics.granularity
 * @param seconds the window length
 * @param offsetSeconds the alignment offset from the epoch (4 days for weeks: 1970-01-05 was a
 *     Monday)
 */
public record Granularity(String label, long seconds, long offsetSeconds) implements Serializable {
  private static final Pattern SPEC =
      Pattern.compile("\\s*(\\d+)\\s*(minute|minutes|hour|hours|day|days|week|weeks)\\s*");
  private static final long DAY = 86_400L;

  /** Parses {@code N minutes|hours|days|weeks}; the message names the key and the allowed form. */
  public static Granularity parse(String spec, String key) {
    Matcher m = SPEC.matcher(spec.toLowerCase(Locale.ROOT));
    if (!m.matches() || Long.parseLong(m.group(1)) <= 0) {
      throw new ConfigError(
          key
              + ": '"
              + spec
              + "' is not a window length; use e.g. \"1 hour\", \"1 day\" or \"1 week\"");
    }
    long n = Long.parseLong(m.group(1));
    long unit =
        switch (m.group(2).replaceAll("s$", "")) {
          case "minute" -> 60L;
          case "hour" -> 3_600L;
          case "day" -> DAY;
          default -> 7 * DAY;
        };
    long seconds = n * unit;
    return new Granularity(spec.trim(), seconds, seconds % (7 * DAY) == 0 ? 4 * DAY : 0);
  }

  /** The start of the window that contains {@code t}. */
  public Instant start(Instant t) {
    long s = t.getEpochSecond() - offsetSeconds;
    return Instant.ofEpochSecond(Math.floorDiv(s, seconds) * seconds + offsetSeconds);
  }

  /** The end (exclusive) of the window that starts at {@code start}. */
  public Instant end(Instant start) {
    return start.plusSeconds(seconds);
  }
}
