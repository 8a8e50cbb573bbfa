package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;

import io.lakeloop.common.table.Tables;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;

/**
 * Turns a comparison of two windows' profiles into drift_metrics rows: every statistic of every
 * column with its threshold and verdict, a {@code column_missing} row for a baseline column that
 * the current data lacks, and a dataset-level row ({@code column = '*'}) with the share of columns
 * whose deciding statistic drifted. Pure; runs on the driver over profiles.
 */
final class DriftRows {
  /** The dataset-level row's column, kind and statistic. */
  static final String ALL_COLUMNS = "*";

  static final String DATASET = "dataset";
  static final String DRIFTED_SHARE = "drifted_column_share";
  static final String COLUMN_MISSING = "column_missing";

  private final DriftSettings settings;
  private final Baseline baseline;
  private final List<DriftColumns.Spec> numeric;
  private final List<DriftColumns.Spec> categorical;
  private final List<String> missing;
  private final NullThresholds nullThresholds;
  private final MultivariateDrift multivariate; // null: not judged

  DriftRows(
      DriftSettings settings,
      Baseline baseline,
      List<DriftColumns.Spec> numeric,
      List<DriftColumns.Spec> categorical,
      List<String> missing) {
    this.settings = settings;
    this.baseline = baseline;
    this.numeric = numeric;
    this.categorical = categorical;
    this.missing = List.copyOf(missing);
    this.nullThresholds = new NullThresholds(settings);
    this.multivariate =
        settings.multivariate().enabled()
            ? baseline.multivariateDrift(settings.multivariate().varianceShare()).orElse(null)
            : null;
  }

  /** The statistic that found a column drifted. */
  record Verdict(
      String column,
      String kind,
      String statistic,
      Double value,
      Double pValue,
      Double threshold) {}

  /**
   * A comparison's rows; how many columns were judged; the drifted ones, each with its deciding
   * statistic (or {@code column_missing}); whether the dataset-level share crossed its threshold.
   */
  record Result(List<Row> rows, int columns, List<Verdict> drifted, boolean datasetDrifted) {
    /** Drifted columns, the multivariate verdict (not a column) left out. */
    int driftedColumns() {
      return (int) drifted.stream().filter(v -> !v.kind().equals(MultivariateDrift.KIND)).count();
    }

    double driftedShare() {
      return columns == 0 ? 0 : (double) driftedColumns() / columns;
    }
  }

