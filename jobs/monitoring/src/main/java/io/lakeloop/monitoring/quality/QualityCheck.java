package io.lakeloop.monitoring.quality;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.schema.Metrics;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Granularity;
import io.lakeloop.common.window.Predicate;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Quality rules applied to what an evaluate run wrote: reads the run's windows of eval_metrics (the
 * rules' metrics only) and the reference period's values, judges them ({@link QualityRules}), and
 * writes one {@code alerts} row of kind {@code quality} per breach, replacing the quality alerts of
 * the same windows (a rerun changes nothing). Cost: two small aggregations over eval_metrics at the
 * version the run committed; the driver sees windows x slices x rule metrics rows.
 */
public final class QualityCheck {
  /** The alerts kind of a broken quality rule. */
  public static final String QUALITY = "quality";

  /** The alerts kind of a metric outside the band of its own history ({@link Anomalies}). */
  public static final String ANOMALY = "anomaly";

  /**
   * The alerts kind of a rule broken by a metric estimated without labels (CBPE), judged for
   * windows still inside the label delay.
   */
  public static final String ESTIMATED_QUALITY = "estimated_quality";

  /** Every kind evaluate writes (it rewrites them all for its windows), the report reads. */
  public static final List<String> KINDS = List.of(QUALITY, ANOMALY, ESTIMATED_QUALITY);

  private static final ObjectMapper JSON = new ObjectMapper();

  private QualityCheck() {}

  /**
   * The judgement of the windows {@code windows} selects in eval_metrics at {@code version}.
   *
   * @param provisionalAfter windows that end after this instant are inside the label delay
   */
  public static QualityRules.Judgement judge(
      Lakehouse lh,
      long version,
      String model,
      QualitySettings settings,
      Predicate windows,
      LocalDate firstDay,
      Instant provisionalAfter) {
    Dataset<Row> ofModel =
        lh.readAt(Tables.EVAL_METRICS, version).where(col(MODEL_NAME).equalTo(model));
    QualityRules.Judgement rules = new QualityRules.Judgement(List.of(), Map.of());
    if (!settings.rules().isEmpty()) {
      Object[] metrics =
          settings.rules().stream()
              .flatMap(r -> java.util.stream.Stream.of(r.metric(), Metrics.estimated(r.metric())))
              .distinct()
              .toArray();
      Dataset<Row> metricsAt = ofModel.where(col(METRIC).isin(metrics));
      rules =
          QualityRules.judge(
              settings,
              metricRows(metricsAt.where(windows.column())),
              references(metricsAt, settings),
              provisionalAfter);
    }
    AnomalySettings a = settings.anomaly();
    if (a.metrics().isEmpty()) {
      return rules;
    }
    Dataset<Row> watched =
        ofModel.where(
            col(METRIC)
                .isin(a.metrics().toArray())
                .and(col(GRANULARITY).isin(a.granularities().toArray()))
                .and(col(WINDOW_DATE).geq(lit(Date.valueOf(lookback(a, firstDay))))));
    Set<Instant> judged = new HashSet<>();
    for (Row r : watched.where(windows.column()).select(WINDOW_START).distinct().collectAsList()) {
      judged.add(r.getTimestamp(0).toInstant());
    }
    return rules.and(
        Anomalies.judge(a, settings.minLabeled(), metricRows(watched), judged, provisionalAfter));
  }

  /**
   * The bounds the model's rules hold {@code views} to, with change rules' references from {@code
   * ofModel} (the model's eval_metrics rows), as {@link #judge} computes them.
   */
  public static List<QualityRules.Bound> bounds(
      Dataset<Row> ofModel, QualitySettings settings, Collection<QualityRules.ReferenceKey> views) {
    if (settings.rules().isEmpty()) {
      return List.of();
    }
    Object[] metrics = settings.rules().stream().map(QualityRule::metric).distinct().toArray();
    return QualityRules.bounds(
        settings, views, references(ofModel.where(col(METRIC).isin(metrics)), settings));
  }

  /** The first day whose windows can be the history of a window starting on {@code firstDay}. */
  static LocalDate lookback(AnomalySettings a, LocalDate firstDay) {
    long seconds = 0;
    for (String g : a.granularities()) {
      long step = a.weekly() ? 7 * 86_400L : Granularity.parse(g, "granularities").seconds();
      seconds = Math.max(seconds, step * (a.history() + 1));
    }
    return firstDay.minusDays(Math.floorDiv(seconds, 86_400L) + 1);
  }

  private static List<QualityRules.MetricRow> metricRows(Dataset<Row> metrics) {
    List<QualityRules.MetricRow> rows = new ArrayList<>();
    for (Row r :
        metrics
            .select(
                MODEL_VERSION,
                GRANULARITY,
                WINDOW_START,
                WINDOW_END,
                SLICE_KEY,
                SLICE_VALUE,
                METRIC,
                VALUE,
                CI_LOW,
                CI_HIGH,
                N)
            .orderBy(GRANULARITY, WINDOW_START, MODEL_VERSION, SLICE_KEY, SLICE_VALUE, METRIC)
            .collectAsList()) {
      rows.add(
          new QualityRules.MetricRow(
              r.getString(0),
              r.getString(1),
              r.getTimestamp(2).toInstant(),
              r.getTimestamp(3).toInstant(),
              r.getString(4),
              r.getString(5),
              r.getString(6),
              r.isNullAt(7) ? null : r.getDouble(7),
              r.isNullAt(8) ? null : r.getDouble(8),
              r.isNullAt(9) ? null : r.getDouble(9),
              r.getLong(10)));
    }
    return rows;
  }

