package io.lakeloop.monitoring.ingest;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad row is quarantined with its reason; good rows land once. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestJobTest extends SparkTestBase {
  @TempDir static Path landing;
  static LakeloopConfig config;
  static Lakehouse lakehouse;
  static Path predictions;
  static Path labels;

  static String pred(String id, String time, String extra) {
    return "{\"request_id\": "
        + id
        + ", \"event_time\": "
        + time
        + ", \"model_name\": \"churn\", \"model_version\": \"1\","
        + " \"monthly_charges\": 52.5, \"data_usage_gb\": 3.1, \"tenure_months\": 12, \"support_calls\": 1,"
        + " \"plan\": \"basic\", \"device\": \"ios\", \"region\": \"eu\""
        + extra
        + "}";
  }

  static final String OK = ", \"prediction\": 1, \"scores\": [0.3, 0.7]";

  @BeforeAll
  static void files() throws Exception {
    String warehouse = newWarehouse("ingest");
    config = config(warehouse);
    lakehouse = new Lakehouse(spark(), warehouse);
    predictions = landing.resolve("preds.json");
    Files.write(
        predictions,
        List.of(
            pred("\"g1\"", "\"2026-01-02T10:00:00Z\"", OK),
            pred(
                "\"g2\"",
                "\"2026-01-02T11:00:00Z\"",
                ", \"prediction\": 0, \"scores\": [0.9, 0.1]"),
            pred("\"g3\"", "\"2026-01-03T11:00:00Z\"", OK),
            pred("\"g1\"", "\"2026-01-02T12:00:00Z\"", OK),
            "{this is not json",
            pred("\"typo\"", "\"2026-01-02T10:00:00Z\"", OK).replace("52.5", "\"abc\""),
            pred("\"noscores\"", "\"2026-01-02T10:00:00Z\"", ", \"prediction\": 1"),
            pred("\"short\"", "\"2026-01-02T10:00:00Z\"", ", \"prediction\": 0, \"scores\": [0.5]"),
            pred(
                "\"sum\"",
                "\"2026-01-02T10:00:00Z\"",
                ", \"prediction\": 1, \"scores\": [0.2, 0.9]"),
            pred(
                "\"nan\"",
                "\"2026-01-02T10:00:00Z\"",
                ", \"prediction\": 1, \"scores\": [NaN, 1.0]"),
            pred(
                "\"class\"",
                "\"2026-01-02T10:00:00Z\"",
                ", \"prediction\": 3, \"scores\": [0.3, 0.7]"),
            pred("null", "\"2026-01-02T10:00:00Z\"", OK),
            pred("\"other\"", "\"2026-01-02T10:00:00Z\"", OK).replace("\"churn\"", "\"fraud\""),
            pred("\"when\"", "\"yesterday\"", OK)));
    labels = landing.resolve("labels.csv");
    Files.write(
        labels,
        List.of(
            "request_id,label,label_time",
            "g1,1,2026-01-04T10:00:00Z",
            "g2,0,2026-01-04T10:00:00Z",
            "g2,1,2026-01-05T10:00:00Z",
            "zzz,1,2026-01-04T10:00:00Z",
            "g3,x,2026-01-04T10:00:00Z",
            "g3,5,2026-01-04T10:00:00Z"));
  }

  /** An ingest run of {@code path} into {@code table}; a null run id lets the job make one. */
  static JobResult ingest(String runId, String table, String format, String path) throws Exception {
    List<String> args = new ArrayList<>();
    if (runId != null) {
      args.addAll(List.of("--run-id", runId));
    }
    args.addAll(List.of("--table", table, "--format", format, "--path", path));
    return JobRunner.run(new IngestJob(), spark(), config, args.toArray(String[]::new));
  }

  static Map<String, String> reasons(String table) {
    return lakehouse
        .read(Tables.QUARANTINE)
        .data()
        .where(col("source_table").equalTo(table))
        .collectAsList()
        .stream()
        .collect(
            Collectors.toMap(
                r -> r.getAs("record"), r -> r.getAs("reason"), (a, b) -> a + " | " + b));
  }

  static String reasonFor(Map<String, String> reasons, String needle) {
    List<String> hits =
        reasons.entrySet().stream()
            .filter(e -> e.getKey().contains(needle))
            .map(Map.Entry::getValue)
            .toList();
    assertThat(hits).as("quarantined record containing " + needle).hasSize(1);
    return hits.get(0);
  }

  @Test
  @Order(1)
  void everyKindOfBadPredictionIsQuarantinedWithItsReason() throws Exception {
    ingest("p1", "prediction_log", "json", predictions.toString());
    List<Row> good =
        lakehouse.read(Tables.PREDICTION_LOG).data().orderBy("request_id").collectAsList();
    assertThat(good)
        .extracting(r -> r.<String>getAs("request_id"))
        .containsExactly("g1", "g2", "g3");
    assertThat(good.get(0).<Timestamp>getAs("event_time").toInstant().toString())
        .isEqualTo("2026-01-02T10:00:00Z");
    assertThat(good.get(0).<Date>getAs("event_date").toString()).isEqualTo("2026-01-02");
    Map<String, String> r = reasons("prediction_log");
    assertThat(r).hasSize(11);
    // only that it is malformed: its columns are null because it did not parse
    assertThat(reasonFor(r, "this is not json"))
        .isEqualTo("malformed line (not parseable as the source format)");
    assertThat(reasonFor(r, "abc")).contains("monthly_charges: 'abc' is not a number");
    assertThat(reasonFor(r, "noscores")).contains("scores is missing");
    assertThat(reasonFor(r, "\"short\"")).contains("scores have 1 values, expected 2");
    assertThat(reasonFor(r, "\"sum\"")).contains("scores sum to 1.1000, not 1");
    assertThat(reasonFor(r, "\"nan\"")).contains("null, NaN or outside [0, 1]");
    assertThat(reasonFor(r, "\"class\"")).contains("prediction 3.0 is not a class index in [0, 2)");
    assertThat(reasonFor(r, "fraud")).contains("model_name 'fraud' is not churn");
    assertThat(reasonFor(r, "yesterday")).contains("event_time: 'yesterday' is not a timestamp");
    assertThat(reasonFor(r, "2026-01-02T12:00:00Z")).contains("request_id appears more than once");
    assertThat(r.values()).anyMatch(v -> v.contains("request_id is missing"));
  }

  @Test
  @Order(2)
  void rerunningTheSameRunAddsNothing() throws Exception {
    long log = lakehouse.latestVersion(Tables.PREDICTION_LOG).orElseThrow();
    long q = lakehouse.latestVersion(Tables.QUARANTINE).orElseThrow();
    var result = ingest("p1", "prediction_log", "json", predictions.toString());
    assertThat(result.output())
        .contains("already succeeded")
        .contains("json of " + predictions + " was loaded into prediction_log")
        .contains("loaded again with a new --run-id");
    assertThat(lakehouse.latestVersion(Tables.PREDICTION_LOG)).contains(log);
    assertThat(lakehouse.latestVersion(Tables.QUARANTINE)).contains(q);
    // A new run with the same rows: nothing lands twice; the re-sent rows are quarantined.
    ingest("p2", "prediction_log", "json", predictions.toString());
    assertThat(lakehouse.read(Tables.PREDICTION_LOG).data().count()).isEqualTo(3);
    assertThat(
            lakehouse
                .read(Tables.QUARANTINE)
                .data()
                .where("run_id = 'p2' and reason = 'request_id is already in prediction_log'")
                .count())
        .isEqualTo(3);
  }

  @Test
  @Order(3)
  void badLabelsAreQuarantinedAndGoodOnesLandOnce() throws Exception {
    ingest("l1", "labels", "csv", labels.toString());
    List<Row> good =
        lakehouse.read(Tables.LABELS_TABLE).data().orderBy("request_id").collectAsList();
    assertThat(good)
        .extracting(r -> r.<String>getAs("request_id") + "=" + r.<Double>getAs("label"))
        .containsExactly("g1=1.0", "g2=0.0");
    Map<String, String> r = reasons("labels");
    assertThat(reasonFor(r, "zzz")).contains("no prediction with this request_id");
    assertThat(reasonFor(r, "\"x\"")).contains("label: 'x' is not a number");
    assertThat(reasonFor(r, "\"5\"")).contains("label 5.0 is not a class index");
    assertThat(reasonFor(r, "2026-01-05")).contains("labeled more than once");
    ingest("l2", "labels", "csv", labels.toString());
    assertThat(lakehouse.read(Tables.LABELS_TABLE).data().count()).isEqualTo(2);
    assertThat(
            lakehouse
                .read(Tables.QUARANTINE)
                .data()
                .where(
                    "run_id = 'l2' and reason = 'request_id already has this label at this"
                        + " label_time (an identical repeat)'")
                .count())
        .isEqualTo(2);
  }

  @Test
  @Order(4)
  void aSourceMissingAColumnFailsNamingIt() throws Exception {
    Path noTime = landing.resolve("no_time.csv");
    Files.write(noTime, List.of("request_id,label", "g3,1"));
    assertThatThrownBy(() -> ingest(null, "labels", "csv", noTime.toString()))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("lacks column(s) [label_time]");
    // a source that fails once read is a failed run in the ledger
    assertThat(lakehouse.read(Tables.JOB_RUNS).data().where("status = 'FAILED'").count())
        .isGreaterThanOrEqualTo(1);
    long recorded = lakehouse.read(Tables.JOB_RUNS).data().count();
    // an unknown format, an unknown table and a path where nothing exists fail before anything is
    // recorded or read (Job.check): the ledger gains no row
    assertThatThrownBy(() -> ingest(null, "labels", "xml", noTime.toString()))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("--format 'xml' is not supported");
    assertThatThrownBy(() -> ingest(null, "scores", "csv", noTime.toString()))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("--table 'scores' cannot be ingested");
    assertThatThrownBy(() -> ingest(null, "labels", "csv", landing.resolve("absent").toString()))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("cannot read csv source")
        .hasMessageContaining("nothing exists there");
    assertThat(lakehouse.read(Tables.JOB_RUNS).data().count()).isEqualTo(recorded);
  }

  @Test
  @Order(5)
  void aSourceWithAnExtraColumnIsReadByNameAndSaysWhatItLeftOut() throws Exception {
    // the extra column sits between the expected ones and the order is not the table's: values
    // must land under their own names, and the run must say which column it did not ingest
    Path extra = landing.resolve("extra.csv");
    Files.write(
        extra,
        List.of("label_time,note,request_id,label", "2026-01-06T10:00:00Z,called twice,g3,1"));
    var result = ingest("l-extra", "labels", "csv", extra.toString());
    Row g3 = lakehouse.read(Tables.LABELS_TABLE).data().where("request_id = 'g3'").first();
    assertThat(g3.<Double>getAs("label")).isEqualTo(1.0);
    assertThat(g3.<Timestamp>getAs("label_time").toInstant())
        .isEqualTo(Instant.parse("2026-01-06T10:00:00Z"));
    assertThat(result.summary())
        .containsEntry("ignored_columns", "note")
        .containsEntry("written", "1");
    assertThat(result.output()).contains("column(s) [note] is not in labels's schema");
  }

  @Test
  @Order(6)
  void aJsonSourcesExtraKeysAreNamedToo() throws Exception {
    // JSON is read with the table's fields only: the extra keys are found in its first lines
    Path extra = landing.resolve("extra.json");
    Files.write(
        extra,
        List.of(
            "{\"request_id\": \"g4\", \"label\": 0, \"label_time\": \"2026-01-06T11:00:00Z\","
                + " \"note\": \"x\"}",
            "{\"request_id\": \"g5\", \"label\": 1, \"label_time\": \"2026-01-06T12:00:00Z\","
                + " \"agent\": {\"id\": 7}}"));
    var result = ingest("l-extra-json", "labels", "json", extra.toString());
    // every prediction is labeled by now, so both rows are quarantined for that and for nothing
    // else: the extra keys (one nested) neither break the line nor shift a value
    assertThat(result.summary())
        .containsEntry("ignored_columns", "agent,note")
        .containsEntry("written", "0")
        .containsEntry("quarantined", "2");
    assertThat(result.output())
        .contains(
            "key(s), seen in its first 10,000 lines, [agent, note] are not in labels's schema");
    Map<String, String> r = reasons("labels");
    assertThat(reasonFor(r, "\"g4\""))
        .isEqualTo(
            "no prediction with this request_id in prediction_log (ingest predictions first)");
    assertThat(reasonFor(r, "\"g5\",\"label\":\"1\""))
        .startsWith("no prediction with this request_id");
  }
}
