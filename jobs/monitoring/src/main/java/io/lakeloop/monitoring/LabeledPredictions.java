package io.lakeloop.monitoring;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One model's predictions of a date range joined with the labels known at the pinned snapshot (the
 * latest label per request; unlabeled predictions keep a null label). Both snapshots' versions are
 * recorded as the run's inputs. Lazy: no Spark job until the result is used, then a scan of each
 * table (partition-pruned to the dates) and a shuffle join.
 */
public final class LabeledPredictions {
  private LabeledPredictions() {}

  /** Predictions with {@code event_date} in [first, last], labels with label_date in the same. */
  public static Dataset<Row> read(
      RunTables tables, ModelSpec model, LocalDate first, LocalDate last) {
    return withLabels(tables, predictions(tables, model, first, last), first, last);
  }

  /** The model's predictions with {@code event_date} in [first, last], without labels. */
  public static Dataset<Row> predictions(
      RunTables tables, ModelSpec model, LocalDate first, LocalDate last) {
    Lakehouse.Snapshot predictions = tables.read(Tables.PREDICTION_LOG);
    return predictions
        .data()
        .where(
            col(MODEL_NAME)
                .equalTo(model.name())
                .and(col(EVENT_DATE).between(first.toString(), last.toString())));
  }

  /**
   * {@code logs} (predictions of [first, last], any projection with {@code request_id}) left-joined
   * with the latest label known per request among labels with label_date in [first, last]. Project
   * {@code logs} to the columns needed first: the join shuffles every column it carries.
   */
  public static Dataset<Row> withLabels(
      RunTables tables, Dataset<Row> logs, LocalDate first, LocalDate last) {
    return join(logs, labels(tables, first, last));
  }

  /**
   * {@code logs} left-joined with the latest label of each request among every label the pinned
   * snapshot holds with label_date from {@code first} on — all that is known, however late it
   * arrived (training uses it; the snapshot's version, recorded as an input, makes it rebuildable).
   */
  public static Dataset<Row> withKnownLabels(RunTables tables, Dataset<Row> logs, LocalDate first) {
    return join(logs, labelSnapshot(tables).where(col(LABEL_DATE).geq(first.toString())));
  }

  /**
   * {@code logs} left-joined with the latest of {@code labels} (rows of the labels table's schema)
   * per request: the pairing every job uses, public so the evaluate benchmark times this very join.
   */
  public static Dataset<Row> join(Dataset<Row> logs, Dataset<Row> labels) {
    Dataset<Row> known =
        labels
            .groupBy(REQUEST_ID)
            // a request labeled twice counts once, with its latest label; two labels at the same
            // time resolve to the greater one, so every job (and every rerun) picks the same
            .agg(max_by(col(LABEL), struct(col(LABEL_TIME), col(LABEL))).as(LABEL));
    return logs.join(known, logs.col(REQUEST_ID).equalTo(known.col(REQUEST_ID)), "left")
        .drop(known.col(REQUEST_ID));
  }

  /**
   * Every label row that can belong to predictions of [first, last] — label_date in the same range
   * (labels arrive after their predictions) — at the pinned snapshot, recorded as an input; empty
   * when the labels table does not exist yet. A request may have several.
   */
  public static Dataset<Row> labels(RunTables tables, LocalDate first, LocalDate last) {
    return labelSnapshot(tables).where(col(LABEL_DATE).between(first.toString(), last.toString()));
  }

  /** The labels table at its latest version, recorded as an input (empty if it does not exist). */
  private static Dataset<Row> labelSnapshot(RunTables tables) {
    return tables
        .readIfExists(Tables.LABELS_TABLE)
        .map(Lakehouse.Snapshot::data)
        .orElseGet(() -> tables.spark().createDataFrame(List.of(), Tables.LABELS.schema()));
  }
}
