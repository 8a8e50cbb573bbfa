package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Granularity;
import java.io.Serializable;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * Turns one window x slice's merged {@link SliceState} into {@code eval_metrics} rows with the
 * {@link MetricSet}'s pure functions: point estimates from the sample (fine histograms), and for
 * the headline metrics a percentile interval over the bootstrap replicates.
 *
 * <p>Replicates rank scores on coarse bins (bounded state); the binning's bias is removed by
 * shifting: the interval is {@code point + percentile(v_b - c_0)}, where c_0 is the coarse-bin
 * value of the sample itself. For metrics that do not use histograms c_0 is the point estimate, so
 * this is the plain percentile interval. Percentiles interpolate linearly (NumPy's default). An
 * interval is null when fewer than half of the replicates define the metric. Serializable,
 * stateless.
 */
final class MetricRows implements Serializable {
  private static final long serialVersionUID = 1L;

  private final MetricSet metrics;
  private final List<CustomMetric> custom;
  private final Map<String, Integer> index;
  private final List<Granularity> granularities;
  private final double confidence;
  private final String runId;

  MetricRows(
      MetricSet metrics,
      List<CustomMetric> custom,
      List<String> partialNames,
      List<Granularity> granularities,
      double confidence,
      String runId) {
    this.metrics = metrics;
    this.custom = List.copyOf(custom);
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < partialNames.size(); i++) {
      idx.put(partialNames.get(i), i);
    }
    this.index = Map.copyOf(idx);
    this.granularities = List.copyOf(granularities);
    this.confidence = confidence;
    this.runId = runId;
  }

  /** The eval_metrics rows of one window x slice. */
  List<Row> rows(GroupKey key, SliceState state) {
    MetricSet.State sample = state.view(0, true, index);
    List<MetricSet.MetricValue> point = compute(sample);
    long all = Math.round(sample.get(MetricSet.N_ALL));
    for (Evaluator.Invalid reason : Evaluator.Invalid.values()) {
      double n = sample.get(Evaluator.INVALID_PREFIX + reason.code());
      if (n > 0) {
        point.add(new MetricSet.MetricValue("invalid_rows:" + reason.code(), n, all));
      }
    }
    Map<String, double[]> intervals = intervals(state, point);
    intervals.putAll(metrics.intervals(sample, confidence));
    List<Row> out = new ArrayList<>(point.size());
    for (MetricSet.MetricValue m : point) {
      out.add(row(key, key.sliceKey, key.sliceValue, m, intervals.get(m.name())));
    }
    return out;
  }

  /** One eval_metrics row of the key's model version and window; {@code ci} may be null. */
  Row row(GroupKey key, String sliceKey, String sliceValue, MetricSet.MetricValue m, double[] ci) {
    Granularity g = granularities.get(key.granularity);
    Instant start = Instant.ofEpochSecond(key.windowStart);
    return RowFactory.create(
        key.model,
        key.version,
        g.label(),
        Timestamp.from(start),
        Timestamp.from(g.end(start)),
        sliceKey,
        sliceValue,
        m.name(),
        m.value(),
        ci == null ? null : ci[0],
        ci == null ? null : ci[1],
        m.n(),
        runId,
        Date.valueOf(LocalDate.ofInstant(start, ZoneOffset.UTC)));
  }

  /** The metric set's metrics and the custom ones of a summed state. */
  private List<MetricSet.MetricValue> compute(MetricSet.State s) {
    List<MetricSet.MetricValue> out = new ArrayList<>(metrics.compute(s));
    custom.forEach(c -> out.add(c.compute(s)));
    return out;
  }

  private boolean headline(String metric) {
    return metrics.headline(metric) || custom.stream().anyMatch(c -> c.name().equals(metric));
  }

  /** The partial states' index by name, for views of a state. */
  Map<String, Integer> index() {
    return index;
  }

  /**
   * The percentile interval of draws (NaN where a replicate does not define the value) at the
   * confidence, or null when fewer than half of them are defined.
   */
  double[] interval(double[] draws) {
    double[] defined = Arrays.stream(draws).filter(Double::isFinite).sorted().toArray();
    if (defined.length == 0 || defined.length * 2 < draws.length) {
      return null;
    }
    double alpha = 1 - confidence;
    return new double[] {percentile(defined, alpha / 2), percentile(defined, 1 - alpha / 2)};
  }

  private Map<String, double[]> intervals(SliceState state, List<MetricSet.MetricValue> point) {
    Map<String, double[]> out = new HashMap<>();
    int replicates = state.replicates();
    if (replicates == 0) {
      return out;
    }
    Map<String, Double> shift = new HashMap<>();
    Map<String, double[]> draws = new HashMap<>();
    Map<String, Integer> drawn = new HashMap<>();
    for (MetricSet.MetricValue m : compute(state.view(0, false, index))) {
      if (headline(m.name()) && m.value() != null) {
        shift.put(m.name(), m.value());
        draws.put(m.name(), new double[replicates]);
        drawn.put(m.name(), 0);
      }
    }
    for (int b = 1; b <= replicates; b++) {
      for (MetricSet.MetricValue m : compute(state.view(b, false, index))) {
        double[] d = draws.get(m.name());
        if (d != null && m.value() != null) {
          int n = drawn.get(m.name());
          d[n] = m.value();
          drawn.put(m.name(), n + 1);
        }
      }
    }
    double alpha = 1 - confidence;
    for (MetricSet.MetricValue m : point) {
      double[] d = draws.get(m.name());
      if (d == null || m.value() == null) {
        continue;
      }
      int n = drawn.get(m.name());
      if (n * 2 < replicates) {
        continue;
      }
      double[] sorted = Arrays.copyOf(d, n);
      Arrays.sort(sorted);
      double c0 = shift.get(m.name());
      double lo = percentile(sorted, alpha / 2);
      double hi = percentile(sorted, 1 - alpha / 2);
      if (c0 != m.value()) {
        lo += m.value() - c0;
        hi += m.value() - c0;
      }
      out.put(m.name(), new double[] {lo, hi});
    }
    return out;
  }

  /** Linear-interpolation percentile of sorted values (NumPy's default), q in [0, 1]. */
  static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  /** The schema of the rows made here: eval_metrics's. */
  static StructType schema() {
    return Tables.EVAL_METRICS_SPEC.schema();
  }

  static {
    // the positional rows above follow the table's column order; fail fast if it changes
    List<String> expected =
        List.of(
            Columns.MODEL_NAME,
            Columns.MODEL_VERSION,
            Columns.GRANULARITY,
            Columns.WINDOW_START,
            Columns.WINDOW_END,
            Columns.SLICE_KEY,
            Columns.SLICE_VALUE,
            Columns.METRIC,
            Columns.VALUE,
            Columns.CI_LOW,
            Columns.CI_HIGH,
            Columns.N,
            Columns.RUN_ID,
            Columns.WINDOW_DATE);
    if (!Arrays.asList(Tables.EVAL_METRICS_SPEC.schema().fieldNames()).equals(expected)) {
      throw new IllegalStateException("eval_metrics columns changed; update MetricRows");
    }
  }
}
