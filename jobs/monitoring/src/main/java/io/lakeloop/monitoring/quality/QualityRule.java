package io.lakeloop.monitoring.quality;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.window.Granularity;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One quality rule of {@code lakeloop.models.<name>.quality.rules}: a metric of eval_metrics, a
 * bound, and the windows and slices it judges. Immutable; validated on construction.
 *
 * @param name how alerts name the rule (default: the metric and its bound, e.g. "accuracy >= 0.8")
 * @param metric an eval_metrics metric name, e.g. accuracy, roc_auc, recall:churn
 * @param kind which bound: an absolute {@code MIN}/{@code MAX}, or a {@code MAX_DROP}/{@code
 *     MAX_RISE} from the reference period's value
 * @param amount the bound (MIN/MAX) or the allowed change (MAX_DROP/MAX_RISE, >= 0)
 * @param relative for changes: the amount is a share of the reference value
 * @param granularities window lengths judged (labels as in eval_metrics); empty = every one
 * @param slices "*" (all rows), a slice column (each of its values) or column=value
 */
public record QualityRule(
    String name,
    String metric,
    Kind kind,
    double amount,
    boolean relative,
    List<String> granularities,
    List<String> slices)
    implements Serializable {

  /** The four bounds a rule can set. */
  public enum Kind {
    MIN("min", ">="),
    MAX("max", "<="),
    MAX_DROP("max-drop", "drop <="),
    MAX_RISE("max-rise", "rise <=");

    final String key;
    final String words;

    Kind(String key, String words) {
      this.key = key;
      this.words = words;
    }

    /** True when the bound is a floor (a value below it breaks the rule). */
    boolean floor() {
      return this == MIN || this == MAX_DROP;
    }

    boolean change() {
      return this == MAX_DROP || this == MAX_RISE;
    }
  }

  static final Set<String> KEYS =
      Set.of(
          "name",
          "metric",
          "min",
          "max",
          "max-drop",
          "max-rise",
          "relative",
          "granularities",
          "slices");

  public QualityRule {
    granularities = List.copyOf(granularities);
    slices = List.copyOf(slices);
    if (metric == null || !metric.matches("[a-z_0-9]+(:[^\\s]+)?")) {
      throw new ConfigError(
          "quality rule '" + name + "': metric '" + metric + "' is not an eval_metrics name");
    }
    if (!Double.isFinite(amount) || kind.change() && amount < 0) {
      throw new ConfigError(
          "quality rule '"
              + name
              + "': "
              + kind.key
              + " must be a finite number"
              + (kind.change() ? " >= 0 (the change allowed)" : ""));
    }
    if (relative && !kind.change()) {
      throw new ConfigError(
          "quality rule '" + name + "': relative applies to max-drop and max-rise only");
    }
    for (String g : granularities) {
      Granularity.parse(g, "quality rule '" + name + "' granularities");
    }
  }

  /** The default name: the metric and its bound in words, e.g. {@code roc_auc drop <= 0.03}. */
  static String describe(String metric, Kind kind, double amount, boolean relative) {
    String a = relative ? trim(amount * 100) + " %" : trim(amount);
    return metric + " " + kind.words + " " + a;
  }

  static String trim(double v) {
    String s = String.format(Locale.ROOT, "%.6f", v).replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** Whether the rule judges this slice of eval_metrics. */
  boolean judges(String sliceKey, String sliceValue) {
    for (String s : slices) {
      int eq = s.indexOf('=');
      boolean match =
          s.equals("*")
              ? sliceKey.equals("*")
              : eq < 0
                  ? sliceKey.equals(s)
                  : sliceKey.equals(s.substring(0, eq)) && sliceValue.equals(s.substring(eq + 1));
      if (match) {
        return true;
      }
    }
    return false;
  }

  /** Whether the rule judges windows of this granularity (its eval_metrics label). */
  boolean judges(String granularity) {
    return granularities.isEmpty()
        || granularities.stream()
            .anyMatch(g -> Granularity.parse(g, "granularities").label().equals(granularity));
  }

  /**
   * The bound a window's value is held to: the absolute bound, or the reference value moved by the
   * allowed change.
   */
  double bound(double reference) {
    if (!kind.change()) {
      return amount;
    }
    double change = relative ? Math.abs(reference) * amount : amount;
    return kind.floor() ? reference - change : reference + change;
  }

  /** The rule's kind of bound as its config key (min, max, max-drop, max-rise). */
  String boundKey() {
    return kind.key;
  }

  static Kind kindOf(String key) {
    for (Kind k : Kind.values()) {
      if (k.key.equals(key.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    return null;
  }
}
