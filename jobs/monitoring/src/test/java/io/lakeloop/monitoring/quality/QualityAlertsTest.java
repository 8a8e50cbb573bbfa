package io.lakeloop.monitoring.quality;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import io.lakeloop.monitoring.evaluate.EvaluateJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Quality rules end to end: generated churn traffic (4,000 rows over 14 days from 2026-01-01; the
 * true relation changes from day 12, 2026-01-13, while the deployed model keeps scoring the old
 * way) evaluated on a lakehouse whose alerts table was written by the previous version (a drift run
 * of 2026-01-12, before alerts had a kind; src/test/resources/legacy-lakehouse).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QualityAlertsTest extends SparkTestBase {
  private static final String RULES =
      "lakeloop.models.churn.quality.rules=[{ metric = accuracy, max-drop = 0.03, granularities"
          + " = [\"1 day\"] }, { metric = accuracy, min = 0.3 }]";
  private String warehouse;
  private Lakehouse lh;
  private String output;

  @BeforeAll
  void generate() throws Exception {
    warehouse = newWarehouse("quality");
    copy(Paths.get(getClass().getResource("/legacy-lakehouse/alerts").toURI()), warehouse);
    LakeloopConfig config = config(warehouse);
    lh = new Lakehouse(spark(), warehouse);
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "4000", "--run-id", "g1");
  }

  private static void copy(Path from, String warehouse) throws IOException {
    Path to = Paths.get(URI.create(new Lakehouse(spark(), warehouse).path(Tables.ALERTS)));
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }

  private int evaluate(String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(List.of("--date", "2026-01-14", "--since", "2026-01-01"));
    JobRunner.Launched l =
        JobRunner.launch(
            new EvaluateJob(),
            spark(),
            warehouse,
            List.of("lakeloop.evaluate.bootstrap-replicates=40", RULES),
            argv.toArray(new String[0]));
    output = l.out();
    assertThat(l.code()).as(l.err()).isIn(0, JobLauncher.ALERT_RAISED);
    return l.code();
  }

  private Dataset<Row> alerts(String kind) {
    return lh.read(Tables.ALERTS).data().where(col(Columns.KIND).equalTo(kind));
  }

  /** Accuracy of the deployed model over [from, until) with the labels known, computed directly. */
  private double accuracyDirectly(String from, String until) {
    Dataset<Row> p =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(col(Columns.EVENT_DATE).geq(from).and(col(Columns.EVENT_DATE).lt(until)));
    // each request's latest label by label_time among those known by the run's date
    Dataset<Row> labels =
        lh.read(Tables.LABELS_TABLE)
            .data()
            .where(col(Columns.LABEL_DATE).leq("2026-01-14"))
            .groupBy(Columns.REQUEST_ID)
            .agg(
                max_by(col(Columns.LABEL), struct(col(Columns.LABEL_TIME), col(Columns.LABEL)))
                    .as(Columns.LABEL));
    Row r =
        p.join(labels, Columns.REQUEST_ID)
            .agg(avg(when(col(Columns.PREDICTION).equalTo(col(Columns.LABEL)), 1.0).otherwise(0.0)))
            .head();
    return r.getDouble(0);
  }

  @Test
  void theConceptDriftBreaksTheDropRuleTheLegacyTableIsMigratedAndRerunsChangeNothing() {
    assertThat(evaluate("--run-id", "q1", "--fail-on-alert"))
        .as(output)
        .isEqualTo(JobLauncher.ALERT_RAISED);
    String firstOutput = output;

    // The previous version's two drift alerts are kept, now of kind drift.
    assertThat(lh.read(Tables.ALERTS).data().where(col(Columns.KIND).isNull()).count()).isZero();
    List<Row> drift = alerts(Tables.DRIFT_ALERT).orderBy(Columns.GRANULARITY).collectAsList();
    assertThat(drift).hasSize(2);
    assertThat(drift.get(0).<String>getList(drift.get(0).fieldIndex(Columns.DRIFTED_COLUMNS)))
        .containsExactly("monthly_charges", "score", "plan");

    // Every quality alert: the drop rule on the daily all-rows window of the concept drift's first
    // day,
    // its whole interval below the reference (the first week's accuracy) minus 0.03.
    double reference = accuracyDirectly("2026-01-01", "2026-01-08");
    List<Row> quality = alerts(QualityCheck.QUALITY).orderBy(Columns.WINDOW_START).collectAsList();
    assertThat(quality).isNotEmpty();
    List<String> days = new ArrayList<>();
    for (Row a : quality) {
      assertThat(a.<String>getAs(Columns.RULE)).isEqualTo("accuracy drop <= 0.03");
      assertThat(a.<String>getAs(Columns.GRANULARITY)).isEqualTo("1 day");
      assertThat(a.<String>getAs(Columns.SLICE_KEY)).isEqualTo("*");
      assertThat(a.<Double>getAs(Columns.REFERENCE)).isCloseTo(reference, within(1e-12));
      assertThat(a.<Double>getAs(Columns.BOUND)).isCloseTo(reference - 0.03, within(1e-12));
      assertThat(a.<Double>getAs(Columns.CI_HIGH)).isLessThan(a.<Double>getAs(Columns.BOUND));
      days.add(a.getDate(a.fieldIndex(Columns.WINDOW_DATE)).toString());
    }
    assertThat(days).containsExactly("2026-01-13");
    // The day's accuracy in the alert is the accuracy of that day's labeled rows.
    Row first = quality.get(0);
    String day = first.getDate(first.fieldIndex(Columns.WINDOW_DATE)).toString();
    assertThat(first.<Double>getAs(Columns.VALUE))
        .isCloseTo(
            accuracyDirectly(day, java.time.LocalDate.parse(day).plusDays(1).toString()),
            within(1e-12));

    // Anomalies (the defaults: daily headline metrics against their last 28 days, every slice):
    // on the concept drift's first day ROC-AUC drops and log-loss rises out of their bands on all
    // rows (accuracy's drop, 0.715 on 172 labeled rows, stays within 4 of its own bootstrap sd),
    // and no drift-free day has any (days 01-08..01-10 have the 7 days of history needed).
    List<Row> anomalies = alerts(QualityCheck.ANOMALY).collectAsList();
    assertThat(
            anomalies.stream()
                .filter(
                    a ->
                        a.<String>getAs(Columns.SLICE_KEY).equals("*")
                            && a.getDate(a.fieldIndex(Columns.WINDOW_DATE))
                                .toString()
                                .equals("2026-01-13"))
                .map(a -> a.<String>getAs(Columns.METRIC)))
        .containsExactlyInAnyOrder("roc_auc", "log_loss");
    assertThat(anomalies)
        .allSatisfy(
            a ->
                assertThat(a.getDate(a.fieldIndex(Columns.WINDOW_DATE)).toString())
                    .isGreaterThanOrEqualTo("2026-01-11"));
    assertThat(firstOutput).contains("ANOMALY 1 day 2026-01-13 v1 slice *=*: 'roc_auc: median");

    // A rerun (a new run id, no --fail-on-alert) writes the same alerts.
    List<Row> before = withoutRunId();
    assertThat(evaluate("--run-id", "q2")).isZero();
    assertThat(withoutRunId()).containsExactlyElementsOf(before);
  }

  private List<Row> withoutRunId() {
    return lh.read(Tables.ALERTS)
        .data()
        .drop(Columns.RUN_ID)
        .withColumn(Columns.STATISTICS, to_json(col(Columns.STATISTICS)))
        .orderBy(Columns.KIND, Columns.GRANULARITY, Columns.WINDOW_START, Columns.RULE)
        .collectAsList();
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }
}
