package io.lakeloop.modeling.tune;

import static io.lakeloop.common.schema.Columns.*;

import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.window.Predicate;
import io.lakeloop.modeling.model.Hyper;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * Writes a search's rows to {@code tuning_trials} ({@link
 * io.lakeloop.modeling.train.TunedConfiguration} reads its winners).
 */
public final class TuningTrials {
  private TuningTrials() {}

  /** What a search ran on: the method, the seed and the sample's sizes. */
  public record Run(
      String model,
      LocalDate date,
      String method,
      long seed,
      long trainRows,
      long validationRows) {}

  /**
   * Writes every trial of a search as one commit that replaces the rows of the same run id (a rerun
   * leaves the table as its first run did, bar the seconds and the time written). Returns the
   * version written.
   */
  public static long write(RunTables tables, Run run, Search.Outcome outcome, Instant now) {
    tables.lakehouse().ensure(Tables.TUNING_TRIALS_SPEC);
    List<Row> rows = new ArrayList<>();
    for (Search.Entry e : outcome.entries()) {
      Trials.Result r = e.result();
      Hyper h = r.trial().hyper();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put(MODEL_NAME, run.model());
      m.put(RUN_ID, tables.runId());
      m.put(LOGICAL_DATE, Date.valueOf(run.date()));
      m.put(METHOD, run.method());
      m.put(TRIAL, r.trial().id());
      m.put(RUNG, r.trial().rung());
      m.put(EPOCHS, r.trial().epochs());
      m.put(LEARNING_RATE, h.learningRate());
      m.put(HIDDEN, h.hidden().toArray(Integer[]::new));
      m.put(L2, h.l2());
      m.put(DROPOUT, h.dropout());
      m.put(BATCH_SIZE, h.batchSize());
      m.put(SEED, run.seed());
      m.put(STATUS, r.ok() ? "ok" : "failed");
      if (r.ok()) {
        m.put(VALIDATION_ACCURACY, r.score().accuracy());
        m.put(VALIDATION_LOSS, r.score().logLoss());
        m.put(BEST_EPOCH, r.score().bestEpoch());
      }
      m.put(SECONDS, r.seconds());
      m.put(ERROR, r.error());
      m.put(PROMOTED, e.promoted());
      m.put(WINNER, e.winner());
      m.put(TRAIN_ROWS, run.trainRows());
      m.put(VALIDATION_ROWS, run.validationRows());
      m.put(CREATED_AT, Timestamp.from(now));
      rows.add(Tables.TUNING_TRIALS_SPEC.row(m));
    }
    return tables.replaceWhere(
        tables.spark().createDataFrame(rows, Tables.TUNING_TRIALS_SPEC.schema()),
        Tables.TUNING_TRIALS_SPEC,
        Predicate.eq(RUN_ID, tables.runId()));
  }
}
