package io.lakeloop.common.cli;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.Strings;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parsed command line of one job: the common flags every command takes plus the job's own. Accepts
 * {@code --name value} and {@code --name=value}; an unknown flag fails with the nearest known one
 * suggested. Pure.
 */
public final class CliArgs {
  /** Flags every lakeloop command accepts. */
  public static final List<Flag> COMMON =
      List.of(
          Flag.value("config", "FILE", "HOCON config file layered over the defaults"),
          Flag.repeated(
              "set", "KEY=VALUE", "override one config key, e.g. lakeloop.warehouse=/tmp/lh"),
          Flag.value("date", "YYYY-MM-DD", "the logical date of the run (UTC)"),
          Flag.value(
              "run-id", "ID", "the run id recorded in every commit; reruns with it change nothing"),
          Flag.value("model", "NAME", "the model to work on (default: lakeloop.default-model)"),
          Flag.toggle("verbose", "print stack traces and Spark's own logs"),
          Flag.toggle("help", "show this help"));

  private final Map<String, List<String>> values;
  private final List<String> positional;

  private CliArgs(Map<String, List<String>> values, List<String> positional) {
    this.values = values;
    this.positional = positional;
  }

  /** Parses argv against the common flags plus {@code jobFlags}. */
  public static CliArgs parse(
      String command, String[] argv, List<Flag> jobFlags, boolean allowPositional) {
    Map<String, Flag> known = new LinkedHashMap<>();
    COMMON.forEach(f -> known.put(f.name(), f));
    jobFlags.forEach(f -> known.put(f.name(), f));
    Map<String, List<String>> values = new LinkedHashMap<>();
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--") || a.equals("--")) {
        if (!allowPositional) {
          throw new LakeloopException(
              command
                  + ": unexpected argument '"
                  + a
                  + "'; see bin/lakeloop "
                  + command
                  + " --help");
        }
        positional.add(a);
        continue;
      }
      String name = a.substring(2);
      String inline = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Flag flag = known.get(name);
      if (flag == null) {
        throw new LakeloopException(
            command
                + ": unknown flag --"
                + name
                + suggest(name, known.keySet())
                + "; see bin/lakeloop "
                + command
                + " --help");
      }
      String value;
      if (flag.takesValue()) {
        if (inline != null) {
          value = inline;
        } else if (i + 1 < argv.length) {
          value = argv[++i];
        } else {
          throw new LakeloopException(
              command + ": --" + name + " needs a value (" + flag.valueName() + ")");
        }
      } else {
        if (inline != null) {
          throw new LakeloopException(command + ": --" + name + " takes no value");
        }
        value = "true";
      }
      List<String> list = values.computeIfAbsent(name, k -> new ArrayList<>());
      if (!list.isEmpty() && !flag.repeatable()) {
        throw new LakeloopException(command + ": --" + name + " given twice");
      }
      list.add(value);
    }
    return new CliArgs(values, List.copyOf(positional));
  }

  private static String suggest(String name, Iterable<String> known) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : known) {
      int d = Strings.editDistance(name, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best != null && bestD <= Math.max(2, name.length() / 3)
        ? " (did you mean --" + best + "?)"
        : "";
  }

  public Optional<String> get(String name) {
    List<String> l = values.get(name);
    return l == null ? Optional.empty() : Optional.of(l.get(l.size() - 1));
  }

  public List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public List<String> positional() {
    return positional;
  }

  public Optional<Path> configFile() {
    return get("config").map(Path::of);
  }

  public Optional<LocalDate> date() {
    return date("date");
  }

  /** A date flag's value (YYYY-MM-DD); a malformed one fails naming the flag and the form. */
  public Optional<LocalDate> date(String flag) {
    return get(flag)
        .map(
            d -> {
              try {
                return LocalDate.parse(d);
              } catch (DateTimeParseException e) {
                throw new LakeloopException(
                    "--" + flag + " '" + d + "' is not a date; use YYYY-MM-DD");
              }
            });
  }

  public long longValue(String name, long defaultValue) {
    Optional<String> v = get(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    try {
      return Long.parseLong(v.get().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new LakeloopException("--" + name + " '" + v.get() + "' is not a whole number");
    }
  }

  /** Usage text for a command. */
  public static String usage(
      String command, String description, List<Flag> jobFlags, String positionalHelp) {
    StringBuilder sb = new StringBuilder();
    sb.append("usage: bin/lakeloop ").append(command).append(" [flags]");
    if (positionalHelp != null) {
      sb.append(' ').append(positionalHelp);
    }
    sb.append("\n\n").append(description).append("\n");
    if (!jobFlags.isEmpty()) {
      sb.append("\nflags:\n");
      jobFlags.forEach(f -> sb.append(String.format("  %-28s %s%n", f.usage(), f.help())));
    }
    sb.append("\ncommon flags:\n");
    COMMON.forEach(f -> sb.append(String.format("  %-28s %s%n", f.usage(), f.help())));
    return sb.toString();
  }
}