  /**
   * Compares one version's and slice's window with a reference; thresholds (size-aware) come from
   * the null distribution of that slice's baseline profile.
   */
  Result compare(
      String model,
      Segment segment,
      DriftJob.Window w,
      String comparison,
      ColumnProfiles reference,
      ColumnProfiles current,
      String runId) {
    List<Row> rows = new ArrayList<>();
    boolean againstBaseline = comparison.equals("BASELINE");
    int judged = 0;
    List<Verdict> drifted = new ArrayList<>();
    Map<String, Object> base = new HashMap<>();
    base.put(MODEL_NAME, model);
    base.put(MODEL_VERSION, segment.version());
    segment.slice().into(base);
    Slice slice = segment.slice();
    ColumnProfiles whole = baseline.profiles(slice);
    // thresholds are cached per column name: a slice's columns are named apart
    String prefix = slice.all() ? "" : slice + "/";
    base.put(GRANULARITY, w.granularity().label());
    base.put(WINDOW_START, Timestamp.from(w.start()));
    base.put(WINDOW_END, Timestamp.from(w.end()));
    base.put(COMPARISON, comparison);
    base.put(RUN_ID, runId);
    base.put(WINDOW_DATE, Date.valueOf(w.startDate()));
    for (int j = 0; j < numeric.size() + categorical.size(); j++) {
      boolean isNumeric = j < numeric.size();
      String column =
          isNumeric ? numeric.get(j).name() : categorical.get(j - numeric.size()).name();
      String kind = isNumeric ? DriftColumns.NUMERIC : DriftColumns.CATEGORICAL;
      judged++;
      if (missing.contains(column)) {
        rows.add(row(base, column, kind, COLUMN_MISSING, 1.0, null, null, true, null));
        drifted.add(new Verdict(column, kind, COLUMN_MISSING, 1.0, null, null));
        continue;
      }
      DriftColumns.Spec spec = isNumeric ? numeric.get(j) : categorical.get(j - numeric.size());
      List<DriftStatistics.Statistic> stats;
      Map<String, Double> sizeAware = Map.of();
      boolean unknownNulls = spec.nullIsUnknown();
      if (isNumeric) {
        NumericProfile ref = reference.numeric[j];
        NumericProfile cur = current.numeric[j];
        stats =
            DriftStatistics.numeric(
                ref, cur, baseline.std(column), baseline.psiIndex(column), unknownNulls);
        if (settings.sizeAware()) {
          NumericProfile b = whole.numeric[j];
          sizeAware =
              nullThresholds.numeric(
                  prefix + column,
                  unknownNulls ? b.withoutNulls() : b,
                  rows(ref.count(), ref.nullCount(), unknownNulls),
                  rows(cur.count(), cur.nullCount(), unknownNulls),
                  againstBaseline,
                  baseline.std(column),
                  baseline.psiIndex(column));
        }
      } else {
        int k = j - numeric.size();
        CategoricalProfile ref = reference.categorical[k];
        CategoricalProfile cur = current.categorical[k];
        List<String> kept = baseline.topCategories(column, settings.topKCategories());
        stats = DriftStatistics.categorical(ref, cur, kept, unknownNulls);
        if (settings.sizeAware()) {
          CategoricalProfile b = whole.categorical[k];
          sizeAware =
              nullThresholds.categorical(
                  prefix + column,
                  unknownNulls ? b.withoutNulls() : b,
                  kept,
                  rows(ref.count(), ref.nullCount(), unknownNulls),
                  rows(cur.count(), cur.nullCount(), unknownNulls),
                  againstBaseline);
        }
      }
      String decision = isNumeric ? settings.numericDecision() : settings.categoricalDecision();
      Verdict deciding = null;
      for (DriftStatistics.Statistic s : stats) {
        boolean finite = Double.isFinite(s.value());
        Double threshold =
            settings.threshold(s.name()) == null
                ? null
                : sizeAware.getOrDefault(s.name(), settings.threshold(s.name()));
        Boolean verdict =
            finite ? DriftSettings.drifted(s.name(), s.value(), s.pValue(), threshold) : null;
        rows.add(
            row(
                base,
                column,
                kind,
                s.name(),
                finite ? s.value() : null,
                s.pValue(),
                threshold,
                verdict,
                s.errorBound()));
        if (s.name().equals(decision) && Boolean.TRUE.equals(verdict)) {
          deciding =
              new Verdict(column, kind, s.name(), s.value(), finitePValue(s.pValue()), threshold);
        }
      }
      if (deciding != null) {
        drifted.add(deciding);
      }
    }
    boolean datasetDrifted = false;
    if (judged > 0) {
      double share = (double) drifted.size() / judged;
      datasetDrifted = share >= settings.datasetDriftShare();
      rows.add(
          row(
              base,
              ALL_COLUMNS,
              DATASET,
              DRIFTED_SHARE,
              share,
              null,
              settings.datasetDriftShare(),
              datasetDrifted,
              null));
    }
    // the features' joint behaviour, against the baseline only (not a column: not in the share)
    if (multivariate != null && againstBaseline && current.moments != null) {
      Optional<MultivariateDrift.Judgement> judgement =
          multivariate.judge(current.moments, settings.falseAlarmRate());
      if (judgement.isPresent()) {
        MultivariateDrift.Judgement j = judgement.get();
        rows.add(
            row(
                base,
                MultivariateDrift.COLUMN,
                MultivariateDrift.KIND,
                MultivariateDrift.STATISTIC,
                j.error(),
                j.pValue(),
                j.threshold(),
                j.drifted(),
                null));
        if (j.drifted()) {
          drifted.add(
              new Verdict(
                  MultivariateDrift.COLUMN,
                  MultivariateDrift.KIND,
                  MultivariateDrift.STATISTIC,
                  j.error(),
                  finitePValue(j.pValue()),
                  j.threshold()));
        }
      }
    }
    return new Result(rows, judged, drifted, datasetDrifted);
  }

