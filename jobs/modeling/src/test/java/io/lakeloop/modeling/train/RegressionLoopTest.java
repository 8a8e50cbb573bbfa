package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.registry.PublishedModels;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.artifact.CompactArtifact;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.compress.CompressJob;
import io.lakeloop.modeling.score.ModelScorer;
import io.lakeloop.modeling.score.ScoreJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.regression.OLSMultipleLinearRegression;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A regression model through the loop on generated traffic of the {@code delivery} model
 * (configs/models/delivery.conf; 8,000 rows over 14 days, the target linear in the standardised
 * features plus noise, logged by a deployed model whose weights are off by 25 %): train (teacher,
 * distilled student, gate on RMSE), compress (pruned and int8, judged on RMSE), publish, score
 * later days, and a consumer without Spark predicting what the job logged. Figures are checked
 * against independent computations on the same rows: the target's statistics and ordinary least
 * squares with Commons Math, the held-out RMSE, MAE and R² by hand.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RegressionLoopTest extends SparkTestBase {
  private static final String DATE = "2026-01-14";
  private static final String MODEL = "delivery";

  private String warehouse;
  private LakeloopConfig config;
  private Lakehouse lh;
  private ModelRegistry registry;
  private ModelSpec model;
  private JobResult trained;
  private JobResult compressed;
  private String landing;

  private static JobResult run(Job job, LakeloopConfig config, String... args) throws Exception {
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark());
  }

  @BeforeAll
  void trainAndCompress() throws Exception {
    warehouse = newWarehouse("regression");
    config =
        config(
            warehouse,
            "lakeloop.default-model=" + MODEL,
            "lakeloop.train.teacher.hidden=[32]",
            "lakeloop.train.teacher.learning-rate=0.01",
            "lakeloop.train.teacher.epochs=8",
            "lakeloop.train.teacher.patience=2",
            "lakeloop.train.student.hidden=[6]",
            "lakeloop.train.student.learning-rate=0.02",
            "lakeloop.train.student.epochs=8",
            "lakeloop.train.student.patience=2",
            "lakeloop.train.batch-size-per-worker=32",
            "lakeloop.train.averaging-frequency=5",
            "lakeloop.compress.target-sparsity=0.5",
            "lakeloop.compress.pruning-steps=2");
    lh = new Lakehouse(spark(), warehouse);
    registry = new ModelRegistry(lh);
    model = config.model(MODEL);
    run(new GenerateJob(), config, "--rows", "8000", "--run-id", "g1");
    trained = run(new TrainJob(), config, "--date", DATE, "--run-id", "t1");
    System.out.println(trained.output());
    compressed = run(new CompressJob(), config, "--date", DATE, "--run-id", "c1");
    System.out.println(compressed.output());
    landing = Files.createTempDirectory("lakeloop-landing-").toString();
    run(
        new GenerateJob(),
        config,
        "--rows",
        "1500",
        "--days",
        "2",
        "--start-date",
        "2026-01-15",
        "--seed",
        "77",
        "--output",
        landing,
        "--format",
        "json",
        "--run-id",
        "g2");
  }

  private ModelArtifact fetch(ModelRegistry.Entry e, Path local) {
    return ModelArtifact.fetch(
        new ArtifactStore(spark().sparkContext().hadoopConfiguration(), warehouse), e, local);
  }

  private TrainExamples examples() {
    return TrainExamples.read(
        RunTables.of(lh, "probe"),
        model,
        TrainSettings.from(config, model.task()),
        LocalDate.parse(DATE));
  }

  /** {rmse, mae, r2} of predictions against labels, by hand. */
  private static double[] errors(double[] predicted, double[] labels) {
    double sse = 0;
    double abs = 0;
    double mean = 0;
    for (double y : labels) {
      mean += y / labels.length;
    }
    double sst = 0;
    for (int i = 0; i < labels.length; i++) {
      double e = predicted[i] - labels[i];
      sse += e * e;
      abs += Math.abs(e);
      sst += (labels[i] - mean) * (labels[i] - mean);
    }
    return new double[] {Math.sqrt(sse / labels.length), abs / labels.length, 1 - sse / sst};
  }

  private static double[] column(List<Row> rows, String name) {
    return rows.stream().mapToDouble(r -> ((Number) r.getAs(name)).doubleValue()).toArray();
  }

  /** The row's encoded features, as the model's encoding makes them. */
  private float[] encode(FeatureEncoding enc, Row r) {
    Double[] num = new Double[enc.numeric().size()];
    for (int i = 0; i < num.length; i++) {
      Object v = r.getAs(enc.numeric().get(i).name());
      num[i] = v == null ? null : ((Number) v).doubleValue();
    }
    String[] cat = new String[enc.categorical().size()];
    for (int j = 0; j < cat.length; j++) {
      cat[j] = r.getAs(enc.categorical().get(j).name());
    }
    return enc.encode(num, cat);
  }

  @Test
  @Order(1)
  void trainStandardisesTheTargetLearnsWhatLeastSquaresFindsAndGatesOnRmse() throws Exception {
    assertThat(trained.exitCode()).isEqualTo(JobLauncher.OK);
    List<ModelRegistry.Entry> versions = registry.versions(MODEL);
    ModelRegistry.Entry teacher = versions.get(0);
    ModelRegistry.Entry student = versions.get(1);
    ModelArtifact t = fetch(teacher, Files.createTempDirectory("t-").resolve("t.zip"));
    FeatureEncoding enc = t.encoding();
    try (TrainExamples ex = examples()) {
      List<Row> train = ex.train().collectAsList();
      List<Row> holdout = ex.holdout().collectAsList();
      // the target's standardisation is the training labels' mean and sample deviation
      DescriptiveStatistics labels = new DescriptiveStatistics(column(train, LABEL));
      FeatureEncoding.Numeric target = enc.target().orElseThrow();
      assertThat(target.mean()).isCloseTo(labels.getMean(), within(1e-9 * labels.getMean()));
      assertThat(target.std())
          .isCloseTo(labels.getStandardDeviation(), within(1e-9 * labels.getMean()));

      // the gate's held-out figures are the teacher's predictions of the held-out rows, by hand
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
      Dataset<Row> features = ex.holdout().drop(PREDICTION, SCORES);
      List<Row> scored = ModelScorer.score(sc, t, model, features).collectAsList();
      assertThat(scored).allMatch(r -> r.isNullAt(r.fieldIndex(SCORES)));
      double[] y = column(scored, LABEL);
      double[] mine = errors(column(scored, PREDICTION), y);
      assertThat(teacher.metrics().get("holdout.rmse")).isCloseTo(mine[0], within(1e-9));
      assertThat(teacher.metrics().get("holdout.mae")).isCloseTo(mine[1], within(1e-9));
      assertThat(teacher.metrics().get("holdout.r2")).isCloseTo(mine[2], within(1e-9));

      // ordinary least squares on the same encoded training rows (the generator's truth is linear
      // in them): the network comes within 0.03 of its held-out R², and beats the deployed model
      double[][] x = train.stream().map(r -> toDouble(encode(enc, r))).toArray(double[][]::new);
      int[] kept = independentColumns(enc, x);
      OLSMultipleLinearRegression ols = new OLSMultipleLinearRegression();
      ols.newSampleData(column(train, LABEL), select(x, kept));
      double[] beta = ols.estimateRegressionParameters();
      double[] olsPredicted =
          holdout.stream()
              .mapToDouble(
                  r -> dot(beta, select(new double[][] {toDouble(encode(enc, r))}, kept)[0]))
              .toArray();
      double[] olsErrors = errors(olsPredicted, column(holdout, LABEL));
      double[] deployed = errors(column(holdout, PREDICTION), column(holdout, LABEL));
      System.out.printf(
          "delivery: held-out R² teacher %.4f, student %.4f, least squares %.4f, deployed %.4f%n",
          mine[2], student.metrics().get("holdout.r2"), olsErrors[2], deployed[2]);
      assertThat(mine[2]).isGreaterThan(olsErrors[2] - 0.03).isGreaterThan(deployed[2]);
      assertThat(student.metrics().get("holdout.r2")).isGreaterThan(olsErrors[2] - 0.05);

      // the gate: each candidate's RMSE may be at most 2 % above the deployed model's (its logged
      // predictions of the same rows); the winner is the blessed candidate with the lowest RMSE
      List<Row> decisions =
          lh.read(Tables.GATE_DECISIONS).data().where(col(RUN_ID).equalTo("t1")).collectAsList();
      Map<String, Double> rmse = new LinkedHashMap<>();
      for (Row d : decisions) {
        if ("change".equals(d.getAs(CHECK_KIND)) && "rmse".equals(d.getAs(METRIC))) {
          double value = d.getAs(VALUE);
          double reference = d.getAs(REFERENCE);
          assertThat(reference).isCloseTo(deployed[0], within(1e-9));
          assertThat(d.<Boolean>getAs(PASSED)).isEqualTo(value <= reference * 1.02);
          rmse.put(d.getAs(CANDIDATE), value);
        }
      }
      assertThat(rmse).containsOnlyKeys(TrainJob.TEACHER, TrainJob.STUDENT);
      assertThat(rmse.get(TrainJob.TEACHER)).isCloseTo(mine[0], within(1e-9));
      String best =
          rmse.get(TrainJob.TEACHER) <= rmse.get(TrainJob.STUDENT)
              ? TrainJob.TEACHER
              : TrainJob.STUDENT;
      assertThat(
              decisions.stream()
                  .filter(d -> d.<Boolean>getAs(WINNER))
                  .map(d -> d.<String>getAs(CANDIDATE)))
          .isNotEmpty()
          .allMatch(best::equals);
    }

    // early stopping on the validation loss (the mean squared error of standardised targets): the
    // kept epoch is the lowest one; there is no accuracy
    Map<Integer, Double> losses = new LinkedHashMap<>();
    teacher
        .metrics()
        .forEach(
            (k, v) -> {
              if (k.startsWith("epoch.") && k.endsWith(".validation_loss")) {
                losses.put(Integer.parseInt(k.split("\\.")[1]), v);
              }
            });
    int lowest =
        losses.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
    assertThat(teacher.metrics().get("best_epoch")).isEqualTo((double) lowest);
    assertThat(teacher.metrics()).doesNotContainKey("validation_accuracy");
    assertThat(student.metrics())
        .containsEntry("hp.distillation.alpha", 0.7)
        .containsKey("hard_label_student.rmse");
    assertThat(student.metrics().get("parameters") * 4)
        .isLessThanOrEqualTo(teacher.metrics().get("parameters"));

    assertThat(trained.output()).contains("rmse", "mae", "r2");
  }

  @Test
  @Order(2)
  void compressPublishesWithinTheRmseLimitAndAConsumerPredictsWhatScoreLogs() throws Exception {
    assertThat(compressed.exitCode()).isEqualTo(JobLauncher.OK);
    ModelRegistry.Entry published = registry.resolve(MODEL, ModelRegistry.CHAMPION).orElseThrow();
    assertThat(published.status()).isEqualTo(CompressJob.PUBLISHED);
    double rmse = published.metrics().get("holdout.rmse");
    double before = published.metrics().get("uncompressed.holdout.rmse");
    assertThat(rmse).isLessThanOrEqualTo(before * 1.02);

    // the consumer (no Spark, no DL4J) predicts the held-out rows with the published artifact: the
    // same values as DL4J with the artifact, and their RMSE is the registry's
    PublishedModels.Model consumer =
        new PublishedModels(spark().sparkContext().hadoopConfiguration(), warehouse)
            .load(ModelRef.parse(MODEL + "@champion"), Files.createTempDirectory("consumer-"));
    Path local = Files.createTempDirectory("compact-").resolve("m.llc");
    new ArtifactStore(spark().sparkContext().hadoopConfiguration(), warehouse)
        .fetch(published.artifactUri(), published.sha256(), local);
    ModelArtifact compact = CompactArtifact.read(local.toFile());
    try (TrainExamples ex = examples()) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
      List<Row> scored =
          ModelScorer.score(sc, compact, model, ex.holdout().drop(PREDICTION, SCORES))
              .collectAsList();
      double[] consumed = new double[scored.size()];
      double worst = 0;
      for (int i = 0; i < scored.size(); i++) {
        PublishedModels.Prediction p = consumer.predict(features(scored.get(i)));
        assertThat(p.regression()).isTrue();
        consumed[i] = p.value();
        double dl4j = scored.get(i).getAs(PREDICTION);
        worst = Math.max(worst, Math.abs(consumed[i] - dl4j) / Math.max(1, Math.abs(dl4j)));
      }
      assertThat(worst).isLessThan(1e-5);
      assertThat(errors(consumed, column(scored, LABEL))[0]).isCloseTo(rmse, within(1e-4));
    }

    // score: the later days' features through the champion into prediction_log, exactly what the
    // consumer predicts for the same rows
    String input = landing + "/prediction_log";
    JobResult s =
        run(
            new ScoreJob(),
            config,
            "--date",
            "2026-01-16",
            "--input",
            input,
            "--format",
            "json",
            "--run-id",
            "s1");
    System.out.println(s.output());
    assertThat(s.exitCode()).isEqualTo(JobLauncher.OK);
    List<Row> later =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(col(EVENT_DATE).geq("2026-01-15"))
            .collectAsList();
    assertThat(later)
        .hasSize(Integer.parseInt(s.summary().get("written")))
        .hasSizeGreaterThan(1000);
    for (Row r : later.subList(0, 200)) {
      assertThat(r.<String>getAs(MODEL_VERSION)).isEqualTo(Integer.toString(published.version()));
      assertThat(r.isNullAt(r.fieldIndex(SCORES))).isTrue();
      double logged = r.getAs(PREDICTION);
      assertThat(consumer.predict(features(r)).value())
          .isCloseTo(logged, within(1e-5 * Math.max(1, Math.abs(logged))));
    }
  }

  private Map<String, Object> features(Row r) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String f : model.numericFeatures()) {
      m.put(f, r.getAs(f));
    }
    for (String f : model.categoricalFeatures()) {
      m.put(f, r.getAs(f));
    }
    return m;
  }

  private static double[] toDouble(float[] x) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i];
    }
    return out;
  }

  /**
   * The encoded columns least squares can fit beside an intercept: columns constant on these rows
   * are left out (a missing flag that never fires, the slots of unseen categories), and so is the
   * first varying slot of each categorical block, whose one-hot slots sum to 1 like the intercept.
   */
  private static int[] independentColumns(FeatureEncoding enc, double[][] x) {
    List<int[]> blocks = new ArrayList<>(); // {from, to, 1 = a slot is left out}
    blocks.add(new int[] {0, 2 * enc.numeric().size(), 0});
    int at = 2 * enc.numeric().size();
    for (FeatureEncoding.Categorical c : enc.categorical()) {
      int width = c.vocabulary().size() + 2;
      blocks.add(new int[] {at, at + width, 1});
      at += width;
    }
    List<Integer> kept = new ArrayList<>();
    for (int[] b : blocks) {
      boolean dropped = b[2] == 0;
      for (int j = b[0]; j < b[1]; j++) {
        boolean varies = false;
        for (double[] row : x) {
          if (row[j] != x[0][j]) {
            varies = true;
            break;
          }
        }
        if (varies && !dropped) {
          dropped = true;
        } else if (varies) {
          kept.add(j);
        }
      }
    }
    return kept.stream().mapToInt(Integer::intValue).toArray();
  }

  private static double[][] select(double[][] x, int[] columns) {
    double[][] out = new double[x.length][columns.length];
    for (int i = 0; i < x.length; i++) {
      for (int k = 0; k < columns.length; k++) {
        out[i][k] = x[i][columns[k]];
      }
    }
    return out;
  }

  private static double dot(double[] beta, double[] x) {
    double s = beta[0];
    for (int i = 0; i < x.length; i++) {
      s += beta[i + 1] * x[i];
    }
    return s;
  }
}
