package io.lakeloop.monitoring.drift;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The drift job end to end on generated churn traffic (6,000 rows over 14 days from 2026-01-01; the
 * generator shifts the first numeric feature by one standard deviation from day 10): the baseline
 * (the first week) is built once, days and weeks are profiled in one pass, a week's profile is the
 * merge of its days, the injected drift is found and nothing else, and a rerun changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DriftJobTest extends SparkTestBase {
  /** All rows only (drift-slices off, whatever the config says): slices are tested in Order 6. */
  private static final String ALL_ROWS = "lakeloop.models.churn.drift-slices=[]";

  private String warehouse;
  private LakeloopConfig config;
  private Lakehouse lh;

  @BeforeAll
  void generate() throws Exception {
    warehouse = newWarehouse("drift");
    config = config(warehouse, ALL_ROWS);
    lh = new Lakehouse(spark(), warehouse);
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "6000", "--run-id", "g1");
  }

  private Dataset<Row> drift() {
    return lh.read(Tables.DRIFT_METRICS).data();
  }

  private Dataset<Row> profiles() {
    return lh.read(Tables.PROFILES).data();
  }

  /** Profiles with their category map as sorted entries (set operations refuse maps). */
  private Dataset<Row> comparableProfiles() {
    return profiles()
        .withColumn(Columns.CATEGORY_COUNTS, array_sort(map_entries(col(Columns.CATEGORY_COUNTS))));
  }

  private static long difference(Dataset<Row> a, Dataset<Row> b) {
    return a.exceptAll(b).count() + b.exceptAll(a).count();
  }

  private Row stat(String granularity, String day, String comparison, String column, String s) {
    List<Row> rows =
        drift()
            .where(
                col(Columns.GRANULARITY)
                    .equalTo(granularity)
                    .and(
                        col(Columns.WINDOW_START).equalTo(lit(day + " 00:00:00").cast("timestamp")))
                    .and(col(Columns.COMPARISON).equalTo(comparison))
                    .and(col(Columns.COLUMN).equalTo(column))
                    .and(col(Columns.STATISTIC).equalTo(s)))
            .collectAsList();
    assertThat(rows).as("%s %s %s %s %s", granularity, day, comparison, column, s).hasSize(1);
    return rows.get(0);
  }

  /** The rows of prediction_log of days [from, to] whose features are all finite. */
  private double[][] features(List<String> features, String from, String to) {
    Column complete = lit(true);
    for (String f : features) {
      complete = complete.and(col(f).isNotNull()).and(not(isnan(col(f))));
    }
    return lh
        .read(Tables.PREDICTION_LOG)
        .data()
        .where(col(Columns.EVENT_DATE).between(from, to).and(complete))
        .select(features.stream().map(f -> col(f).cast("double")).toArray(Column[]::new))
        .collectAsList()
        .stream()
        .map(r -> features.stream().mapToDouble(f -> r.getDouble(r.fieldIndex(f))).toArray())
        .toArray(double[][]::new);
  }

  @Test
  @Order(1)
  void findsTheInjectedDriftMergesDaysIntoWeeksAndRerunsChangeNothing() throws Exception {
    JobResult first =
        JobRunner.run(
            new DriftJob(),
            spark(),
            config,
            "--date",
            "2026-01-14",
            "--since",
            "2026-01-08",
            "--run-id",
            "d1");
    assertThat(first.output()).contains("monthly_charges").contains("psi");

    // the baseline: the first week of prediction_log, its rows counted exactly
    long baselineRows =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(col(Columns.EVENT_DATE).between("2026-01-01", "2026-01-07"))
            .count();
    Row base =
        profiles()
            .where(
                col(Columns.PROFILE_KIND)
                    .equalTo("BASELINE")
                    .and(col(Columns.COLUMN).equalTo("monthly_charges")))
            .head();
    assertThat(base.getLong(base.fieldIndex(Columns.COUNT))).isEqualTo(baselineRows);
    assertThat(base.getString(base.fieldIndex(Columns.SOURCE_TABLE)))
        .isEqualTo(Tables.PREDICTION_LOG);
    assertThat(base.getList(base.fieldIndex(Columns.BIN_EDGES)).size()).isBetween(500, 999);
    assertThat(base.getList(base.fieldIndex(Columns.PSI_EDGES))).hasSize(9);

    // a day's profile counts what a direct query counts, bin by bin
    Row day9 =
        profiles()
            .where(
                col(Columns.PROFILE_KIND)
                    .equalTo("WINDOW")
                    .and(col(Columns.GRANULARITY).equalTo("1 day"))
                    .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-09").cast("date")))
                    .and(col(Columns.COLUMN).equalTo("monthly_charges")))
            .head();
    List<Double> edges = day9.getList(day9.fieldIndex(Columns.BIN_EDGES));
    double mid = edges.get(edges.size() / 2);
    long below =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(
                col(Columns.EVENT_DATE).equalTo("2026-01-09").and(col("monthly_charges").lt(mid)))
            .count();
    List<Long> counts = day9.getList(day9.fieldIndex(Columns.BIN_COUNTS));
    assertThat(counts.subList(0, edges.size() / 2 + 1).stream().mapToLong(Long::longValue).sum())
        .isEqualTo(below);

    // a week is the merge of its days: counts add up bin by bin
    Dataset<Row> window = profiles().where(col(Columns.PROFILE_KIND).equalTo("WINDOW"));
    Row week =
        window
            .where(
                col(Columns.GRANULARITY)
                    .equalTo("1 week")
                    .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-05").cast("date")))
                    .and(col(Columns.COLUMN).equalTo("monthly_charges")))
            .head();
    Row days =
        window
            .where(
                col(Columns.GRANULARITY)
                    .equalTo("1 day")
                    .and(col(Columns.WINDOW_DATE).between("2026-01-08", "2026-01-11"))
                    .and(col(Columns.COLUMN).equalTo("monthly_charges")))
            .agg(sum(Columns.COUNT), sum(Columns.NULL_COUNT))
            .head();
    // the week of Monday 2026-01-05 holds days 5-11; 5-7 were not profiled by this run, so
    // it is the merge of the stored days 8-11 (nothing stored before) — no rescan
    assertThat(week.getLong(week.fieldIndex(Columns.COUNT))).isEqualTo(days.getLong(0));

    // multivariate drift of that week: its error (from the stored days' summed moments) is the
    // one a row-by-row PCA of the baseline's rows gives for the week's rows
    Row moments =
        profiles()
            .where(
                col(Columns.PROFILE_KIND)
                    .equalTo("BASELINE")
                    .and(col(Columns.COLUMN).equalTo(MultivariateDrift.COLUMN)))
            .head();
    List<String> features = ProfileRows.multivariateColumnsOf(moments);
    assertThat(features).contains("monthly_charges", "tenure_months");
    double expected =
        PcaReference.error(
            features(features, "2026-01-01", "2026-01-07"),
            features(features, "2026-01-08", "2026-01-11"),
            0.65);
    assertThat(
            stat(
                    "1 week",
                    "2026-01-05",
                    "BASELINE",
                    MultivariateDrift.COLUMN,
                    "reconstruction_error")
                .getDouble(drift().schema().fieldIndex(Columns.VALUE)))
        .isCloseTo(expected, within(1e-9 * expected));

    // the injected covariate drift (monthly_charges from day 10) is found, and not before
    assertThat(
            stat("1 day", "2026-01-12", "BASELINE", "monthly_charges", "psi")
                .getBoolean(drift().schema().fieldIndex(Columns.DRIFTED)))
        .isTrue();
    assertThat(
            stat("1 day", "2026-01-08", "BASELINE", "monthly_charges", "psi")
                .getBoolean(drift().schema().fieldIndex(Columns.DRIFTED)))
        .isFalse();
    // a column the generator leaves alone does not drift
    assertThat(
            stat("1 day", "2026-01-12", "BASELINE", "tenure_months", "psi")
                .getBoolean(drift().schema().fieldIndex(Columns.DRIFTED)))
        .isFalse();
    // consecutive comparisons exist where the previous window was profiled
    stat("1 day", "2026-01-10", "CONSECUTIVE", "monthly_charges", "ks");
    stat("1 week", "2026-01-12", "CONSECUTIVE", "monthly_charges", "wasserstein");
    stat("1 day", "2026-01-12", "BASELINE", "*", DriftRows.DRIFTED_SHARE);
    // no NaN anywhere
    assertThat(drift().where(isnan(col(Columns.VALUE))).count()).isZero();
    // labels not arrived yet are not drift: the label column compares known labels only
    assertThat(
            drift()
                .where(
                    col(Columns.COLUMN)
                        .equalTo("label")
                        .and(col(Columns.STATISTIC).equalTo("null_rate_change")))
                .count())
        .isZero();
    stat("1 day", "2026-01-14", "BASELINE", "label", "chi_square");

    // rerunning the same run changes nothing
    Dataset<Row> driftBefore = drift().cache();
    Dataset<Row> profilesBefore = comparableProfiles().cache();
    driftBefore.count();
    profilesBefore.count();
    JobRunner.run(
        new DriftJob(),
        spark(),
        config,
        "--date",
        "2026-01-14",
        "--since",
        "2026-01-08",
        "--run-id",
        "d1");
    assertThat(difference(drift(), driftBefore)).isZero();
    assertThat(difference(comparableProfiles(), profilesBefore)).isZero();

    // a day without traffic: no profile, no rows, no error
    JobResult empty =
        JobRunner.run(new DriftJob(), spark(), config, "--date", "2026-01-20", "--run-id", "d20");
    assertThat(empty.summary()).containsEntry("empty_days", "1");
  }

  @Test
  @Order(2)
  void aTableBaselineAMissingColumnAndNonFiniteValuesHaveDefinedResults() throws Exception {
    // the "training data": the first week with one more feature the live log does not have
    lh.read(Tables.PREDICTION_LOG)
        .data()
        .where(col(Columns.EVENT_DATE).between("2026-01-01", "2026-01-07"))
        .withColumn("extra_feature", col("monthly_charges").multiply(2))
        .write()
        .format("delta")
        .save(lh.path("training"));
    // three rows of 2026-01-13 with a NaN, +Infinity and -Infinity monthly_charges
    lh.read(Tables.PREDICTION_LOG)
        .data()
        .where(col(Columns.EVENT_DATE).equalTo("2026-01-13"))
        .orderBy(Columns.REQUEST_ID)
        .limit(3)
        .withColumn("_i", monotonically_increasing_id())
        .withColumn(Columns.REQUEST_ID, concat(col(Columns.REQUEST_ID), lit("-odd")))
        .withColumn(
            "monthly_charges",
            when(col("_i").equalTo(0), lit(Double.NaN))
                .when(col("_i").equalTo(1), lit(Double.POSITIVE_INFINITY))
                .otherwise(lit(Double.NEGATIVE_INFINITY)))
        .drop("_i")
        .write()
        .format("delta")
        .mode("append")
        .save(lh.path(Tables.PREDICTION_LOG));
    LakeloopConfig table =
        config(
            warehouse,
            ALL_ROWS,
            "lakeloop.models.churn.numeric-features=[monthly_charges, data_usage_gb,"
                + " tenure_months, support_calls, extra_feature]",
            "lakeloop.models.churn.baseline.source=table",
            "lakeloop.models.churn.baseline.table=training",
            "lakeloop.models.churn.baseline.version=0");
    JobRunner.run(
        new DriftJob(), spark(), table, "--date", "2026-01-13", "--baseline", "--run-id", "dt");
    Row base =
        profiles()
            .where(
                col(Columns.PROFILE_KIND)
                    .equalTo("BASELINE")
                    .and(col(Columns.COLUMN).equalTo("extra_feature")))
            .head();
    assertThat(base.getString(base.fieldIndex(Columns.SOURCE_TABLE))).isEqualTo("training");
    assertThat(base.getLong(base.fieldIndex(Columns.SOURCE_VERSION))).isZero();
    // the live log lacks extra_feature: one column_missing row, counted as drifted
    Row missing = stat("1 day", "2026-01-13", "BASELINE", "extra_feature", "column_missing");
    assertThat(missing.getBoolean(missing.fieldIndex(Columns.DRIFTED))).isTrue();
    // NaN is null, the infinities are counted apart and kept out of KS/Wasserstein
    Row day =
        profiles()
            .where(
                col(Columns.PROFILE_KIND)
                    .equalTo("WINDOW")
                    .and(col(Columns.GRANULARITY).equalTo("1 day"))
                    .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-13").cast("date")))
                    .and(col(Columns.COLUMN).equalTo("monthly_charges")))
            .head();
    assertThat(day.getLong(day.fieldIndex(Columns.NAN_COUNT))).isEqualTo(1);
    assertThat(day.getLong(day.fieldIndex(Columns.POS_INF_COUNT))).isEqualTo(1);
    assertThat(day.getLong(day.fieldIndex(Columns.NEG_INF_COUNT))).isEqualTo(1);
    assertThat(Double.isFinite(day.getDouble(day.fieldIndex(Columns.SUM)))).isTrue();
    Row ks = stat("1 day", "2026-01-13", "BASELINE", "monthly_charges", "ks");
    assertThat(ks.getDouble(ks.fieldIndex(Columns.VALUE))).isBetween(0.0, 1.0);
  }

  /** Starts an HTTP server on loopback that answers 503 once, then 200, recording each body. */
  private static HttpServer hookServer(List<String> bodies) throws IOException {
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/alerts",
        exchange -> {
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          int status = calls.getAndIncrement() == 0 ? 503 : 200;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    return server;
  }

  private int launch(List<String> extraSets, String... args) {
    List<String> sets = new java.util.ArrayList<>(extraSets);
    sets.add(ALL_ROWS);
    JobRunner.Launched l = JobRunner.launch(new DriftJob(), spark(), warehouse, sets, args);
    assertThat(l.code()).as(l.err()).isIn(0, JobLauncher.ALERT_RAISED);
    return l.code();
  }

  private Dataset<Row> alerts() {
    return lh.read(Tables.ALERTS).data();
  }

  @Test
  @Order(3)
  void driftRaisesAnAlertRowAWebhookPostAndADistinctExitCode() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer server = hookServer(bodies);
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/alerts";
    try {
      int code =
          launch(
              List.of("lakeloop.drift.alerts.webhook-url=\"" + url + "\""),
              "--date",
              "2026-01-12",
              "--baseline",
              "--fail-on-drift",
              "--run-id",
              "a12");
      assertThat(code).isEqualTo(JobLauncher.ALERT_RAISED);
    } finally {
      server.stop(0);
    }
    // the day's alert against the baseline names the shifted feature and its deciding PSI
    Row psi = stat("1 day", "2026-01-12", "BASELINE", "monthly_charges", "psi");
    Row share = stat("1 day", "2026-01-12", "BASELINE", "*", DriftRows.DRIFTED_SHARE);
    List<Row> day =
        alerts()
            .where(
                col(Columns.GRANULARITY)
                    .equalTo("1 day")
                    .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-12").cast("date"))))
            .collectAsList();
    assertThat(day).hasSize(1);
    Row alert = day.get(0);
    assertThat(alert.getString(alert.fieldIndex(Columns.COMPARISON))).isEqualTo("BASELINE");
    assertThat(alert.getString(alert.fieldIndex(Columns.RUN_ID))).isEqualTo("a12");
    List<String> columns = alert.getList(alert.fieldIndex(Columns.DRIFTED_COLUMNS));
    assertThat(columns).contains("monthly_charges").doesNotContain("tenure_months");
    long driftedByMetrics =
        drift()
            .where(
                col(Columns.RUN_ID)
                    .equalTo("a12")
                    .and(col(Columns.GRANULARITY).equalTo("1 day"))
                    .and(col(Columns.COMPARISON).equalTo("BASELINE"))
                    .and(col(Columns.DRIFTED))
                    .and(
                        col(Columns.STATISTIC)
                            .isin("psi", DriftRows.COLUMN_MISSING, MultivariateDrift.STATISTIC)
                            .and(col(Columns.COLUMN).notEqual("*"))))
            .count();
    assertThat(columns).hasSize((int) driftedByMetrics);
    assertThat(alert.getDouble(alert.fieldIndex(Columns.DRIFTED_COLUMN_SHARE)))
        .isEqualTo(share.getDouble(share.fieldIndex(Columns.VALUE)));
    Row stat =
        alert.<Row>getList(alert.fieldIndex(Columns.STATISTICS)).stream()
            .filter(r -> r.getString(0).equals("monthly_charges"))
            .findFirst()
            .get();
    assertThat(stat.getString(2)).isEqualTo("psi");
    assertThat(stat.getDouble(3)).isEqualTo(psi.getDouble(psi.fieldIndex(Columns.VALUE)));

    // the webhook got the same alerts as JSON, after one retry of a 503
    assertThat(bodies).hasSize(2);
    assertThat(bodies.get(1)).isEqualTo(bodies.get(0));
    JsonNode doc = new ObjectMapper().readTree(bodies.get(1));
    assertThat(doc.get("run_id").asText()).isEqualTo("a12");
    assertThat(doc.get("alerts").size())
        .isEqualTo((int) alerts().where(col(Columns.RUN_ID).equalTo("a12")).count());
    JsonNode sent = null;
    for (JsonNode a : doc.get("alerts")) {
      if (a.get("granularity").asText().equals("1 day")) {
        sent = a;
      }
    }
    assertThat(sent.get("window_start").asText()).isEqualTo("2026-01-12T00:00:00Z");
    assertThat(sent.get("drifted_columns").findValuesAsText("column"))
        .containsExactlyElementsOf(columns);

    // rerunning the run (no webhook now) leaves the alerts table as it was
    Dataset<Row> before = alerts().cache();
    before.count();
    JobRunner.run(new DriftJob(), spark(), config, "--date", "2026-01-12", "--run-id", "a12");
    assertThat(difference(alerts(), before)).isZero();

    // alerting on the dataset level only: the share stays under its threshold, so the same run
    // raises nothing, removes its earlier alerts, and --fail-on-drift exits 0
    assertThat(share.getDouble(share.fieldIndex(Columns.VALUE))).isLessThan(0.5);
    assertThat(
            launch(
                List.of("lakeloop.drift.alerts.on=dataset"),
                "--date",
                "2026-01-12",
                "--fail-on-drift",
                "--run-id",
                "a12"))
        .isZero();
    assertThat(alerts().where(col(Columns.RUN_ID).equalTo("a12")).count()).isZero();
  }

  @Test
  @Order(4)
  void constraintsAreSuggestedFromTheBaselineAndCheckedOnEveryWindow() throws Exception {
    java.nio.file.Path file = java.nio.file.Path.of(warehouse, "constraints", "churn.conf");
    try {
      JobResult suggested = JobRunner.run(new ConstraintsJob(), spark(), config, "suggest");
      assertThat(suggested.output()).contains("revision 1 suggested from baseline");
      assertThat(JobRunner.run(new ConstraintsJob(), spark(), config, "suggest").output())
          .contains("unchanged, revision 1");
      // an edit: monthly_charges may not pass 50, which the day's traffic does
      String text = java.nio.file.Files.readString(file);
      String edited =
          text.replaceAll("(name = \"monthly_charges.max\".*bound = )[0-9.E]+", "$150.0");
      assertThat(edited).isNotEqualTo(text);
      java.nio.file.Files.writeString(file, edited);
      String[] day = {"--date", "2026-01-14", "--run-id", "dq1"};
      JobResult run = JobRunner.run(new DriftJob(), spark(), config, day);
      assertThat(run.output())
          .contains("FAILED 1 day from 2026-01-14")
          .contains("monthly_charges.max");

      // one row per constraint and window of the day (its day and its week), all but the edited
      // one passing; the failed one observed what a direct query finds. Not request_id.unique on
      // the week: its earlier days were profiled (by the first test) before a unique constraint
      // asked for repeated request ids, and the output says so
      assertThat(run.output())
          .contains("not checked (1): request_id.unique on 1 week from 2026-01-12 (version");
      int constraints = ConstraintFile.parse(edited, "f").constraints().size();
      Dataset<Row> checks =
          lh.read(Tables.CONSTRAINT_CHECKS).data().where(col(Columns.RUN_ID).equalTo("dq1"));
      assertThat(checks.count()).isEqualTo(2L * constraints - 1);
      Row failed =
          checks
              .where(
                  col(Columns.PASSED).equalTo(false).and(col(Columns.GRANULARITY).equalTo("1 day")))
              .collectAsList()
              .get(0);
      double directMax =
          lh.read(Tables.PREDICTION_LOG)
              .data()
              .where(col(Columns.EVENT_DATE).equalTo(lit("2026-01-14").cast("date")))
              .agg(max(col("monthly_charges")))
              .head()
              .getDouble(0);
      assertThat(failed.getString(failed.fieldIndex(Columns.CONSTRAINT_NAME)))
          .isEqualTo("monthly_charges.max");
      assertThat(failed.getDouble(failed.fieldIndex(Columns.OBSERVED))).isEqualTo(directMax);
      assertThat(checks.where(col(Columns.PASSED).equalTo(false)).count()).isEqualTo(2);
      Dataset<Row> alerts =
          lh.read(Tables.ALERTS)
              .data()
              .where(
                  col(Columns.KIND)
                      .equalTo(Tables.DATA_QUALITY_ALERT)
                      .and(col(Columns.RUN_ID).equalTo("dq1")));
      assertThat(alerts.count()).isEqualTo(2);
      assertThat(alerts.head().getString(alerts.head().fieldIndex(Columns.RULE)))
          .isEqualTo("monthly_charges.max");

      // a rerun changes nothing
      Dataset<Row> before = lh.read(Tables.CONSTRAINT_CHECKS).data().localCheckpoint();
      JobRunner.run(new DriftJob(), spark(), config, day);
      assertThat(difference(before, lh.read(Tables.CONSTRAINT_CHECKS).data())).isZero();

      // the edited file is never overwritten silently; --replace keeps it as revision 1
      assertThatThrownBy(() -> JobRunner.run(new ConstraintsJob(), spark(), config, "suggest"))
          .hasMessageContaining("--replace to write revision 2");
      assertThat(
              JobRunner.run(new ConstraintsJob(), spark(), config, "suggest", "--replace").output())
          .contains("revision 2");
      assertThat(java.nio.file.Files.readString(file.resolveSibling("churn.conf.r1")))
          .isEqualTo(edited);

      // a constraint on a column drift does not profile is refused before anything is read
      java.nio.file.Files.writeString(
          file,
          edited.replace(
              "column = \"plan\", kind = allowed_values",
              "column = \"plans\", kind = allowed_values"));
      assertThatThrownBy(() -> JobRunner.run(new DriftJob(), spark(), config, day))
          .hasMessageContaining("constraint plan.allowed_values names column 'plans'");
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  /** {@code rows} of one day moved to another (event_time at noon). */
  private static Dataset<Row> movedTo(Dataset<Row> rows, String day) {
    return rows.withColumn(Columns.EVENT_TIME, to_timestamp(lit(day + " 12:00:00")))
        .withColumn(Columns.EVENT_DATE, lit(day).cast("date"));
  }

  @Test
  @Order(5)
  void invalidScoreVectorsAndRepeatedRequestIdsAreCountedPerWindowAsADirectQueryCounts()
      throws Exception {
    // a copy of the traffic with injected rows: request ids repeated on their own day, 3 days
    // later (within a week only), 4 days later across weeks (in no window), a day later within
    // the last week; a second version scoring some requests again (a shadow: not a repeat); and
    // five score vectors each invalid another way
    String wh = newWarehouse("drift-rows");
    LakeloopConfig cfg = config(wh, ALL_ROWS);
    Lakehouse copy = new Lakehouse(spark(), wh);
    Dataset<Row> log = lh.read(Tables.PREDICTION_LOG).data();
    java.util.function.Function<String, Dataset<Row>> on =
        d ->
            log.where(col(Columns.EVENT_DATE).equalTo(lit(d).cast("date")))
                .orderBy(col(Columns.REQUEST_ID));
    List<Column> invalidScores =
        List.of(
            lit(null).cast("array<double>"),
            array(lit(1.0)),
            array(lit(1.2), lit(-0.2)),
            array(lit(Double.NaN), lit(1.0)),
            array(lit(0.3), lit(0.3)));
    Dataset<Row> injected =
        on.apply("2026-01-06")
            .limit(3)
            .unionByName(movedTo(on.apply("2026-01-05").limit(2), "2026-01-08"))
            .unionByName(movedTo(on.apply("2026-01-09").limit(2), "2026-01-13"))
            .unionByName(movedTo(on.apply("2026-01-12").limit(1), "2026-01-13"))
            .unionByName(
                on.apply("2026-01-07").limit(2).withColumn(Columns.MODEL_VERSION, lit("9")));
    for (int k = 0; k < invalidScores.size(); k++) {
      injected =
          injected.unionByName(
              on.apply("2026-01-10")
                  .limit(1)
                  .withColumn(Columns.REQUEST_ID, lit("bad-" + k))
                  .withColumn(Columns.SCORES, invalidScores.get(k)));
    }
    io.lakeloop.common.table.TableSpec logSpec = Tables.predictionLog(cfg.model("churn"));
    copy.ensure(logSpec);
    copy.append(log.unionByName(injected), logSpec, "seed");
    copy.ensure(Tables.LABELS);
    copy.append(lh.read(Tables.LABELS_TABLE).data(), Tables.LABELS, "seed");
    java.nio.file.Path file = java.nio.file.Path.of(wh, "constraints", "churn.conf");
    java.nio.file.Files.createDirectories(file.getParent());
    java.nio.file.Files.writeString(
        file,
        new ConstraintFile(
                "churn",
                "any",
                1,
                List.of(
                    new Constraint(
                        "scores.valid_scores",
                        "scores",
                        Constraint.Kind.VALID_SCORES,
                        0,
                        List.of()),
                    new Constraint(
                        "request_id.unique", "request_id", Constraint.Kind.UNIQUE, 0, List.of())))
            .render());

    JobResult run =
        JobRunner.run(
            new DriftJob(),
            spark(),
            cfg,
            "--date",
            "2026-01-13",
            "--since",
            "2026-01-05",
            "--run-id",
            "rc1");
    assertThat(run.output()).contains("request_id.unique").contains("scores.valid_scores");
    // a daily run of the last day: its week merges the stored 2026-01-12 with the new day, and
    // the repeat of a 2026-01-12 request on 2026-01-13 is still found
    JobRunner.run(new DriftJob(), spark(), cfg, "--date", "2026-01-13", "--run-id", "rc2");

    // directly, per version and window: rows, rows minus distinct request ids, invalid vectors
    Column invalid =
        expr(
            "scores IS NULL OR size(scores) <> 2 OR exists(scores, x -> x IS NULL OR isnan(x)"
                + " OR x < 0 OR x > 1) OR abs(aggregate(scores, 0D, (a, x) -> a + x) - 1) >"
                + " 0.001");
    Dataset<Row> rows =
        copy.read(Tables.PREDICTION_LOG)
            .data()
            .where(col(Columns.EVENT_DATE).between("2026-01-05", "2026-01-13"))
            .withColumn("bad", when(invalid, 1).otherwise(0));
    java.util.Map<String, double[]> expected = new java.util.HashMap<>();
    for (String[] g :
        new String[][] {{"1 day", "event_date"}, {"1 week", "date_trunc('week', event_date)"}}) {
      for (Row r :
          rows.groupBy(col(Columns.MODEL_VERSION), expr("to_date(" + g[1] + ")").as("start"))
              .agg(
                  count(lit(1)).as("n"),
                  countDistinct(col(Columns.REQUEST_ID)).as("ids"),
                  sum(col("bad")).as("bad"))
              .collectAsList()) {
        long n = r.getLong(2);
        expected.put(
            r.get(0) + "|" + g[0] + "|" + r.getDate(1),
            new double[] {n, (double) (n - r.getLong(3)) / n, (double) r.getLong(4) / n});
      }
    }
    Dataset<Row> checks = copy.read(Tables.CONSTRAINT_CHECKS).data();
    int compared = 0;
    for (Row c : checks.collectAsList()) {
      String key =
          c.getString(c.fieldIndex(Columns.MODEL_VERSION))
              + "|"
              + c.getString(c.fieldIndex(Columns.GRANULARITY))
              + "|"
              + c.getDate(c.fieldIndex(Columns.WINDOW_DATE));
      double[] e = expected.get(key);
      assertThat(e).as(key).isNotNull();
      boolean unique =
          c.getString(c.fieldIndex(Columns.CONSTRAINT_NAME)).equals("request_id.unique");
      double observed = c.getDouble(c.fieldIndex(Columns.OBSERVED));
      assertThat(observed).as(key).isCloseTo(unique ? e[1] : e[2], within(1e-12));
      assertThat(c.getLong(c.fieldIndex(Columns.ROWS))).as(key).isEqualTo((long) e[0]);
      assertThat(c.getBoolean(c.fieldIndex(Columns.PASSED))).as(key).isEqualTo(observed == 0);
      compared++;
    }
    // rc1: 9 days and 2 weeks of version 1, a day and a week of the shadow; rc2 rewrote the last
    // day and week of version 1, so the table holds rc1's other windows and rc2's
    assertThat(compared).isEqualTo(2 * (9 + 2 + 2));
    java.util.function.BiFunction<String, String, Double> observed =
        (window, name) ->
            checks
                .where(
                    expr("concat(granularity, ' ', cast(window_date as string))")
                        .equalTo(window)
                        .and(col(Columns.CONSTRAINT_NAME).equalTo(name))
                        .and(col(Columns.MODEL_VERSION).equalTo("1")))
                .head()
                .getDouble(checks.schema().fieldIndex(Columns.OBSERVED));
    assertThat(observed.apply("1 day 2026-01-06", "request_id.unique")).isPositive();
    assertThat(observed.apply("1 day 2026-01-08", "request_id.unique")).isZero();
    assertThat(observed.apply("1 week 2026-01-05", "request_id.unique"))
        .isGreaterThan(observed.apply("1 day 2026-01-06", "request_id.unique") / 7);
    assertThat(observed.apply("1 week 2026-01-12", "request_id.unique")).isPositive();
    assertThat(observed.apply("1 day 2026-01-13", "request_id.unique")).isZero();
    assertThat(observed.apply("1 day 2026-01-10", "scores.valid_scores")).isPositive();
    assertThat(observed.apply("1 day 2026-01-09", "scores.valid_scores")).isZero();
  }

  @Test
  @Order(6)
  void aShiftConfinedToSlicesIsFlaggedThereWhileAllRowsAreUnchanged() throws Exception {
    // a copy of the traffic in which, on 2026-01-09, the rows of regions eu and apac trade
    // places: the longer-tenured half of them is logged as eu, the rest as apac. Every column of
    // all rows is as before; within eu and apac tenure_months moved far.
    String wh = newWarehouse("drift-slices");
    LakeloopConfig cfg = config(wh, "lakeloop.models.churn.drift-slices=[region]");
    Lakehouse copy = new Lakehouse(spark(), wh);
    Dataset<Row> log = lh.read(Tables.PREDICTION_LOG).data();
    Column moved =
        col(Columns.EVENT_DATE)
            .equalTo(lit("2026-01-09").cast("date"))
            .and(col("region").isin("eu", "apac"));
    Dataset<Row> traded =
        log.where(moved)
            .withColumn(
                "region",
                when(
                        ntile(2)
                            .over(
                                org.apache.spark.sql.expressions.Window.orderBy(
                                    col("tenure_months").asc_nulls_first(),
                                    col(Columns.REQUEST_ID)))
                            .equalTo(2),
                        lit("eu"))
                    .otherwise(lit("apac")));
    io.lakeloop.common.table.TableSpec logSpec = Tables.predictionLog(cfg.model("churn"));
    copy.ensure(logSpec);
    copy.append(log.where(not(moved)).unionByName(traded), logSpec, "seed");
    copy.ensure(Tables.LABELS);
    copy.append(lh.read(Tables.LABELS_TABLE).data(), Tables.LABELS, "seed");

    JobResult run =
        JobRunner.run(
            new DriftJob(),
            spark(),
            cfg,
            "--date",
            "2026-01-09",
            "--since",
            "2026-01-08",
            "--run-id",
            "s1");
    assertThat(run.output()).contains("drift per slice (region)").contains("region=eu");
    Dataset<Row> metrics = copy.read(Tables.DRIFT_METRICS).data();
    Dataset<Row> profiled = copy.read(Tables.PROFILES).data();
    Dataset<Row> logged = copy.read(Tables.PREDICTION_LOG).data();
    java.util.function.BiFunction<String, String, Row> tenure =
        (slice, statistic) -> {
          List<Row> rows =
              metrics
                  .where(
                      col(Columns.GRANULARITY)
                          .equalTo("1 day")
                          .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-09").cast("date")))
                          .and(col(Columns.COMPARISON).equalTo("BASELINE"))
                          .and(col(Columns.COLUMN).equalTo("tenure_months"))
                          .and(col(Columns.STATISTIC).equalTo(statistic))
                          .and(
                              concat_ws("=", col(Columns.SLICE_KEY), col(Columns.SLICE_VALUE))
                                  .equalTo(slice)))
                  .collectAsList();
          assertThat(rows).as(slice + " " + statistic).hasSize(1);
          return rows.get(0);
        };
    int drifted = metrics.schema().fieldIndex(Columns.DRIFTED);
    int value = metrics.schema().fieldIndex(Columns.VALUE);
    // flagged in the two regions, in no other, and not in all rows
    assertThat(tenure.apply("region=eu", "psi").getBoolean(drifted)).isTrue();
    assertThat(tenure.apply("region=apac", "psi").getBoolean(drifted)).isTrue();
    for (String other : List.of("na", "latam", "mea")) {
      assertThat(tenure.apply("region=" + other, "psi").getBoolean(drifted)).as(other).isFalse();
    }
    // all rows hold the same tenure values as the unmodified traffic: diluted to nothing
    assertThat(tenure.apply("*=*", "psi").getBoolean(drifted)).isFalse();
    // the slices' profiles count what a direct query counts, baseline and day
    for (String region : List.of("eu", "apac", "na")) {
      for (String[] side :
          new String[][] {
            {"BASELINE", "2026-01-01", "2026-01-07"}, {"WINDOW", "2026-01-09", "2026-01-09"}
          }) {
        Row p =
            profiled
                .where(
                    col(Columns.PROFILE_KIND)
                        .equalTo(side[0])
                        .and(
                            side[0].equals("BASELINE")
                                ? lit(true)
                                : col(Columns.GRANULARITY)
                                    .equalTo("1 day")
                                    .and(
                                        col(Columns.WINDOW_DATE)
                                            .equalTo(lit(side[1]).cast("date"))))
                        .and(col(Columns.SLICE_KEY).equalTo("region"))
                        .and(col(Columns.SLICE_VALUE).equalTo(region))
                        .and(col(Columns.COLUMN).equalTo("tenure_months")))
                .head();
        long direct =
            logged
                .where(
                    col(Columns.EVENT_DATE)
                        .between(side[1], side[2])
                        .and(col("region").equalTo(region)))
                .count();
        assertThat(p.getLong(p.fieldIndex(Columns.COUNT))).as(region + side[0]).isEqualTo(direct);
      }
    }
    // a slice's KS equals Commons Math's on the raw values of its rows, within the written bound
    java.util.function.BiFunction<String, String, double[]> values =
        (from, to) ->
            logged
                .where(
                    col(Columns.EVENT_DATE)
                        .between(from, to)
                        .and(col("region").equalTo("eu"))
                        .and(col("tenure_months").isNotNull())
                        .and(not(isnan(col("tenure_months")))))
                .select(col("tenure_months").cast("double"))
                .collectAsList()
                .stream()
                .mapToDouble(r -> r.getDouble(0))
                .toArray();
    double exact =
        new org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest()
            .kolmogorovSmirnovStatistic(
                values.apply("2026-01-01", "2026-01-07"), values.apply("2026-01-09", "2026-01-09"));
    Row ks = tenure.apply("region=eu", "ks");
    assertThat(ks.getDouble(value))
        .isCloseTo(
            exact, within(ks.getDouble(metrics.schema().fieldIndex(Columns.ERROR_BOUND)) + 1e-12));
    // all rows' profile is the merge of the region slices' (not binned apart): it counts and sums
    // what a direct query does
    Row allDay =
        profiled
            .where(
                col(Columns.PROFILE_KIND)
                    .equalTo("WINDOW")
                    .and(col(Columns.GRANULARITY).equalTo("1 day"))
                    .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-09").cast("date")))
                    .and(col(Columns.SLICE_KEY).equalTo("*"))
                    .and(col(Columns.COLUMN).equalTo("tenure_months")))
            .head();
    List<Double> edges = allDay.getList(allDay.fieldIndex(Columns.BIN_EDGES));
    double mid = edges.get(edges.size() / 2);
    Row direct =
        logged
            .where(col(Columns.EVENT_DATE).equalTo("2026-01-09"))
            .agg(
                count(lit(1)),
                sum(when(col("tenure_months").lt(mid), 1).otherwise(0)),
                sum(when(col("tenure_months").between(-1e300, 1e300), col("tenure_months"))))
            .head();
    List<Long> bins = allDay.getList(allDay.fieldIndex(Columns.BIN_COUNTS));
    assertThat(allDay.getLong(allDay.fieldIndex(Columns.COUNT))).isEqualTo(direct.getLong(0));
    assertThat(bins.subList(0, edges.size() / 2 + 1).stream().mapToLong(Long::longValue).sum())
        .isEqualTo(direct.getLong(1));
    assertThat(allDay.getDouble(allDay.fieldIndex(Columns.SUM)))
        .isCloseTo(direct.getDouble(2), within(1e-9 * Math.abs(direct.getDouble(2))));
    // the slices' drift raised alerts of their own
    assertThat(
            copy.read(Tables.ALERTS)
                .data()
                .where(
                    col(Columns.SLICE_KEY)
                        .equalTo("region")
                        .and(col(Columns.SLICE_VALUE).equalTo("eu"))
                        .and(col(Columns.WINDOW_DATE).equalTo(lit("2026-01-09").cast("date"))))
                .count())
        .isPositive();
    // the week merges the stored slice days like all rows: eu's week is days 8 and 9
    Dataset<Row> eu =
        profiled.where(
            col(Columns.PROFILE_KIND)
                .equalTo("WINDOW")
                .and(col(Columns.SLICE_VALUE).equalTo("eu"))
                .and(col(Columns.COLUMN).equalTo("tenure_months")));
    long week =
        eu.where(col(Columns.GRANULARITY).equalTo("1 week"))
            .head()
            .getLong(eu.schema().fieldIndex(Columns.COUNT));
    long days =
        eu.where(col(Columns.GRANULARITY).equalTo("1 day"))
            .agg(sum(Columns.COUNT))
            .head()
            .getLong(0);
    assertThat(week).isEqualTo(days);
  }
}
