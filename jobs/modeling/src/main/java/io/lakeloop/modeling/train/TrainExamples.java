package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.LabeledPredictions;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The labeled examples of one training run, split. New data: the model's predictions with
 * event_date in the window (--date and the days before it), each with the latest label known;
 * replay: a sample of the predictions of the replay days before the window. Of the new data a share
 * is held out for the gate (never trained on, never used for early stopping); of the rest a share
 * validates. Every choice is a hash of request_id, so a rerun on the same snapshots makes the same
 * split. The scan and the label join run once: the examples are persisted until {@link #close}.
 */
public final class TrainExamples implements AutoCloseable {
  static final String SPLIT = "_split";
  public static final String TRAIN = "train";
  public static final String VALIDATION = "validation";
  public static final String HOLDOUT = "holdout";

  private final Dataset<Row> examples;
  private final Map<String, Long> counts;
  private final List<ModelRegistry.Lineage> lineage;
  private final LocalDate first;
  private final LocalDate windowStart;
  private final LocalDate last;

  private TrainExamples(
      Dataset<Row> examples,
      Map<String, Long> counts,
      List<ModelRegistry.Lineage> lineage,
      LocalDate first,
      LocalDate windowStart,
      LocalDate last) {
    this.examples = examples;
    this.counts = counts;
    this.lineage = lineage;
    this.first = first;
    this.windowStart = windowStart;
    this.last = last;
  }

  /** A uniform number in [0, 1) from request_id and a salt (one per decision). */
  private static Column uniform(String salt, long seed) {
    return pmod(xxhash64(col(REQUEST_ID), lit(salt), lit(seed)), lit(1_000_000L))
        .divide(1_000_000.0);
  }

  /**
   * The last day of new data of a {@code job} that reads these examples (train, tune): its {@code
   * --date} ({@code date}); otherwise an error naming what is missing.
   */
  public static LocalDate lastDay(Optional<LocalDate> date, String job) {
    return date.orElseThrow(
        () ->
            new LakeloopException(
                job + " needs --date YYYY-MM-DD: the last day of new data to train on"));
  }

  /** Reads and splits the examples for the run dated {@code date}; one Spark job to count them. */
  public static TrainExamples read(
      RunTables tables, ModelSpec model, TrainSettings s, LocalDate date) {
    LocalDate first = date.minusDays(s.windowDays() - 1L);
    LocalDate replayFirst = first.minusDays(s.replayDays());
    List<Column> keep = new ArrayList<>();
    for (String c :
        List.of(
            REQUEST_ID, EVENT_TIME, EVENT_DATE, MODEL_NAME, MODEL_VERSION, PREDICTION, SCORES)) {
      keep.add(col(c));
    }
    model.numericFeatures().forEach(f -> keep.add(col(f)));
    model.stringColumns().forEach(f -> keep.add(col(f)));
    Dataset<Row> logs =
        LabeledPredictions.predictions(tables, model, replayFirst, date)
            .select(keep.toArray(Column[]::new));
    Dataset<Row> labeled =
        LabeledPredictions.withKnownLabels(tables, logs, replayFirst).where(col(LABEL).isNotNull());
    Column inWindow = col(EVENT_DATE).geq(lit(first.toString()));
    Column split =
        when(inWindow.and(uniform(HOLDOUT, s.seed()).lt(s.holdoutFraction())), lit(HOLDOUT))
            .when(
                inWindow.or(uniform("replay", s.seed()).lt(s.replayFraction())),
                when(uniform(VALIDATION, s.seed()).lt(s.validationFraction()), lit(VALIDATION))
                    .otherwise(lit(TRAIN)));
    Dataset<Row> examples =
        labeled
            .withColumn(SPLIT, split)
            .where(col(SPLIT).isNotNull())
            .persist(StorageLevel.MEMORY_AND_DISK());
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String k : List.of(TRAIN, VALIDATION, HOLDOUT)) {
      counts.put(k, 0L);
    }
    examples
        .groupBy(SPLIT)
        .count()
        .collectAsList()
        .forEach(r -> counts.put(r.getString(0), r.getLong(1)));
    List<ModelRegistry.Lineage> lineage = new ArrayList<>();
    tables
        .inputs()
        .forEach(
            (table, version) -> {
              if (table.equals(Tables.PREDICTION_LOG) || table.equals(Tables.LABELS_TABLE)) {
                lineage.add(new ModelRegistry.Lineage(table, version, version));
              }
            });
    TrainExamples out = new TrainExamples(examples, counts, lineage, replayFirst, first, date);
    if (counts.get(TRAIN) == 0 || counts.get(VALIDATION) == 0 || counts.get(HOLDOUT) == 0) {
      out.close();
      throw new LakeloopException(
          "train: too few labeled predictions of model "
              + model.name()
              + " with event_date in ["
              + first
              + ", "
              + date
              + "] (plus replay from "
              + replayFirst
              + "): "
              + counts
              + " rows for training, validation and the held-out gate; ingest labels for them,"
              + " widen lakeloop.train.window or pick another --date");
    }
    return out;
  }

  public Dataset<Row> train() {
    return part(TRAIN);
  }

  public Dataset<Row> validation() {
    return part(VALIDATION);
  }

  /** The held-out rows, with the logged prediction and scores of the model that served them. */
  public Dataset<Row> holdout() {
    return part(HOLDOUT);
  }

  private Dataset<Row> part(String name) {
    return examples.where(col(SPLIT).equalTo(name)).drop(SPLIT);
  }

  /** Rows per split: train, validation, holdout. */
  public Map<String, Long> counts() {
    return counts;
  }

  /** The Delta snapshots read (table, version read), to rebuild the set by time travel. */
  public List<ModelRegistry.Lineage> lineage() {
    return lineage;
  }

  /** The event dates read: the first replay day … --date. */
  public LocalDate firstDate() {
    return first;
  }

  /** The first day of new data (the window's). */
  public LocalDate windowStart() {
    return windowStart;
  }

  public LocalDate lastDate() {
    return last;
  }

  @Override
  public void close() {
    examples.unpersist(false);
  }
}
