package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.table.Lakehouse;
import java.math.BigDecimal;
import java.math.MathContext;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * One column's baseline and current counts on the bins drift compares them on: a numeric column's
 * PSI bins (open-ended outer bins) plus the null bin, a categorical column's baseline top-K values
 * plus {@code __other__} and {@code __null__}. Read from the stored profiles (the baseline and one
 * window's rows, every model version of the window merged): no scan of the prediction log. This is
 * what the report draws as "baseline vs current"; the bins are the ones PSI was computed on.
 *
 * @param column the column
 * @param kind {@code numeric} or {@code categorical}
 * @param bins a label per bin, e.g. {@code [30.8, 37.3)} or {@code premium}
 * @param baseline the baseline's count per bin
 * @param current the window's count per bin
 */
public record ColumnHistogram(
    String column, String kind, List<String> bins, long[] baseline, long[] current) {
  public static final String NULL_BIN = "__null__";

  public ColumnHistogram {
    bins = List.copyOf(bins);
    if (baseline.length != bins.size() || current.length != bins.size()) {
      throw new IllegalArgumentException(
          column + ": " + bins.size() + " bins but " + baseline.length + "/" + current.length);
    }
  }

  /**
   * The histograms of every column profiled for {@code model} in the window of {@code granularity}
   * starting at {@code windowStart}, by column name; empty when either side is not stored (or the
   * window was profiled on another baseline's edges). One filtered read of the profiles table
   * (aggregates only).
   */
  public static List<ColumnHistogram> read(
      Lakehouse lh, String model, String granularity, Instant windowStart, int topK) {
    List<Row> rows =
        WindowProfiles.read(
            lh,
            model,
            col(GRANULARITY)
                .equalTo(granularity)
                .and(col(WINDOW_START).equalTo(Timestamp.from(windowStart))));
    Map<String, Row> baseline = new TreeMap<>(); // by column: the same page every run
    Map<String, List<Row>> window = new LinkedHashMap<>();
    for (Row r : rows) {
      if (ProfileRows.isMultivariate(r) || ProfileRows.isRowChecks(r) || !Slice.of(r).all()) {
        continue; // moments or row counts, not a histogram; a slice's, not all rows'
      }
      String column = r.getString(r.fieldIndex(COLUMN));
      if (ProfileRows.BASELINE.equals(r.getString(r.fieldIndex(PROFILE_KIND)))) {
        baseline.put(column, r);
      } else {
        window.computeIfAbsent(column, c -> new ArrayList<>()).add(r);
      }
    }
    List<ColumnHistogram> out = new ArrayList<>();
    baseline.forEach(
        (column, b) -> {
          List<Row> w = window.get(column);
          ColumnHistogram h = w == null ? null : of(column, b, w, topK);
          if (h != null) {
            out.add(h);
          }
        });
    return out;
  }

  private static ColumnHistogram of(String column, Row baseline, List<Row> window, int topK) {
    String kind = baseline.getString(baseline.fieldIndex(COLUMN_KIND));
    if (baseline.isNullAt(baseline.fieldIndex(BIN_EDGES))) {
      CategoricalProfile ref = ProfileRows.categoricalOf(baseline);
      CategoricalProfile cur =
          window.stream()
              .map(ProfileRows::categoricalOf)
              .reduce(new CategoricalProfile(), CategoricalProfile::merge);
      List<String> top = ref.top(topK);
      List<String> bins = new ArrayList<>(top);
      bins.add(CategoricalProfile.OVERFLOW);
      bins.add(NULL_BIN);
      return new ColumnHistogram(
          column, kind, bins, categoryCounts(ref, top), categoryCounts(cur, top));
    }
    NumericProfile ref = ProfileRows.numericOf(baseline);
    NumericProfile cur =
        window.stream().map(ProfileRows::numericOf).reduce(NumericProfile::merge).orElseThrow();
    if (!Arrays.equals(ref.edges(), cur.edges())) {
      return null; // the window was profiled on an earlier baseline's edges: not comparable
    }
    double[] psi = ProfileRows.psiEdgesOf(baseline);
    int[] index = Arrays.stream(psi).mapToInt(e -> Arrays.binarySearch(ref.edges(), e)).toArray();
    if (Arrays.stream(index).anyMatch(i -> i < 0)) {
      throw new IllegalStateException(
          "baseline profile of " + column + ": a PSI edge is not one of its fine edges");
    }
    List<String> bins = new ArrayList<>();
    for (int j = 0; j <= psi.length; j++) {
      if (psi.length == 0) {
        bins.add("all values");
      } else if (j == 0) {
        bins.add("< " + number(psi[0]));
      } else if (j == psi.length) {
        bins.add("≥ " + number(psi[j - 1]));
      } else {
        bins.add("[" + number(psi[j - 1]) + ", " + number(psi[j]) + ")");
      }
    }
    bins.add(NULL_BIN);
    return new ColumnHistogram(column, kind, bins, ref.psiCounts(index), cur.psiCounts(index));
  }

  /** Counts on the top values, then everything else, then nulls (drift's categorical bins). */
  private static long[] categoryCounts(CategoricalProfile p, List<String> top) {
    long[] out = new long[top.size() + 2];
    long inTop = 0;
    for (int i = 0; i < top.size(); i++) {
      out[i] = p.counts().getOrDefault(top.get(i), 0L);
      inTop += out[i];
    }
    out[top.size()] = p.count() - p.nullCount() - inTop;
    out[top.size() + 1] = p.nullCount();
    return out;
  }

  private static String number(double v) {
    return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
  }
}
