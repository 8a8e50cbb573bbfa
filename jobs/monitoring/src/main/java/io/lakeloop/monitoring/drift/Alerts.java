package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.table.Tables;
import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Alerts of a drift run: which comparisons raise one ({@code lakeloop.drift.alerts}), their rows in
 * the {@code alerts} table, and the JSON document a webhook receives. Pure; runs on the driver.
 */
final class Alerts {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Alerts() {}

  /** One comparison that found drift, of all the rows of a version's window or of one slice. */
  record Alert(
      String model,
      String version,
      Slice slice,
      DriftJob.Window window,
      String comparison,
      DriftRows.Result result,
      String runId) {

    Row row() {
      Map<String, Object> v = new HashMap<>();
      v.put(MODEL_NAME, model);
      v.put(MODEL_VERSION, version);
      slice.into(v);
      v.put(GRANULARITY, window.granularity().label());
      v.put(WINDOW_START, Timestamp.from(window.start()));
      v.put(WINDOW_END, Timestamp.from(window.end()));
      v.put(COMPARISON, comparison);
      v.put(
          DRIFTED_COLUMNS,
          ProfileRows.seq(result.drifted().stream().map(DriftRows.Verdict::column).toList()));
      v.put(
          STATISTICS,
          ProfileRows.seq(
              result.drifted().stream()
                  .map(
                      d ->
                          RowFactory.create(
                              d.column(),
                              d.kind(),
                              d.statistic(),
                              d.value(),
                              d.pValue(),
                              d.threshold()))
                  .toList()));
      v.put(DRIFTED_COLUMN_SHARE, result.driftedShare());
      v.put(DATASET_DRIFTED, result.datasetDrifted());
      v.put(RUN_ID, runId);
      v.put(WINDOW_DATE, Date.valueOf(window.startDate()));
      v.put(KIND, Tables.DRIFT_ALERT);
      return Tables.ALERTS_SPEC.row(v);
    }

    ObjectNode json() {
      ObjectNode a = JSON.createObjectNode();
      a.put("kind", Tables.DRIFT_ALERT);
      a.put("model_name", model);
      a.put("model_version", version);
      a.put("slice_key", slice.key());
      a.put("slice_value", slice.value());
      a.put("granularity", window.granularity().label());
      a.put("window_start", window.start().toString());
      a.put("window_end", window.end().toString());
      a.put("comparison", comparison);
      a.put("drifted_column_share", result.driftedShare());
      a.put("dataset_drifted", result.datasetDrifted());
      ArrayNode columns = a.putArray("drifted_columns");
      for (DriftRows.Verdict d : result.drifted()) {
        ObjectNode c = columns.addObject();
        c.put("column", d.column());
        c.put("column_kind", d.kind());
        c.put("statistic", d.statistic());
        c.put("value", d.value());
        c.put("p_value", d.pValue());
        c.put("threshold", d.threshold());
      }
      return a;
    }
  }

  /** The alert a comparison raises under the settings, if any. */
  static Optional<Alert> of(
      DriftSettings.AlertSettings settings,
      String model,
      Segment segment,
      DriftJob.Window window,
      String comparison,
      DriftRows.Result result,
      String runId) {
    boolean raised =
        settings.comparisons().contains(comparison)
            && (settings.datasetOnly() ? result.datasetDrifted() : !result.drifted().isEmpty());
    return raised
        ? Optional.of(
            new Alert(model, segment.version(), segment.slice(), window, comparison, result, runId))
        : Optional.empty();
  }

  /**
   * The document a webhook receives: the run, its model, and every alert. A receiver deduplicates
   * on {@code run_id} (a rerun of a run sends the same alerts again).
   */
  static String document(String model, String runId, List<Alert> alerts) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("source", "lakeloop");
    doc.put("job", "drift");
    doc.put("run_id", runId);
    doc.put("model_name", model);
    doc.put(
        "summary",
        alerts.size()
            + " drift alert"
            + (alerts.size() == 1 ? "" : "s")
            + " for model "
            + model
            + ": "
            + String.join(
                "; ",
                alerts.stream()
                    .map(
                        a ->
                            a.window().granularity().label()
                                + " from "
                                + a.window().startDate()
                                + (a.slice().all() ? "" : ", " + a.slice())
                                + " ("
                                + a.comparison()
                                + "): "
                                + String.join(
                                    ", ",
                                    a.result().drifted().stream()
                                        .map(DriftRows.Verdict::column)
                                        .toList()))
                    .toList()));
    ArrayNode list = doc.putArray("alerts");
    for (Alert a : alerts) {
      list.add(a.json());
    }
    try {
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render alerts as JSON", e);
    }
  }

  /** Rows for the alerts table. */
  static List<Row> rows(List<Alert> alerts) {
    List<Row> out = new ArrayList<>();
    for (Alert a : alerts) {
      out.add(a.row());
    }
    return out;
  }
}
