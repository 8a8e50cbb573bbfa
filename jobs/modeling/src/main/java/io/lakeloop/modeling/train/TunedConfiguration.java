package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.modeling.model.Hyper;
import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;

/**
 * The configuration a {@code tune} run found, as {@code train} reads it from {@code tuning_trials}
 * ({@code lakeloop.train.from-tuning = latest}). One small Spark job.
 */
public final class TunedConfiguration {
  private TunedConfiguration() {}

  /** A search's winning configuration, the run and date that found it and its figures. */
  public record Winner(
      String runId, LocalDate date, Hyper hyper, int epochs, double accuracy, double logLoss) {}

  /**
   * The winner of the model's latest search dated on or before {@code date} (the latest logical
   * date; of two runs on one date the one written last), or empty when there is none. The table's
   * version read is recorded as the run's input.
   */
  public static Optional<Winner> latest(RunTables tables, String model, LocalDate date) {
    return tables
        .readIfExists(Tables.TUNING_TRIALS)
        .flatMap(
            s ->
                s
                    .data()
                    .where(
                        col(MODEL_NAME)
                            .equalTo(lit(model))
                            .and(col(WINNER))
                            .and(col(LOGICAL_DATE).leq(lit(Date.valueOf(date)))))
                    .orderBy(col(LOGICAL_DATE).desc(), col(CREATED_AT).desc(), col(RUN_ID).desc())
                    .limit(1)
                    .collectAsList()
                    .stream()
                    .findFirst())
        .map(TunedConfiguration::winner);
  }

  private static Winner winner(Row r) {
    List<Integer> hidden = r.getList(r.fieldIndex(HIDDEN));
    return new Winner(
        r.getAs(RUN_ID),
        r.<Date>getAs(LOGICAL_DATE).toLocalDate(),
        new Hyper(
            r.getAs(LEARNING_RATE), hidden, r.getAs(L2), r.getAs(DROPOUT), r.getAs(BATCH_SIZE)),
        r.getAs(EPOCHS),
        r.getAs(VALIDATION_ACCURACY),
        r.getAs(VALIDATION_LOSS));
  }
}
