package io.lakeloop.monitoring.generate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.testing.SparkTestBase;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generator's promises, measured on the data it produces (reference: Commons Math). */
class SyntheticTrafficTest extends SparkTestBase {
  static final long ROWS = 60_000;
  static LakeloopConfig config;
  static ModelSpec spec;
  static Dataset<Row> traffic;

  static GenerateSettings settings(String... args) {
    return GenerateSettings.from(
        config.section("generate"), CliArgs.parse("generate", args, GenerateJob.FLAGS, false));
  }

  @BeforeAll
  static void generate() {
    config = config(newWarehouse("traffic"));
    spec = config.model("churn");
    traffic =
        SyntheticTraffic.traffic(spark(), spec, settings("--rows", Long.toString(ROWS))).cache();
  }

  static long fingerprint(Dataset<Row> d) {
    Column[] cols = Arrays.stream(d.columns()).map(c -> col(c)).toArray(Column[]::new);
    return d.agg(sum(xxhash64(cols))).head().getLong(0);
  }

  @Test
  void sameSeedGivesSameDataWhateverThePartitioning() {
    GenerateSettings s = settings("--rows", "5000");
    GenerateSettings other =
        new GenerateSettings(
            5000,
            s.days(),
            s.startDate(),
            s.seed(),
            7,
            s.peakHour(),
            s.dailyCycle(),
            s.malformedShare(),
            s.meanLabelDelay(),
            s.minLabelDelay(),
            s.neverLabeledShare(),
            s.covariateDriftStartDay(),
            s.covariateDriftStrength(),
            s.conceptDriftStartDay(),
            s.conceptDriftStrength(),
            s.modelVersion(),
            s.categories(),
            s.worldSeed(),
            s.qualityBreakDay(),
            s.qualityBreakShare(),
            s.sliceDrift());
    Dataset<Row> a = SyntheticTraffic.traffic(spark(), spec, s);
    Dataset<Row> b = SyntheticTraffic.traffic(spark(), spec, other);
    assertThat(fingerprint(a)).isEqualTo(fingerprint(b));
    assertThat(a.except(b).count()).isZero();
    Dataset<Row> c =
        SyntheticTraffic.traffic(spark(), spec, settings("--rows", "5000", "--seed", "7"));
    assertThat(fingerprint(c)).isNotEqualTo(fingerprint(a));
    assertThat(a.count()).isEqualTo(5000);
  }

  static double[] sample(String column, Column where, int n) {
    List<Row> rows =
        traffic.where(where.and(col(column).isNotNull())).select(column).limit(n).collectAsList();
    return rows.stream().mapToDouble(r -> r.getDouble(0)).toArray();
  }

  @Test
  void covariateDriftShiftsTheFirstFeatureFromItsStartDay() {
    String x = spec.numericFeatures().get(0); // normal(50, 15) per the generator's contract
    double[] early = sample(x, col(SyntheticTraffic.DAY).lt(5), 5000);
    double[] lateBaseline = sample(x, col(SyntheticTraffic.DAY).between(5, 9), 5000);
    double[] drifted = sample(x, col(SyntheticTraffic.DAY).geq(10), 5000);
    KolmogorovSmirnovTest ks = new KolmogorovSmirnovTest();
    assertThat(ks.kolmogorovSmirnovTest(early, drifted)).isLessThan(1e-6);
    assertThat(ks.kolmogorovSmirnovTest(early, lateBaseline)).isGreaterThan(1e-3);
    double shift = mean(drifted) - mean(early);
    assertThat(shift).isCloseTo(15.0, within(2.0)); // strength 1.0 x sd 15
    assertThat(mean(early)).isCloseTo(50.0, within(1.0));
  }

  @Test
  void covariateDriftTiltsTheFirstCategoricalFeature() {
    String cat = spec.categoricalFeatures().get(0);
    String rare = config.section("generate").raw().getStringList("categories." + cat).get(3);
    double before = share(col(SyntheticTraffic.DAY).lt(10), col(cat).equalTo(rare));
    double after = share(col(SyntheticTraffic.DAY).geq(10), col(cat).equalTo(rare));
    assertThat(after).isGreaterThan(before * 1.5);
  }

  @Test
  void aQualityBreakLogsAnUnknownValueOnItsDayOnlyAndLeavesTheScores() {
    LakeloopConfig broken =
        config
            .withSetting("generate.quality-break.day", 3)
            .withSetting("generate.quality-break.share", 0.2);
    CliArgs args =
        CliArgs.parse("generate", new String[] {"--rows", "20000"}, GenerateJob.FLAGS, false);
    Dataset<Row> a = SyntheticTraffic.traffic(spark(), spec, settings("--rows", "20000"));
    Dataset<Row> b =
        SyntheticTraffic.traffic(
            spark(), spec, GenerateSettings.from(broken.section("generate"), args));
    List<String> cats = spec.categoricalFeatures();
    String column = cats.get(cats.size() - 1);
    Row counts =
        b.agg(
                sum(when(col(SyntheticTraffic.DAY).equalTo(3), 1).otherwise(0)),
                sum(
                    when(
                            col(SyntheticTraffic.DAY)
                                .equalTo(3)
                                .and(col(column).equalTo("unknown")),
                            1)
                        .otherwise(0)),
                sum(
                    when(
                            col(SyntheticTraffic.DAY)
                                .notEqual(3)
                                .and(col(column).equalTo("unknown")),
                            1)
                        .otherwise(0)))
            .head();
    long day = counts.getLong(0);
    long unknown = counts.getLong(1);
    // Binomial(day, 0.2): within 4 standard deviations
    assertThat((double) unknown).isCloseTo(0.2 * day, within(4 * Math.sqrt(day * 0.2 * 0.8)));
    assertThat(counts.getLong(2)).isZero();
    // only the logged column changed: every other column is the unbroken traffic's
    Column[] others =
        Arrays.stream(a.columns())
            .filter(c -> !c.equals(column))
            .map(c -> col(c))
            .toArray(Column[]::new);
    assertThat(a.select(others).except(b.select(others)).count()).isZero();
  }

