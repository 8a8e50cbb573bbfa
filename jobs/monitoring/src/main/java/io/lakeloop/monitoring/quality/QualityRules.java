package io.lakeloop.monitoring.quality;

import io.lakeloop.common.schema.Metrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Judges eval_metrics rows against a model's quality rules: which window x slice breaks which rule,
 * on what evidence. Pure and deterministic (same rows, same alerts, in row order); runs on the
 * driver over the aggregates evaluate just wrote.
 *
 * <p>A floor (min, max-drop) is broken when the value is below the bound, a ceiling (max, max-rise)
 * when it is above. Deciding on the interval (the default), a window breaks a floor only when its
 * whole bootstrap interval is below the bound ({@code ci_high < bound}) — a drop the data cannot
 * tell from noise raises nothing; a metric without an interval is judged on its value. A change
 * rule's bound is the reference value of the same granularity, slice and metric moved by the
 * allowed change; without a reference value the row is not judged (and counted as such).
 */
public final class QualityRules {
  private QualityRules() {}

  /** One eval_metrics row, as the rules read it. */
  public record MetricRow(
      String version,
      String granularity,
      Instant windowStart,
      Instant windowEnd,
      String sliceKey,
      String sliceValue,
      String metric,
      Double value,
      Double ciLow,
      Double ciHigh,
      long n) {}

  /** What a reference value is keyed by: the metric of one granularity and slice. */
  public record ReferenceKey(
      String granularity, String sliceKey, String sliceValue, String metric) {}

  /**
   * A broken rule.
   *
   * @param kind the alerts kind: quality (a configured rule) or anomaly (the metric's own history)
   * @param reference the reference value of a change rule, null for absolute bounds
   * @param onInterval whether the interval decided (false: the point estimate)
   * @param provisional the window ends within the label delay: more labels may still change it
   */
  public record Breach(
      String kind,
      QualityRule rule,
      MetricRow row,
      Double reference,
      double bound,
      boolean onInterval,
      boolean provisional,
      String reason) {}

  /**
   * The outcome over every row: the breaches, and per rule how many rows it judged, passed over for
   * too few labeled rows, or could not judge for want of a reference value.
   */
  public record Judgement(List<Breach> breaches, Map<String, int[]> counts) {
    /** Counts per rule: judged, too few labeled rows, no reference value (or history). */
    public static final int JUDGED = 0, FEW_LABELS = 1, NO_REFERENCE = 2;

    /** Both judgements' breaches and counts. */
    public Judgement and(Judgement other) {
      List<Breach> b = new ArrayList<>(breaches);
      b.addAll(other.breaches());
      Map<String, int[]> c = new LinkedHashMap<>(counts);
      c.putAll(other.counts());
      return new Judgement(b, c);
    }
  }

  /** The bound a rule holds a view (granularity, slice and metric) to, as a report draws it. */
  public record Bound(String rule, ReferenceKey view, double value) {}

  /**
   * The bound of every rule over each of {@code views} it judges (the same bound {@link #judge}
   * holds the view's windows to); none where a change rule has no reference value.
   */
  public static List<Bound> bounds(
      QualitySettings settings,
      Collection<ReferenceKey> views,
      Map<ReferenceKey, Double> references) {
    List<Bound> out = new ArrayList<>();
    for (QualityRule rule : settings.rules()) {
      for (ReferenceKey v : views) {
        if (v.metric().equals(rule.metric()) && judges(rule, v)) {
          boundOf(rule, v, references).ifPresent(b -> out.add(new Bound(rule.name(), v, b)));
        }
      }
    }
    return out;
  }

  /** Whether a rule judges a view's granularity and slice (whatever its metric). */
  private static boolean judges(QualityRule rule, ReferenceKey view) {
    return rule.judges(view.granularity()) && rule.judges(view.sliceKey(), view.sliceValue());
  }

