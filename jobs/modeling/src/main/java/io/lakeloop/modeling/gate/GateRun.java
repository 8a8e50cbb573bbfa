package io.lakeloop.modeling.gate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Granularity;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.score.ModelScorer;
import io.lakeloop.monitoring.evaluate.EvalSettings;
import io.lakeloop.monitoring.evaluate.Evaluator;
import io.lakeloop.monitoring.evaluate.Measures;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The gate's evaluation: every model (candidates, the comparison student, the champion) scores the
 * same held-out rows, distributed ({@link ModelScorer}), and the evaluation engine computes every
 * metric of every model in one aggregation over their union (all rows in one window, the all-rows
 * slice read back). With no registered champion, the predictions logged for those rows by the model
 * that served them stand in for it — that is the model the candidates would replace.
 */
public final class GateRun {
  /** Key of the registered champion among the evaluated models. */
  public static final String CHAMPION = "champion";

  /** Key of the logged predictions when no champion is registered. */
  public static final String DEPLOYED = "deployed";

  private final Map<String, Map<String, Double>> metrics;
  private final Map<String, Long> parameters;
  private final String championKey;
  private final String championLabel;

  private GateRun(
      Map<String, Map<String, Double>> metrics,
      Map<String, Long> parameters,
      String championKey,
      String championLabel) {
    this.metrics = metrics;
    this.parameters = parameters;
    this.championKey = championKey;
    this.championLabel = championLabel;
  }

  /**
   * Scores and evaluates {@code models} (by name; {@link #CHAMPION} for a registered champion) on
   * {@code holdout} (labeled rows with the logged prediction and scores), with the evaluation
   * settings {@code eval} (their confidence, slice and bin settings; one window, no bootstrap).
   */
  public static GateRun evaluate(
      ModelSpec model,
      EvalSettings eval,
      String runId,
      Dataset<Row> holdout,
      Map<String, ModelArtifact> models,
      boolean championRegistered) {
    return evaluate(model, eval, Measures.NONE, runId, holdout, models, championRegistered);
  }

