package io.lakeloop.monitoring.evaluate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Turns one aggregated state row (keys, replicate, partial sums, sparse histogram) into metric rows
 * (keys, replicate, metric, value, n) with a {@link MetricSet}'s pure functions. Replicates other
 * than 0 emit only the headline metrics. Runs on executors over aggregates only; serializable,
 * stateless.
 */
final class MetricRows implements FlatMapFunction<Row, Row> {
  private final MetricSet metrics;
  private final List<String> names;
  private final int keys;
  private final int histograms;

  MetricRows(MetricSet metrics, List<String> names, int keys, int histograms) {
    this.metrics = metrics;
    this.names = List.copyOf(names);
    this.keys = keys;
    this.histograms = histograms;
  }

  @Override
  public Iterator<Row> call(Row row) {
    int replicate = row.getInt(keys);
    Map<String, Double> sums = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      sums.put(names.get(i), row.isNullAt(keys + 1 + i) ? 0.0 : row.getDouble(keys + 1 + i));
    }
    ScoreHistogram[] hist = new ScoreHistogram[Math.max(histograms, 1)];
    for (int h = 0; h < hist.length; h++) {
      hist[h] = new ScoreHistogram();
    }
    List<Row> entries = row.getList(keys + 1 + names.size());
    for (Row e : entries) {
      hist[e.getInt(0)].add(e.getLong(1), e.getDouble(2), e.getDouble(3));
    }
    MetricSet.State state =
        new MetricSet.State() {
          @Override
          public double get(String name) {
            Double v = sums.get(name);
            if (v == null) {
              throw new IllegalStateException("no partial state named " + name);
            }
            return v;
          }

          @Override
          public ScoreHistogram histogram(int k) {
            return hist[k];
          }
        };
    List<Row> out = new ArrayList<>();
    for (MetricSet.MetricValue m : metrics.compute(state)) {
      if (replicate > 0 && !metrics.headline(m.name())) {
        continue;
      }
      Object[] values = new Object[keys + 4];
      for (int i = 0; i < keys; i++) {
        values[i] = row.get(i);
      }
      values[keys] = replicate;
      values[keys + 1] = m.name();
      values[keys + 2] = m.value();
      values[keys + 3] = m.n();
      out.add(RowFactory.create(values));
    }
    return out.iterator();
  }
}