  /**
   * The bound a rule holds a view to: its own for an absolute rule; for a change rule, the allowed
   * change from the view's reference value, or none without one.
   */
  private static Optional<Double> boundOf(
      QualityRule rule, ReferenceKey view, Map<ReferenceKey, Double> references) {
    if (!rule.kind().change()) {
      return Optional.of(rule.bound(0));
    }
    return Optional.ofNullable(references.get(view)).map(rule::bound);
  }

  /**
   * @param provisionalAfter windows that end after this instant are still inside the label delay
   */
  public static Judgement judge(
      QualitySettings settings,
      List<MetricRow> rows,
      Map<ReferenceKey, Double> references,
      Instant provisionalAfter) {
    List<Breach> breaches = new ArrayList<>();
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (QualityRule rule : settings.rules()) {
      int[] c = counts.computeIfAbsent(rule.name(), k -> new int[3]);
      for (MetricRow r : rows) {
        boolean provisional = r.windowEnd().isAfter(provisionalAfter);
        // an estimate stands in for the metric only while labels are still arriving
        boolean estimated = provisional && r.metric().equals(Metrics.estimated(rule.metric()));
        ReferenceKey view =
            new ReferenceKey(r.granularity(), r.sliceKey(), r.sliceValue(), rule.metric());
        if (!(estimated || r.metric().equals(rule.metric()))
            || r.value() == null
            || !judges(rule, view)) {
          continue;
        }
        if (r.n() < settings.minLabeled()) {
          c[Judgement.FEW_LABELS]++;
          continue;
        }
        Optional<Double> held = boundOf(rule, view, references);
        if (held.isEmpty()) {
          c[Judgement.NO_REFERENCE]++;
          continue;
        }
        c[Judgement.JUDGED]++;
        Double reference = rule.kind().change() ? references.get(view) : null;
        double bound = held.get();
        boolean interval = settings.onInterval() && r.ciLow() != null && r.ciHigh() != null;
        double evidence = interval ? (rule.kind().floor() ? r.ciHigh() : r.ciLow()) : r.value();
        boolean broken = rule.kind().floor() ? evidence < bound : evidence > bound;
        if (broken) {
          breaches.add(
              new Breach(
                  estimated ? QualityCheck.ESTIMATED_QUALITY : QualityCheck.QUALITY,
                  rule,
                  r,
                  reference,
                  bound,
                  interval,
                  provisional,
                  reason(rule, r, reference, bound, interval, provisional, estimated)));
        }
      }
    }
    return new Judgement(breaches, counts);
  }

  /** The breach in words, e.g. "accuracy 0.741 [0.733, 0.749] is below 0.82 (...)". */
  static String reason(
      QualityRule rule,
      MetricRow r,
      Double reference,
      double bound,
      boolean interval,
      boolean provisional,
      boolean estimated) {
    StringBuilder s = new StringBuilder();
    s.append(r.metric()).append(' ').append(fmt(r.value()));
    if (interval) {
      s.append(" [").append(fmt(r.ciLow())).append(", ").append(fmt(r.ciHigh())).append(']');
    }
    s.append(rule.kind().floor() ? " is below " : " is above ").append(fmt(bound));
    if (reference != null) {
      s.append(" (reference ")
          .append(fmt(reference))
          .append(rule.kind().floor() ? " minus " : " plus ")
          .append(
              rule.relative()
                  ? QualityRule.trim(rule.amount() * 100) + " %"
                  : QualityRule.trim(rule.amount()))
          .append(')');
    }
    if (estimated) {
      s.append(
          interval
              ? "; the whole range the realized value is expected in is past the bound"
              : "; judged on the estimate");
      s.append("; ").append(r.n()).append(" rows");
      return s.append(
              "; estimated without labels (CBPE): the window is inside the label delay, its"
                  + " labels are still arriving")
          .toString();
    }
    s.append(interval ? "; the whole interval is past the bound" : "; judged on the estimate");
    s.append("; ").append(r.n()).append(" rows");
    if (provisional) {
      s.append("; provisional: the window is inside the label delay, labels are still arriving");
    }
    return s.toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
