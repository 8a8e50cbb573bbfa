package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;

import com.typesafe.config.Config;
import io.lakeloop.common.config.ConfigError;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.analysis.UnresolvedStar;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import scala.collection.JavaConverters;

/**
 * A metric a user defines in the model's config as a Spark SQL aggregate over the valid rows
 * (prediction_log joined with labels; {@code label} is null where not labeled yet): {@code sum(e)},
 * {@code count(e)}, {@code count(*)} or {@code avg(e)}, or the ratio of two sums or counts ({@code
 * numerator} / {@code denominator}). Each sum becomes an additive partial state of the evaluation's
 * single pass: its per-row value ({@code e}, null as 0; 1 or 0 for a count) is one more column of
 * the scan's projection, summed per window x slice and per bootstrap replicate, so the metric gets
 * a percentile interval like the built-in headline metrics. Aggregates that are not sums (min, max,
 * percentiles, distinct counts) are refused at start-up: their replicates are not sums of per-row
 * values, so the one-pass bootstrap cannot carry them. Immutable, serializable.
 *
 * @param name the metric's name in eval_metrics
 * @param numerator the sum that is the metric (or its numerator)
 * @param denominator the sum that divides it; null for a plain sum
 * @param higherIsBetter the metric's direction (the gate and the report read it)
 */
public record CustomMetric(String name, Sum numerator, Sum denominator, boolean higherIsBetter)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Prefix of the partial states of custom metrics (numerator; denominator adds {@code :den}). */
  static final String PREFIX = "custom:";

  /**
   * One sum over the rows: of the argument of the aggregate {@code aggregate} (SQL, as the user
   * wrote it), or with {@code count} of 1 for each row where that argument is not null.
   */
  public record Sum(String aggregate, boolean count) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The per-row value as a Column of doubles that is never null (driver side). */
    Column rowValue() {
      UnresolvedFunction f = (UnresolvedFunction) parseExpression(aggregate, "aggregate");
      Expression arg = JavaConverters.seqAsJavaList(f.arguments()).get(0);
      if (arg instanceof UnresolvedStar) {
        return lit(1.0);
      }
      Column value = new Column(arg);
      return count
          ? when(value.isNull(), lit(0.0)).otherwise(lit(1.0))
          : coalesce(value.cast("double"), lit(0.0));
    }
  }

  /** The partial state names this metric reads: numerator, then denominator if any. */
  List<String> partials() {
    return denominator == null
        ? List.of(PREFIX + name)
        : List.of(PREFIX + name, PREFIX + name + ":den");
  }

  /** The sums of {@link #partials}, in order. */
  List<Sum> sums() {
    return denominator == null ? List.of(numerator) : List.of(numerator, denominator);
  }

  /** The metric from a summed state (null when the denominator is zero); n = the valid rows. */
  MetricSet.MetricValue compute(MetricSet.State s) {
    double num = s.get(PREFIX + name);
    double v = denominator == null ? num : num / s.get(PREFIX + name + ":den");
    return new MetricSet.MetricValue(
        name, MetricSet.finite(v), Math.round(s.get(MetricSet.N_VALID)));
  }

  /**
   * Parses a metric's config entry: {@code name}, either {@code expression} or {@code numerator}
   * and {@code denominator}, and {@code direction} ({@code higher} or {@code lower} is better).
   */
  public static CustomMetric parse(Config c, String key) {
    String name = Measures.string(c, "name", key);
    Measures.checkName(name, key);
    String at = key + " '" + name + "'";
    for (String k : c.root().keySet()) {
      if (!List.of("name", "expression", "numerator", "denominator", "direction").contains(k)) {
        throw new ConfigError(
            at
                + ": unknown key '"
                + k
                + "' (known: name, expression, numerator, denominator, direction)");
      }
    }
    String direction =
        c.hasPath("direction") ? c.getString("direction").trim().toLowerCase(Locale.ROOT) : "";
    if (!direction.equals("higher") && !direction.equals("lower")) {
      throw new ConfigError(
          at
              + ": set direction = higher or direction = lower (which way is better), got '"
              + direction
              + "'");
    }
    boolean higher = direction.equals("higher");
    if (c.hasPath("expression") == (c.hasPath("numerator") || c.hasPath("denominator"))) {
      throw new ConfigError(
          at
              + ": set either expression (e.g. \"sum(monthly_charges)\") or numerator and"
              + " denominator (e.g. \"sum(label)\" and \"count(*)\")");
    }
    if (c.hasPath("expression")) {
      String text = Measures.string(c, "expression", at);
      Aggregate a = aggregate(text, at + ".expression");
      return new CustomMetric(name, a.sum, a.denominator.orElse(null), higher);
    }
    Aggregate num = aggregate(Measures.string(c, "numerator", at), at + ".numerator");
    Aggregate den = aggregate(Measures.string(c, "denominator", at), at + ".denominator");
    if (num.denominator.isPresent() || den.denominator.isPresent()) {
      throw new ConfigError(
          at + ": avg() is itself a ratio; write numerator and denominator as sums or counts");
    }
    return new CustomMetric(name, num.sum, den.sum, higher);
  }

  /** One aggregate: its sum, and for avg() the count that divides it. */
  private record Aggregate(Sum sum, Optional<Sum> denominator) {}

  private static Aggregate aggregate(String text, String key) {
    Expression e = parseExpression(text, key);
    if (!(e instanceof UnresolvedFunction f)) {
      throw new ConfigError(
          key
              + ": '"
              + text
              + "' is not an aggregate; write sum(...), count(...), count(*) or avg(...)");
    }
    List<String> parts = JavaConverters.seqAsJavaList(f.nameParts());
    String fn = String.join(".", parts).toLowerCase(Locale.ROOT);
    List<Expression> args = JavaConverters.seqAsJavaList(f.arguments());
    if (!List.of("sum", "count", "avg", "mean").contains(fn)) {
      throw new ConfigError(
          key
              + ": "
              + fn
              + "() in '"
              + text
              + "' is not supported: evaluate's single pass carries sums (sum, count, avg and"
              + " ratios of them, which get bootstrap intervals); "
              + fn
              + "() is not a sum of per-row values, so its bootstrap replicates cannot be formed"
              + " in the same pass");
    }
    if (f.isDistinct() || f.filter().isDefined() || args.size() != 1) {
      throw new ConfigError(
          key
              + ": '"
              + text
              + "' uses DISTINCT, FILTER or several arguments; write one argument, e.g."
              + " sum(case when ... then x else 0 end)");
    }
    if (args.get(0) instanceof UnresolvedStar && !fn.equals("count")) {
      throw new ConfigError(key + ": only count(*) takes *, got '" + text + "'");
    }
    return switch (fn) {
      case "sum" -> new Aggregate(new Sum(text, false), Optional.empty());
      case "count" -> new Aggregate(new Sum(text, true), Optional.empty());
      default -> new Aggregate(new Sum(text, false), Optional.of(new Sum(text, true)));
    };
  }

  /** Parses SQL without a session; a syntax error names the text and the parser's reason. */
  static Expression parseExpression(String text, String key) {
    try {
      return CatalystSqlParser$.MODULE$.parseExpression(text);
    } catch (Exception e) { // Spark's ParseException, not declared
      throw new ConfigError(
          key + ": '" + text + "' is not valid Spark SQL: " + e.getMessage().strip().split("\n")[0],
          e);
    }
  }
}