  /**
   * Reference values of change rules: per granularity, slice and metric, the mean of the windows
   * that lie wholly inside the reference period, weighted by their rows ({@code n}) — for accuracy,
   * exactly the accuracy of the period; for AUCs and losses the row-weighted mean of the windows'
   * values. All model versions count.
   */
  static Map<QualityRules.ReferenceKey, Double> references(
      Dataset<Row> metricsAt, QualitySettings settings) {
    Map<QualityRules.ReferenceKey, Double> out = new HashMap<>();
    if (settings.referenceFrom().isEmpty()) {
      return out;
    }
    Timestamp from = start(settings.referenceFrom().get());
    Timestamp until = start(settings.referenceUntil().get());
    for (Row r :
        metricsAt
            .where(
                col(WINDOW_START)
                    .geq(lit(from))
                    .and(col(WINDOW_END).leq(lit(until)))
                    .and(col(VALUE).isNotNull())
                    .and(col(N).gt(0)))
            .groupBy(GRANULARITY, SLICE_KEY, SLICE_VALUE, METRIC)
            .agg(sum(col(VALUE).multiply(col(N))).divide(sum(col(N))))
            .collectAsList()) {
      out.put(
          new QualityRules.ReferenceKey(
              r.getString(0), r.getString(1), r.getString(2), r.getString(3)),
          r.getDouble(4));
    }
    return out;
  }

  private static Timestamp start(LocalDate d) {
    return Timestamp.from(d.atStartOfDay(ZoneOffset.UTC).toInstant());
  }

  /** The alerts rows of the breaches. */
  static List<Row> rows(String model, List<QualityRules.Breach> breaches, String runId) {
    List<Row> out = new ArrayList<>();
    for (QualityRules.Breach b : breaches) {
      QualityRules.MetricRow r = b.row();
      Map<String, Object> v = new HashMap<>();
      v.put(MODEL_NAME, model);
      v.put(MODEL_VERSION, r.version());
      v.put(GRANULARITY, r.granularity());
      v.put(WINDOW_START, Timestamp.from(r.windowStart()));
      v.put(WINDOW_END, Timestamp.from(r.windowEnd()));
      v.put(RUN_ID, runId);
      v.put(WINDOW_DATE, Date.valueOf(LocalDate.ofInstant(r.windowStart(), ZoneOffset.UTC)));
      v.put(KIND, b.kind());
      v.put(RULE, b.rule().name());
      v.put(METRIC, r.metric());
      v.put(SLICE_KEY, r.sliceKey());
      v.put(SLICE_VALUE, r.sliceValue());
      v.put(VALUE, r.value());
      v.put(CI_LOW, r.ciLow());
      v.put(CI_HIGH, r.ciHigh());
      v.put(REFERENCE, b.reference());
      v.put(BOUND, b.bound());
      v.put(N, r.n());
      v.put(REASON, b.reason());
      out.add(Tables.ALERTS_SPEC.row(v));
    }
    return out;
  }

  /**
   * Writes the run's quality alerts over those of the same windows; returns the alerts version. The
   * table is migrated first if an older version wrote it.
   */
  public static long write(
      RunTables tables, String model, Predicate windows, List<QualityRules.Breach> breaches) {
    tables.lakehouse().ensure(Tables.ALERTS_SPEC);
    return tables.replaceWhere(
        tables
            .lakehouse()
            .spark()
            .createDataFrame(rows(model, breaches, tables.runId()), Tables.ALERTS_SPEC.schema()),
        Tables.ALERTS_SPEC,
        Predicate.and(
            Predicate.or(KINDS.stream().map(k -> Predicate.eq(KIND, k)).toList()), windows));
  }

  /**
   * The document a webhook receives for an evaluate run's quality alerts (the same envelope as
   * drift's: source, job, run_id, model_name, summary, alerts).
   */
  public static String document(String model, String runId, List<QualityRules.Breach> breaches) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("source", "lakeloop");
    doc.put("job", "evaluate");
    doc.put("run_id", runId);
    doc.put("model_name", model);
    Map<String, Integer> byRule = new LinkedHashMap<>();
    breaches.forEach(b -> byRule.merge(b.rule().name(), 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    byRule.forEach((rule, n) -> parts.add(rule + ": " + n + " window(s)"));
    doc.put(
        "summary",
        breaches.size()
            + " quality alert"
            + (breaches.size() == 1 ? "" : "s")
            + " for model "
            + model
            + ": "
            + String.join("; ", parts));
    ArrayNode list = doc.putArray("alerts");
    for (QualityRules.Breach b : breaches) {
      QualityRules.MetricRow r = b.row();
      ObjectNode a = list.addObject();
      a.put("kind", b.kind());
      a.put("model_name", model);
      a.put("model_version", r.version());
      a.put("granularity", r.granularity());
      a.put("window_start", r.windowStart().toString());
      a.put("window_end", r.windowEnd().toString());
      a.put("rule", b.rule().name());
      a.put("metric", r.metric());
      a.put("slice_key", r.sliceKey());
      a.put("slice_value", r.sliceValue());
      a.put("value", r.value());
      a.put("ci_low", r.ciLow());
      a.put("ci_high", r.ciHigh());
      a.put("reference", b.reference());
      a.put("bound", b.bound());
      a.put("n", r.n());
      a.put("provisional", b.provisional());
      a.put("reason", b.reason());
    }
    try {
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render quality alerts as JSON", e);
    }
  }
}