  /**
   * As above, with the model's custom metrics (by name) and fairness disparities: each grouping's
   * group farthest from parity, named {@code fairness:<grouping>:<disparity>} (e.g. {@code
   * fairness:region:demographic_parity_difference}), so that gate checks can name them.
   */
  public static GateRun evaluate(
      ModelSpec model,
      EvalSettings eval,
      Measures measures,
      String runId,
      Dataset<Row> holdout,
      Map<String, ModelArtifact> models,
      boolean championRegistered) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(holdout.sparkSession().sparkContext());
    List<String> columns = new ArrayList<>(List.of(holdout.columns()));
    Column[] ordered = columns.stream().map(c -> col(c)).toArray(Column[]::new);
    Dataset<Row> features = holdout.drop(PREDICTION, SCORES);
    Dataset<Row> all = null;
    Map<String, Long> parameters = new LinkedHashMap<>();
    for (Map.Entry<String, ModelArtifact> m : models.entrySet()) {
      Dataset<Row> scored =
          ModelScorer.score(sc, m.getValue(), model, features)
              .withColumn(MODEL_VERSION, lit(m.getKey()))
              .select(ordered);
      all = all == null ? scored : all.union(scored);
      parameters.put(m.getKey(), m.getValue().network().numParams());
    }
    String championKey;
    String championLabel;
    if (championRegistered) {
      championKey = CHAMPION;
      championLabel = "champion";
    } else {
      List<String> versions = new ArrayList<>();
      holdout
          .select(MODEL_VERSION)
          .distinct()
          .orderBy(MODEL_VERSION)
          .collectAsList()
          .forEach(r -> versions.add(r.getString(0)));
      championKey = DEPLOYED;
      championLabel = "deployed v" + String.join(",", versions) + " (logged)";
      all = all.union(holdout.withColumn(MODEL_VERSION, lit(DEPLOYED)).select(ordered));
    }
    // One window must hold every row: the engine windows by event_time, so every row is stamped
    // with the same instant (these metrics are read back here, never written to eval_metrics).
    Dataset<Row> stamped =
        all.withColumn(
            EVENT_TIME,
            lit(Timestamp.from(LocalDate.EPOCH.atStartOfDay().toInstant(ZoneOffset.UTC))));
    EvalSettings e = eval;
    EvalSettings gateSettings =
        new EvalSettings(
            List.of(Granularity.parse("1 day", "gate")),
            0, // point values decide; no bootstrap
            e.confidence(),
            e.topKSliceValues(),
            e.aucBins(),
            e.bootstrapAucBins(),
            e.scoreSumTolerance(),
            e.stateMemoryBytes());
    Map<String, Map<String, Double>> metrics = new LinkedHashMap<>();
    for (String m : models.keySet()) {
      metrics.put(m, new LinkedHashMap<>());
    }
    metrics.put(championKey, metrics.getOrDefault(championKey, new LinkedHashMap<>()));
    new Evaluator(model, gateSettings, measures)
        .evaluate(stamped, Optional.empty(), runId)
        .where(
            col(SLICE_KEY)
                .equalTo(Evaluator.ALL)
                .or(
                    col(SLICE_KEY)
                        .startsWith(Measures.FAIRNESS_PREFIX)
                        .and(col(SLICE_VALUE).equalTo(Evaluator.ALL))))
        .select(
            col(MODEL_VERSION),
            when(col(SLICE_KEY).equalTo(Evaluator.ALL), col(METRIC))
                .otherwise(concat_ws(":", col(SLICE_KEY), col(METRIC))),
            col(VALUE))
        .collectAsList()
        .forEach(
            r -> {
              if (!r.isNullAt(2)) {
                metrics
                    .computeIfAbsent(r.getString(0), k -> new LinkedHashMap<>())
                    .put(r.getString(1), r.getDouble(2));
              }
            });
    return new GateRun(metrics, parameters, championKey, championLabel);
  }

  /** Every evaluated model's held-out metrics, by model key. */
  public Map<String, Map<String, Double>> metrics() {
    return metrics;
  }

  /** The key of what the candidates are compared with: {@link #CHAMPION} or {@link #DEPLOYED}. */
  public String championKey() {
    return championKey;
  }

  /** What the candidates were compared with, in words. */
  public String championLabel() {
    return championLabel;
  }

  public Optional<Long> parameters(String key) {
    return Optional.ofNullable(parameters.get(key));
  }

  /**
   * Appends one gate_decisions row per check of each candidate. Written once per run and set of
   * registered versions (Delta's idempotent append), so a rerun of the same decision adds nothing.
   */
  public long record(
      String model,
      Gate.Decision decision,
      Map<String, ModelRegistry.Entry> registered,
      LocalDate date,
      RunTables tables) {
    return record("train", model, championLabel, decision, registered, date, tables);
  }

  /**
   * Appends one gate_decisions row per check of each candidate of a {@code job}'s decision, the
   * candidates compared with {@code reference}; idempotent per run and registered versions.
   */
  public static long record(
      String job,
      String model,
      String reference,
      Gate.Decision decision,
      Map<String, ModelRegistry.Entry> registered,
      LocalDate date,
      RunTables tables) {
    String runId = tables.runId();
    tables.lakehouse().ensure(Tables.GATE_DECISIONS_SPEC);
    List<Row> rows = new ArrayList<>();
    String winner = decision.winner().map(Gate.Candidate::name).orElse(null);
    long txn = 0;
    for (Gate.Verdict v : decision.verdicts()) {
      ModelRegistry.Entry e = registered.get(v.candidate().name());
      txn = Math.max(txn, e == null ? 0 : e.version());
      List<Gate.Check> checks = v.checks().isEmpty() ? Collections.singletonList(null) : v.checks();
      for (Gate.Check c : checks) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(MODEL_NAME, model);
        r.put(RUN_ID, runId);
        r.put(LOGICAL_DATE, Date.valueOf(date));
        r.put(CANDIDATE, v.candidate().name());
        r.put(CANDIDATE_VERSION, e == null ? null : e.version());
        r.put(PARAMETERS, v.candidate().parameters());
        r.put(CHAMPION, reference);
        r.put(BLESSED, v.blessed());
        r.put(WINNER, v.candidate().name().equals(winner));
        if (c != null) {
          r.put(CHECK_KIND, c.kind());
          r.put(METRIC, c.metric());
          r.put(VALUE, c.value());
          r.put(REFERENCE, c.reference());
          r.put(BOUND, c.limit());
          r.put(PASSED, c.passed());
          r.put(MARGIN, c.margin());
          r.put(REASON, c.reason());
        }
        rows.add(Tables.GATE_DECISIONS_SPEC.row(r));
      }
    }
    return tables.appendOnce(
        tables.spark().createDataFrame(rows, Tables.GATE_DECISIONS_SPEC.schema()),
        Tables.GATE_DECISIONS_SPEC,
        "lakeloop/" + job + "/" + runId + "/" + Tables.GATE_DECISIONS,
        Math.max(1, txn));
  }
}