  /** A side's rows a statistic compares: all, or the non-null ones where null means unknown. */
  private static long rows(long count, long nullCount, boolean nullIsUnknown) {
    return nullIsUnknown ? count - nullCount : count;
  }

  private static Double finitePValue(Double p) {
    return p != null && Double.isFinite(p) ? p : null;
  }

  private static Row row(
      Map<String, Object> base,
      String column,
      String kind,
      String statistic,
      Double value,
      Double pValue,
      Double threshold,
      Boolean drifted,
      Double errorBound) {
    Map<String, Object> v = new HashMap<>(base);
    v.put(COLUMN, column);
    v.put(COLUMN_KIND, kind);
    v.put(STATISTIC, statistic);
    v.put(VALUE, value);
    v.put(P_VALUE, finitePValue(pValue));
    v.put(THRESHOLD, threshold);
    v.put(DRIFTED, drifted);
    v.put(ERROR_BOUND, errorBound);
    return Tables.DRIFT_METRICS_SPEC.row(v);
  }

  /** A drift_metrics column's position (rows built here carry no schema). */
  private static int at(String column) {
    return Tables.DRIFT_METRICS_SPEC.schema().fieldIndex(column);
  }

  /**
   * A short text table of the verdicts against the baseline of the windows that contain {@code
   * date}, for the CLI: each column's deciding statistic and the dataset-level share.
   */
  static String table(List<Row> rows, DriftSettings settings, LocalDate date) {
    StringBuilder out =
        new StringBuilder(
            String.format(
                "%-10s %-8s %-22s %-20s %-10s %-10s %s",
                "window", "version", "column", "statistic", "value", "threshold", "drifted"));
    for (Row r : rows) {
      if (!r.getString(at(SLICE_KEY)).equals(Slice.ALL.key())) {
        continue; // all rows only: slices are summed up apart
      }
      String comparison = r.getString(at(COMPARISON));
      String statistic = r.getString(at(STATISTIC));
      String kind = r.getString(at(COLUMN_KIND));
      boolean decision =
          statistic.equals(DRIFTED_SHARE)
              || statistic.equals(COLUMN_MISSING)
              || kind.equals(MultivariateDrift.KIND)
              || (kind.equals(DriftColumns.NUMERIC) && statistic.equals(settings.numericDecision()))
              || (kind.equals(DriftColumns.CATEGORICAL)
                  && statistic.equals(settings.categoricalDecision()));
      Instant day = Baseline.startOf(date);
      boolean containsDate =
          !r.getTimestamp(at(WINDOW_START)).toInstant().isAfter(day)
              && r.getTimestamp(at(WINDOW_END)).toInstant().isAfter(day);
      if (!comparison.equals("BASELINE") || !decision || !containsDate) {
        continue;
      }
      Object value = r.get(at(VALUE));
      Object threshold = r.get(at(THRESHOLD));
      out.append(System.lineSeparator())
          .append(
              String.format(
                  "%-10s %-8s %-22s %-20s %-10s %-10s %s",
                  r.getString(at(GRANULARITY)),
                  r.get(at(MODEL_VERSION)),
                  r.getString(at(COLUMN)),
                  statistic,
                  value == null ? "-" : String.format("%.4f", (Double) value),
                  threshold == null ? "-" : String.format("%.4g", (Double) threshold),
                  Boolean.TRUE.equals(r.get(at(DRIFTED))) ? "DRIFTED" : "ok"));
    }
    return out.toString();
  }
}