  @Test
  void aSliceDriftShiftsTheSecondFeatureOfThatSliceOnlyFromItsStartDay() {
    LakeloopConfig drifted =
        config
            .withSetting("generate.slice-drift.start-day", 5)
            .withSetting("generate.slice-drift.column", "region")
            .withSetting("generate.slice-drift.value", "eu");
    CliArgs args =
        CliArgs.parse("generate", new String[] {"--rows", "20000"}, GenerateJob.FLAGS, false);
    Dataset<Row> a = SyntheticTraffic.traffic(spark(), spec, settings("--rows", "20000"));
    Dataset<Row> b =
        SyntheticTraffic.traffic(
            spark(), spec, GenerateSettings.from(drifted.section("generate"), args));
    String x = spec.numericFeatures().get(1); // sd 5.84 per the generator's contract
    // the moved rows' feature is the unbroken one plus 1.0 x sd, to the logged precision
    Row shift =
        a.as("a")
            .join(b.as("b"), REQUEST_ID)
            .where(
                col("b.region")
                    .equalTo("eu")
                    .and(col("b." + SyntheticTraffic.DAY).geq(5))
                    // a malformed row may repeat another's request id
                    .and(col("a." + SyntheticTraffic.MALFORMED_KIND).isNull())
                    .and(col("b." + SyntheticTraffic.MALFORMED_KIND).isNull()))
            .agg(
                min(col("b." + x).minus(col("a." + x))),
                max(col("b." + x).minus(col("a." + x))),
                count(col("b." + x)))
            .head();
    assertThat(shift.getDouble(0)).isCloseTo(5.84, within(1.5e-3));
    assertThat(shift.getDouble(1)).isCloseTo(5.84, within(1.5e-3));
    assertThat(shift.getLong(2)).isGreaterThan(500);
    // every other row is the unbroken traffic's, whole
    Column moved = col(SyntheticTraffic.DAY).geq(5).and(col("region").equalTo("eu"));
    assertThat(a.where(not(moved)).except(b.where(not(moved))).count()).isZero();
    assertThat(b.where(not(moved)).count()).isEqualTo(a.where(not(moved)).count());
  }

  static double share(Column where, Column condition) {
    Row r = traffic.where(where).agg(avg(when(condition, 1.0).otherwise(0.0))).head();
    return r.getDouble(0);
  }

  @Test
  void conceptDriftLowersTheDeployedModelsAccuracy() {
    Column labeled =
        col(SyntheticTraffic.TRUE_LABEL)
            .isNotNull()
            .and(col(SyntheticTraffic.MALFORMED_KIND).isNull());
    Column correct = col(PREDICTION).equalTo(col(SyntheticTraffic.TRUE_LABEL));
    double stable1 = share(labeled.and(col(SyntheticTraffic.DAY).lt(5)), correct);
    double stable2 = share(labeled.and(col(SyntheticTraffic.DAY).between(5, 9)), correct);
    double drifted = share(labeled.and(col(SyntheticTraffic.DAY).geq(12)), correct);
    assertThat(stable1).isGreaterThan(0.7);
    assertThat(Math.abs(stable1 - stable2)).isLessThan(0.02);
    assertThat(stable1 - drifted).isGreaterThan(0.03);
  }

  @Test
  void trafficFollowsADailyCycleAndLabelsArriveLate() {
    Row peak =
        traffic.groupBy(hour(col(EVENT_TIME)).as("h")).count().orderBy(col("count").desc()).head();
    assertThat(peak.getInt(0)).isBetween(16, 20); // peak-hour = 18
    Row delays =
        traffic
            .where(col(SyntheticTraffic.TRUE_LABEL).isNotNull())
            .agg(
                min(
                    unix_timestamp(col(SyntheticTraffic.TRUE_LABEL_TIME))
                        .minus(unix_timestamp(col(EVENT_TIME)))),
                avg(
                    unix_timestamp(col(SyntheticTraffic.TRUE_LABEL_TIME))
                        .minus(unix_timestamp(col(EVENT_TIME)))))
            .head();
    assertThat(delays.getLong(0)).isGreaterThanOrEqualTo(3600 - 1);
    assertThat(delays.getDouble(1) / 3600).isCloseTo(37.0, within(2.0)); // 1 h + Exp(36 h)
    double labeledShare = share(lit(true), col(SyntheticTraffic.TRUE_LABEL).isNotNull());
    assertThat(labeledShare).isCloseTo(0.9 * (1 - 0.002), within(0.01));
  }

  @Test
  void aSmallShareOfRowsIsMalformedOfEveryKind() {
    double malformed = share(lit(true), col(SyntheticTraffic.MALFORMED_KIND).isNotNull());
    assertThat(malformed).isCloseTo(0.002, within(0.001));
    assertThat(
            traffic
                .where(col(SyntheticTraffic.MALFORMED_KIND).isNotNull())
                .select(SyntheticTraffic.MALFORMED_KIND)
                .distinct()
                .count())
        .isEqualTo(SyntheticTraffic.MALFORMED_KINDS);
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElseThrow();
  }
}
