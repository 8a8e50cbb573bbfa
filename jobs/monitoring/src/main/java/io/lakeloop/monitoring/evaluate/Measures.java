package io.lakeloop.monitoring.evaluate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a model's evaluation measures beyond the built-in metrics and its slice columns, from its
 * spec ({@code lakeloop.models.<name>}: {@code custom-metrics}, {@code slice-expressions}, {@code
 * crossed-slices}, {@code fairness}; meaning and examples in reference.conf). Immutable; parsing
 * checks names and the shape of every aggregate (no Spark session needed); the expressions are
 * resolved against the data when the evaluator starts ({@link Evaluator#check}).
 */
public record Measures(
    List<CustomMetric> customMetrics,
    List<Named> sliceExpressions,
    List<List<String>> crossedSlices,
    List<Fairness> fairness) {

  /** Prefix of a fairness grouping's slice key in eval_metrics: {@code fairness:<grouping>}. */
  public static final String FAIRNESS_PREFIX = "fairness:";

  /** The disparities of a fairness grouping, as named in eval_metrics, in the order written. */
  public static final String PARITY_DIFFERENCE = "demographic_parity_difference";

  public static final String PARITY_RATIO = "demographic_parity_ratio";
  public static final String OPPORTUNITY_DIFFERENCE = "equal_opportunity_difference";
  public static final String ODDS_DIFFERENCE = "equalized_odds_difference";
  public static final String ACCURACY_DIFFERENCE = "accuracy_difference";

  public static final List<String> DISPARITIES =
      List.of(
          PARITY_DIFFERENCE,
          PARITY_RATIO,
          OPPORTUNITY_DIFFERENCE,
          ODDS_DIFFERENCE,
          ACCURACY_DIFFERENCE);

  /** Nothing beyond the built-ins. */
  public static final Measures NONE = new Measures(List.of(), List.of(), List.of(), List.of());

  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,63}");

  public Measures {
    customMetrics = List.copyOf(customMetrics);
    sliceExpressions = List.copyOf(sliceExpressions);
    crossedSlices = crossedSlices.stream().map(List::copyOf).toList();
    fairness = List.copyOf(fairness);
  }

  /** A named SQL boolean predicate over a prediction_log row joined with its label. */
  public record Named(String name, String where) {}

  /**
   * A fairness grouping: the groups are the values of a column (a slice column, or any STRING
   * column of the log), or named predicates (a row is in the first group it matches, rows in none
   * are not compared).
   *
   * @param reference the group every other is compared with; empty = for each disparity the group
   *     with the most favourable rate (highest positive rate, true positive rate and accuracy,
   *     lowest false positive rate)
   */
  public record Fairness(
      String name, Optional<String> column, List<Named> groups, Optional<String> reference) {
    public Fairness {
      groups = List.copyOf(groups);
    }

    /** The slice key whose values are this grouping's groups. */
    public String sliceKey() {
      return column.orElse(name);
    }
  }

  /** The custom metrics whose direction is lower (a rise is the worse way). */
  public Set<String> lowerIsBetter() {
    Set<String> out = new LinkedHashSet<>();
    customMetrics.stream().filter(m -> !m.higherIsBetter()).forEach(m -> out.add(m.name()));
    return out;
  }

  /** Whether there is anything beyond the built-ins. */
  public boolean isEmpty() {
    return equals(NONE);
  }

  /** The model's measures from its spec; every error names the key and the fix. */
  public static Measures of(LakeloopConfig config, ModelSpec model) {
    Settings m = config.modelSettings(model.name());
    String key = "lakeloop.models." + model.name();
    Set<String> names = new LinkedHashSet<>();
    List<CustomMetric> custom = new ArrayList<>();
    for (Config c : objects(m, "custom-metrics", key)) {
      CustomMetric metric = CustomMetric.parse(c, key + ".custom-metrics");
      if (!names.add(metric.name())) {
        throw new ConfigError(
            key + ".custom-metrics: the name '" + metric.name() + "' is used twice");
      }
      custom.add(metric);
    }
    List<Named> expressions =
        named(objects(m, "slice-expressions", key), key + ".slice-expressions");
    Set<String> slices = new LinkedHashSet<>(model.sliceColumns());
    for (Named e : expressions) {
      if (!slices.add(e.name())) {
        throw new ConfigError(
            key
                + ".slice-expressions: '"
                + e.name()
                + "' is already a slice column or expression; give it another name");
      }
    }
    List<List<String>> crossed = new ArrayList<>();
    List<?> pairs;
    try {
      pairs = m.raw().getList("crossed-slices").unwrapped();
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(key + ".crossed-slices must be a list of pairs, e.g. [[region, plan]]");
    }
    for (Object p : pairs) {
      if (!(p instanceof List<?> pair)
          || pair.size() != 2
          || !(pair.get(0) instanceof String)
          || !(pair.get(1) instanceof String)
          || pair.get(0).equals(pair.get(1))) {
        throw new ConfigError(
            key
                + ".crossed-slices: "
                + p
                + " is not a pair of two different columns, e.g. [region, plan]");
      }
      List<String> two = List.of((String) pair.get(0), (String) pair.get(1));
      two.forEach(c -> checkName(c, key + ".crossed-slices"));
      crossed.add(two);
    }
    List<Fairness> fair = new ArrayList<>();
    for (Config f : objects(m, "fairness", key)) {
      fair.add(fairness(f, key + ".fairness", model, slices));
    }
    return new Measures(custom, expressions, crossed, fair);
  }

  private static Fairness fairness(Config f, String key, ModelSpec model, Set<String> sliceNames) {
    String name = string(f, "name", key);
    checkName(name, key);
    if (!model.task().isClassification() || model.numClasses() != 2) {
      throw new ConfigError(
          key
              + " '"
              + name
              + "': fairness disparities need a binary model (positive class = index 1); "
              + model.name()
              + " is "
              + model.task());
    }
    Optional<String> column =
        f.hasPath("column") ? Optional.of(f.getString("column").trim()) : Optional.empty();
    List<Named> groups =
        f.hasPath("groups")
            ? named(f.getConfigList("groups"), key + "." + name + ".groups")
            : List.of();
    if (column.isPresent() == !groups.isEmpty()) {
      throw new ConfigError(
          key
              + " '"
              + name
              + "': set exactly one of column (e.g. column = region) or groups (e.g. groups ="
              + " [{ name = new, where = \"tenure_months < 12\" }, ...])");
    }
    column.ifPresent(c -> checkName(c, key + "." + name + ".column"));
    if (groups.size() == 1) {
      throw new ConfigError(key + " '" + name + "': groups needs at least two groups to compare");
    }
    if (column.isEmpty() && sliceNames.contains(name)) {
      throw new ConfigError(
          key
              + " '"
              + name
              + "': the name is already a slice column or expression; a grouping by groups is a"
              + " slice of its own, give it another name");
    }
    String ref = f.hasPath("reference") ? f.getString("reference").trim() : "";
    if (!ref.isEmpty()
        && column.isEmpty()
        && groups.stream().noneMatch(g -> g.name().equals(ref))) {
      throw new ConfigError(
          key
              + " '"
              + name
              + "': reference '"
              + ref
              + "' is not one of its groups "
              + groups.stream().map(Named::name).toList());
    }
    for (String k : f.root().keySet()) {
      if (!Set.of("name", "column", "groups", "reference").contains(k)) {
        throw new ConfigError(
            key
                + " '"
                + name
                + "': unknown key '"
                + k
                + "' (known: name, column, groups, reference)");
      }
    }
    return new Fairness(name, column, groups, ref.isEmpty() ? Optional.empty() : Optional.of(ref));
  }

  private static List<Named> named(List<? extends Config> list, String key) {
    Map<String, Named> out = new LinkedHashMap<>();
    for (Config c : list) {
      String name = string(c, "name", key);
      checkName(name, key);
      String where = string(c, "where", key + " '" + name + "'");
      CustomMetric.parseExpression(where, key + " '" + name + "'");
      if (out.put(name, new Named(name, where)) != null) {
        throw new ConfigError(key + ": the name '" + name + "' is used twice");
      }
    }
    return List.copyOf(out.values());
  }

  private static List<? extends Config> objects(Settings m, String list, String key) {
    try {
      return m.raw().getConfigList(list);
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(key + "." + list + " must be a list of objects (see reference.conf)");
    }
  }

  static String string(Config c, String field, String key) {
    if (!c.hasPath(field)) {
      throw new ConfigError(key + ": an entry lacks '" + field + "' (" + c.root().render() + ")");
    }
    String v = c.getString(field).trim();
    if (v.isEmpty()) {
      throw new ConfigError(key + ": '" + field + "' is empty");
    }
    return v;
  }

  static void checkName(String name, String key) {
    if (!NAME.matcher(name).matches()) {
      throw new ConfigError(
          key
              + ": name '"
              + name
              + "' is not allowed: use lower-case letters, digits and '_', starting with a letter"
              + " or '_'");
    }
  }
}
