package io.lakeloop.monitoring.report;

import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.monitoring.drift.ColumnHistogram;
import io.lakeloop.monitoring.quality.QualityRules;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one report shows, already aggregated: small lists the driver holds (metric points,
 * binned curves, drift rows, profiles' histograms, registry rows, gate checks, runs). Built by
 * {@link ReportReader}; turned into HTML by {@link ReportPage} and into the PNG summary by {@link
 * SummaryImage}, both pure functions of it.
 *
 * @param model the model's name
 * @param classLabels class names in index order (empty for regression)
 * @param asOf the report's date: nothing with a window starting after it is shown
 * @param runId the report's run id
 * @param tablesRead each table read and the Delta version read
 * @param metrics quality metric values over time (eval_metrics rows)
 * @param bounds the bounds the model's quality rules hold those views to
 * @param curves the latest labeled day's binned scores per model version (binary models)
 * @param drift drift statistics of the latest drift window
 * @param histograms baseline vs current bins of every profiled column in that window
 * @param alerts drift alerts of the last days (open alerts)
 * @param qualityAlerts quality alerts of the same days
 * @param registry every registered version of the model, oldest first
 * @param aliases alias to version
 * @param gate the gate's checks, latest run first
 * @param runs the job runs that produced the numbers shown, latest first
 * @param fairness the disparities of the model's fairness groupings in the latest window of each
 *     granularity and model version (eval_metrics rows of {@code fairness:<grouping>} slices)
 */
public record ReportData(
    String model,
    List<String> classLabels,
    LocalDate asOf,
    String runId,
    Map<String, Long> tablesRead,
    List<MetricPoint> metrics,
    List<QualityRules.Bound> bounds,
    Optional<Curves> curves,
    List<DriftRow> drift,
    List<ColumnHistogram> histograms,
    List<Alert> alerts,
    List<QualityAlert> qualityAlerts,
    List<ModelRegistry.Entry> registry,
    Map<String, Integer> aliases,
    List<GateCheck> gate,
    List<Run> runs,
    List<MetricPoint> fairness,
    List<DriftRow> multivariate,
    List<ConstraintCheck> constraintChecks) {

  /** One eval_metrics value. */
  public record MetricPoint(
      String granularity,
      String sliceKey,
      String sliceValue,
      String metric,
      String version,
      LocalDate window,
      Double value,
      Double ciLow,
      Double ciHigh,
      long n,
      String runId) {}

  /**
   * Labeled rows of one day per model version in {@code bins} equal-width bins of the positive
   * class's score: positives, negatives and the sum of scores per bin.
   */
  public record Curves(LocalDate day, String positiveClass, int bins, List<VersionBins> versions) {}

  /** One model version's binned scores. */
  public record VersionBins(
      String version, double[] positives, double[] negatives, double[] scoreSums) {}

  /** One drift_metrics value. */
  public record DriftRow(
      String version,
      String granularity,
      LocalDate windowStart,
      String comparison,
      String column,
      String kind,
      String statistic,
      Double value,
      Double pValue,
      Double threshold,
      Boolean drifted,
      String runId,
      String slice) {
    /** Whether the row is of all rows ("*"), not of one slice ("region=eu"). */
    boolean allRows() {
      return slice.equals("*");
    }
  }

  /** One constraint_checks row. */
  public record ConstraintCheck(
      String version,
      String granularity,
      LocalDate windowStart,
      String name,
      String column,
      String kind,
      Double observed,
      double bound,
      long rows,
      boolean passed,
      String runId) {}

  /** One alerts row. */
  public record Alert(
      String version,
      String granularity,
      LocalDate windowStart,
      String comparison,
      List<String> columns,
      double share,
      boolean datasetDrifted,
      String runId) {}

  /** One alerts row of kind quality. */
  public record QualityAlert(
      String version,
      String granularity,
      LocalDate windowStart,
      String rule,
      String sliceKey,
      String sliceValue,
      String reason,
      String runId) {}

  /** One gate_decisions row. */
  public record GateCheck(
      String runId,
      LocalDate date,
      String candidate,
      Integer candidateVersion,
      String champion,
      boolean blessed,
      boolean winner,
      String kind,
      String metric,
      Double value,
      Double bound,
      Boolean passed,
      String reason) {}

  /** One job run (its latest attempt): the Delta versions it read and wrote. */
  public record Run(
      String job,
      String runId,
      LocalDate date,
      String status,
      int attempt,
      Instant finishedAt,
      Map<String, Long> inputs,
      Map<String, Long> outputs) {}

  /** The latest day with labeled predictions (daily window, all rows), if any. */
  static Optional<LocalDate> latestLabeledDay(List<MetricPoint> metrics) {
    return metrics.stream()
        .filter(
            p ->
                p.metric().equals(ReportSettings.LABELED_COUNT)
                    && p.granularity().equals(ReportReader.DAY)
                    && p.sliceKey().equals("*")
                    && p.value() != null
                    && p.value() > 0)
        .map(MetricPoint::window)
        .max(LocalDate::compareTo);
  }

  /** The published champion, if the model has one. */
  public Optional<ModelRegistry.Entry> champion() {
    Integer v = aliases.get(ModelRegistry.CHAMPION);
    return v == null
        ? Optional.empty()
        : registry.stream().filter(e -> e.version() == v).findFirst();
  }
}
