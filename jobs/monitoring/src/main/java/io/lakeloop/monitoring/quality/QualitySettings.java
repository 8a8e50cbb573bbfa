package io.lakeloop.monitoring.quality;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model's quality rules and how they decide ({@code lakeloop.models.<name>.quality}). Immutable.
 *
 * @param rules the rules; empty = evaluate raises no quality alert
 * @param onInterval decide on the bootstrap interval (an alert only when all of it is past the
 *     bound) rather than the point estimate; a metric without an interval falls back to its value
 * @param minLabeled windows x slices with fewer rows behind the metric ({@code eval_metrics.n}) are
 *     not judged
 * @param referenceFrom first day of the reference period of change rules (inclusive)
 * @param referenceUntil end of the reference period (exclusive)
 * @param anomaly how the metrics' own history is watched
 * @param estimate estimate classification metrics without labels (CBPE), calibrated on the
 *     reference period
 */
public record QualitySettings(
    List<QualityRule> rules,
    boolean onInterval,
    long minLabeled,
    Optional<LocalDate> referenceFrom,
    Optional<LocalDate> referenceUntil,
    AnomalySettings anomaly,
    boolean estimate)
    implements Serializable {

  public QualitySettings {
    rules = List.copyOf(rules);
  }

  public static QualitySettings of(LakeloopConfig config, String model) {
    return of(config, model, Set.of());
  }

  /**
   * @param lowerIsBetter the model's custom metrics whose direction is lower (anomalies watch them
   *     for a rise; the built-in metrics' directions are known)
   */
  public static QualitySettings of(LakeloopConfig config, String model, Set<String> lowerIsBetter) {
    Settings modelSettings = config.modelSettings(model);
    Settings q = modelSettings.child("quality");
    String key = "lakeloop.models." + model + ".quality";
    List<QualityRule> rules = new ArrayList<>();
    List<? extends Config> list;
    try {
      list = q.raw().getConfigList("rules");
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(
          key + ".rules must be a list of objects, e.g. [{ metric = accuracy, min = 0.8 }]");
    }
    for (Config r : list) {
      rules.add(rule(r, key + ".rules"));
    }
    String decide = q.string("decide-on").trim();
    if (!decide.equals("interval") && !decide.equals("point")) {
      throw new ConfigError(
          key + ".decide-on must be \"interval\" or \"point\", got '" + decide + "'");
    }
    Settings ref = q.child("reference");
    Optional<LocalDate> from = date(ref, "from", key);
    Optional<LocalDate> until = date(ref, "until", key);
    if (from.isEmpty() != until.isEmpty()) {
      throw new ConfigError(key + ".reference: set both from and until, or neither");
    }
    if (from.isEmpty()) {
      Settings b = modelSettings.child("baseline");
      if (b.string("source").trim().equals("window")) {
        from = date(b, "from", "lakeloop.models." + model + ".baseline");
        until = date(b, "until", "lakeloop.models." + model + ".baseline");
      }
    }
    if (from.isPresent() && !until.get().isAfter(from.get())) {
      throw new ConfigError(key + ".reference: until must be after from (until is exclusive)");
    }
    if (from.isEmpty() && rules.stream().anyMatch(r -> r.kind().change())) {
      throw new ConfigError(
          key
              + ": a max-drop/max-rise rule needs a reference period; set reference { from, until }"
              + " or a window baseline (baseline { source = window, from, until })");
    }
    return new QualitySettings(
        rules,
        decide.equals("interval"),
        q.positiveLong("min-labeled"),
        from,
        until,
        AnomalySettings.from(q.child("anomaly"), key + ".anomaly", lowerIsBetter),
        q.bool("estimate"));
  }

  private static QualityRule rule(Config r, String key) {
    TreeSet<String> unknown = new TreeSet<>(r.root().keySet());
    unknown.removeAll(QualityRule.KEYS);
    if (!unknown.isEmpty()) {
      throw new ConfigError(
          key
              + ": unknown key(s) "
              + unknown
              + " in a rule; allowed: "
              + new TreeSet<>(QualityRule.KEYS));
    }
    if (!r.hasPath("metric")) {
      throw new ConfigError(key + ": a rule needs a metric, e.g. { metric = accuracy, min = 0.8 }");
    }
    String metric = r.getString("metric").trim();
    List<String> bounds = new ArrayList<>();
    for (QualityRule.Kind k : QualityRule.Kind.values()) {
      if (r.hasPath(k.key)) {
        bounds.add(k.key);
      }
    }
    if (bounds.size() != 1) {
      throw new ConfigError(
          key
              + ": the rule on "
              + metric
              + " needs exactly one of min, max, max-drop, max-rise (has "
              + bounds
              + ")");
    }
    QualityRule.Kind kind = QualityRule.kindOf(bounds.get(0));
    double amount = r.getDouble(kind.key);
    boolean relative = r.hasPath("relative") && r.getBoolean("relative");
    String name =
        r.hasPath("name")
            ? r.getString("name")
            : QualityRule.describe(metric, kind, amount, relative);
    return new QualityRule(
        name,
        metric,
        kind,
        amount,
        relative,
        r.hasPath("granularities") ? r.getStringList("granularities") : List.of(),
        r.hasPath("slices") ? r.getStringList("slices") : List.of("*"));
  }

  private static Optional<LocalDate> date(Settings s, String name, String key) {
    String v = s.string(name).trim();
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDate.parse(v));
    } catch (DateTimeParseException e) {
      throw new ConfigError(key + "." + name + ": '" + v + "' is not a date; use YYYY-MM-DD");
    }
  }
}
