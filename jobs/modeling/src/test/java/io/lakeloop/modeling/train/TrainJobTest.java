package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.tune.TuneJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.assertj.core.data.Offset;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The train job end to end on generated churn traffic (12,000 rows over 14 days; the true relation
 * changes from 2026-01-13, the deployed model keeps scoring the old way): from scratch when there
 * is no champion; then a champion trained before the drift, fine-tuned after it. Registry rows,
 * artifacts, gate decisions and the challenger alias are checked against what the job reports, and
 * the gate's held-out accuracy against scoring the held-out rows one by one through the registered
 * artifact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainJobTest extends SparkTestBase {
  private static final String DATE = "2026-01-14";

  /**
   * Small networks and few epochs: the test checks the plumbing, RealDataPipelineTest the learning.
   */
  private static final String[] SMALL = {
    "lakeloop.train.teacher.hidden=[32]",
    "lakeloop.train.teacher.epochs=6",
    "lakeloop.train.teacher.patience=2",
    "lakeloop.train.student.hidden=[4]",
    "lakeloop.train.student.epochs=6",
    "lakeloop.train.student.patience=2",
    "lakeloop.train.batch-size-per-worker=32"
  };

  private String warehouse;
  private LakeloopConfig config;
  private Lakehouse lh;
  private ModelRegistry registry;

  @BeforeAll
  void generate() throws Exception {
    warehouse = newWarehouse("train");
    config = config(warehouse, SMALL);
    lh = new Lakehouse(spark(), warehouse);
    run(new GenerateJob(), config, "--rows", "12000", "--run-id", "g1");
    registry = new ModelRegistry(lh);
  }

  private static JobResult run(Job job, LakeloopConfig config, String... args) throws Exception {
    return JobLauncher.run(
        job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark());
  }

  /** The gate's change check of the teacher on {@code metric}. */
  private static Row teacherChange(List<Row> rows, String metric) {
    return rows.stream()
        .filter(
            d ->
                d.getAs(CANDIDATE).equals(TrainJob.TEACHER)
                    && "change".equals(d.getAs(CHECK_KIND))
                    && metric.equals(d.getAs(METRIC)))
        .findFirst()
        .orElseThrow();
  }

  private List<Row> decisions(String runId) {
    return lh.read(Tables.GATE_DECISIONS).data().where(col(RUN_ID).equalTo(runId)).collectAsList();
  }

  @Test
  @Order(1)
  void fromScratchRegistersTeacherAndStudentAndGatesThemAgainstTheDeployedModel(@TempDir Path tmp)
      throws Exception {
    JobResult r = run(new TrainJob(), config, "--date", DATE, "--run-id", "t1");
    System.out.println(r.output());

    List<ModelRegistry.Entry> versions = registry.versions("churn");
    assertThat(versions).hasSize(2);
    ModelRegistry.Entry teacher = versions.get(0);
    ModelRegistry.Entry student = versions.get(1);
    assertThat(teacher.parentVersion()).isNull();
    assertThat(student.parentVersion()).isEqualTo(teacher.version());
    assertThat(versions).allMatch(e -> e.status().equals(ModelRegistry.CANDIDATE));
    assertThat(student.metrics().get("parameters") * 4)
        .isLessThanOrEqualTo(teacher.metrics().get("parameters"));
    // lineage: exactly the snapshots the run read
    assertThat(teacher.trainingData())
        .containsExactlyInAnyOrder(
            new ModelRegistry.Lineage(
                Tables.PREDICTION_LOG,
                lh.latestVersion(Tables.PREDICTION_LOG).orElseThrow(),
                lh.latestVersion(Tables.PREDICTION_LOG).orElseThrow()),
            new ModelRegistry.Lineage(
                Tables.LABELS_TABLE,
                lh.latestVersion(Tables.LABELS_TABLE).orElseThrow(),
                lh.latestVersion(Tables.LABELS_TABLE).orElseThrow()));
    assertThat(student.metrics())
        .containsKeys("holdout.accuracy", "hard_label_student.accuracy", "validation_accuracy")
        .containsEntry("hp.hidden.0", 4.0)
        .containsEntry("hp.distillation.alpha", 0.7);
    assertThat(teacher.metrics())
        .containsEntry("hp.hidden.0", 32.0)
        .containsEntry("hp.patience", 2.0);
    // every epoch's loss and validation accuracy are kept for the report's learning curves; the
    // best epoch's accuracy is the one the row names
    for (ModelRegistry.Entry e : List.of(teacher, student)) {
      int epochs = e.metrics().get("epochs").intValue();
      assertThat(epochs).isPositive();
      for (int n = 1; n <= epochs; n++) {
        assertThat(e.metrics().get("epoch." + n + ".loss")).isFinite().isPositive();
        assertThat(e.metrics().get("epoch." + n + ".validation_accuracy")).isBetween(0.0, 1.0);
      }
      assertThat(e.metrics()).doesNotContainKey("epoch." + (epochs + 1) + ".loss");
      assertThat(e.metrics().get("validation_accuracy"))
          .isEqualTo(
              e.metrics()
                  .get(
                      "epoch."
                          + e.metrics().get("best_epoch").intValue()
                          + ".validation_accuracy"));
    }

    // the gate: one row per check, each check's verdict agreeing with its margin, blessed = all
    List<Row> rows = decisions("t1");
    assertThat(rows).hasSize(2 * 4); // 1 value threshold + 3 change thresholds, 2 candidates
    for (Row d : rows) {
      assertThat(d.<Boolean>getAs(PASSED)).isEqualTo(d.<Double>getAs(MARGIN) >= 0);
      assertThat(d.<String>getAs(CHAMPION)).startsWith("deployed v1");
    }
    for (String c : List.of(TrainJob.TEACHER, TrainJob.STUDENT)) {
      List<Row> mine = rows.stream().filter(d -> d.getAs(CANDIDATE).equals(c)).toList();
      boolean all = mine.stream().allMatch(d -> d.<Boolean>getAs(PASSED));
      assertThat(mine).allMatch(d -> d.<Boolean>getAs(BLESSED) == all);
    }
    Optional<Row> won = rows.stream().filter(d -> d.<Boolean>getAs(WINNER)).findFirst();
    assertThat(r.exitCode()).isEqualTo(won.isPresent() ? JobLauncher.OK : TrainJob.NOTHING_BLESSED);
    assertThat(registry.alias("churn", ModelRegistry.CHALLENGER))
        .isEqualTo(won.map(d -> d.<Integer>getAs(CANDIDATE_VERSION)));
    // on the concept-drifted days a model trained on them beats the deployed one
    Row accuracyChange = teacherChange(rows, "accuracy");
    assertThat(accuracyChange.<Double>getAs(VALUE))
        .isGreaterThan(accuracyChange.<Double>getAs(REFERENCE));

    // the artifact in the registry: intact, and its held-out accuracy is what scoring the held-out
    // rows one at a time through it gives
    ModelArtifact loaded =
        ModelArtifact.read(
            new ArtifactStore(spark().sparkContext().hadoopConfiguration(), warehouse)
                .fetch(teacher.artifactUri(), teacher.sha256(), tmp.resolve("t.zip"))
                .toFile());
    assertThat(teacher.sha256()).isEqualTo(ArtifactStore.sha256(tmp.resolve("t.zip")));
    ModelSpec model = config.model(null);
    long correct = 0;
    long n = 0;
    double revenue = 0;
    Map<String, long[]> positives = new TreeMap<>(); // region -> {predicted 1, rows}
    try (TrainExamples ex =
        TrainExamples.read(
            RunTables.of(lh, "probe"),
            model,
            TrainSettings.from(config, io.lakeloop.common.config.Task.BINARY),
            LocalDate.parse(DATE))) {
      for (Row h : ex.holdout().collectAsList()) {
        Double[] num = new Double[model.numericFeatures().size()];
        for (int i = 0; i < num.length; i++) {
          num[i] = h.getAs(model.numericFeatures().get(i));
        }
        String[] cat = new String[model.categoricalFeatures().size()];
        for (int j = 0; j < cat.length; j++) {
          cat[j] = h.getAs(model.categoricalFeatures().get(j));
        }
        float[] p = loaded.score(num, cat);
        int best = p[1] > p[0] ? 1 : 0;
        correct += best == h.<Double>getAs(LABEL) ? 1 : 0;
        n++;
        revenue += best == 1 ? h.<Double>getAs("monthly_charges") : 0;
        long[] c =
            positives.computeIfAbsent(String.valueOf(h.<String>getAs("region")), k -> new long[2]);
        c[0] += best;
        c[1]++;
      }
    }
    assertThat(n).isGreaterThan(300);
    assertThat(teacher.metrics().get("holdout.accuracy"))
        .isCloseTo((double) correct / n, Offset.offset(1e-12));
    // the gate also measured churn.conf's custom metric and its region grouping's disparity (the
    // region farthest from the most favoured one), under the names a gate check uses
    assertThat(teacher.metrics().get("holdout.revenue_at_risk"))
        .isCloseTo(revenue, Offset.offset(1e-6 * revenue));
    double[] rates = positives.values().stream().mapToDouble(c -> (double) c[0] / c[1]).toArray();
    assertThat(rates.length).isGreaterThanOrEqualTo(5);
    double gap =
        Arrays.stream(rates).min().orElseThrow() - Arrays.stream(rates).max().orElseThrow();
    assertThat(teacher.metrics().get("holdout.fairness:region:demographic_parity_difference"))
        .isCloseTo(gap, Offset.offset(1e-12));

    // the run record keeps DL4J's Spark training statistics
    Row ledger =
        JobRuns.latest(lh.read(Tables.JOB_RUNS).data())
            .where(col(JOB).equalTo("train").and(col(RUN_ID).equalTo("t1")))
            .collectAsList()
            .get(0);
    Map<String, String> summary = ledger.getJavaMap(ledger.fieldIndex(SUMMARY));
    assertThat(summary.keySet()).anyMatch(k -> k.startsWith("teacher.dl4j_stats_ms."));

    // a rerun of the same run: nothing new
    run(new TrainJob(), config, "--date", DATE, "--run-id", "t1");
    assertThat(registry.versions("churn")).hasSize(2);
    assertThat(decisions("t1")).hasSize(rows.size());
  }

  @Test
  @Order(2)
  void anUpdateRecoversWhatTheChampionLostToConceptDriftAndAFailedGateExitsWithItsCode()
      throws Exception {
    Optional<Integer> challenger = registry.alias("churn", ModelRegistry.CHALLENGER);
    // a champion trained before the concept drift (the window ending on day 11)
    run(new TrainJob(), config, "--date", "2026-01-11", "--run-id", "t0");
    ModelRegistry.Entry old = registry.versions("churn").get(2);
    assertThat(old.runId()).isEqualTo("t0");
    assertThat(registry.setAlias("churn", ModelRegistry.CHAMPION, Optional.empty(), 3, "test"))
        .isTrue();
    challenger = registry.alias("churn", ModelRegistry.CHALLENGER);

    // the update on the two drifted days alone (no replay of the old relation), with a gate
    // nothing can pass
    List<String> sets = new ArrayList<>(List.of(SMALL));
    sets.add("lakeloop.train.window=2 days");
    sets.add("lakeloop.train.replay.fraction=0");
    sets.add("lakeloop.train.holdout-fraction=0.3");
    sets.add("lakeloop.train.gate.value-thresholds.accuracy.min=0.999");
    JobResult r =
        run(
            new TrainJob(),
            config(warehouse, sets.toArray(new String[0])),
            "--date",
            DATE,
            "--run-id",
            "t2");
    System.out.println(r.output());
    assertThat(r.exitCode()).isEqualTo(TrainJob.NOTHING_BLESSED);
    assertThat(r.output()).contains("no candidate is blessed; the champion stays");
    List<ModelRegistry.Entry> versions = registry.versions("churn");
    assertThat(versions).hasSize(6);
    assertThat(versions.get(4).parentVersion()).isEqualTo(3); // the fine-tuned champion
    List<Row> rows = decisions("t2");
    assertThat(rows).allMatch(d -> d.<String>getAs(CHAMPION).equals("champion"));
    assertThat(rows).noneMatch(d -> d.<Boolean>getAs(BLESSED));
    assertThat(registry.alias("churn", ModelRegistry.CHALLENGER)).isEqualTo(challenger);
    assertThat(registry.alias("churn", ModelRegistry.CHAMPION)).contains(3);

    // ROC-AUC, which no decision threshold blurs: what the drift cost the champion, and what the
    // update won back, on the same held-out rows
    Row auc = teacherChange(rows, "roc_auc");
    double championBefore = old.metrics().get("holdout.roc_auc");
    double championAfter = auc.getAs(REFERENCE);
    double updated = auc.getAs(VALUE);
    System.out.printf(
        "champion ROC-AUC: %.4f on its own held-out rows, %.4f on the drifted ones; updated:"
            + " %.4f%n",
        championBefore, championAfter, updated);
    assertThat(championAfter).isLessThan(championBefore - 0.03); // the drift cost it
    assertThat(updated).isGreaterThan(championAfter + 0.03); // the update won it back
  }

  /** A space of 16 configurations; halving draws 8 and runs rungs of 1, 2 and 4 epochs. */
  private static final String[] SPACE = {
    "lakeloop.tune.space.learning-rate=[0.003, 0.03]",
    "lakeloop.tune.space.hidden=[[24], [32]]",
    "lakeloop.tune.space.l2=[0, 0.001]",
    "lakeloop.tune.space.dropout=[0, 0.2]",
    "lakeloop.tune.space.batch-size=[32]",
    "lakeloop.tune.samples=8",
    "lakeloop.tune.max-epochs=4",
    "lakeloop.tune.halving.eta=2",
    "lakeloop.tune.sample-rows=2000",
    "lakeloop.tune.validation-rows=600"
  };

  private LakeloopConfig tuneConfig(String... more) {
    List<String> sets = new ArrayList<>(List.of(SMALL));
    sets.addAll(List.of(SPACE));
    sets.addAll(List.of(more));
    return config(warehouse, sets.toArray(new String[0]));
  }

  private List<Row> trials(String runId) {
    return lh.read(Tables.TUNING_TRIALS)
        .data()
        .where(col(RUN_ID).equalTo(runId))
        .orderBy(RUNG, TRIAL)
        .collectAsList();
  }

  /** A trial's configuration as text, to match one trial across runs. */
  private static String configuration(Row t) {
    return t.getAs(LEARNING_RATE)
        + "/"
        + t.getList(t.fieldIndex(HIDDEN))
        + "/"
        + t.getAs(L2)
        + "/"
        + t.getAs(DROPOUT)
        + "/"
        + t.getAs(BATCH_SIZE);
  }

  /** Best first, as the search ranks: accuracy, then log loss, then trial id. */
  private static final Comparator<Row> BEST_FIRST =
      Comparator.comparingDouble((Row t) -> -t.<Double>getAs(VALIDATION_ACCURACY))
          .thenComparingDouble(t -> t.<Double>getAs(VALIDATION_LOSS))
          .thenComparingInt(t -> t.<Integer>getAs(TRIAL));

  @Test
  @Order(3)
  void halvingKeepsTheBestOfEachRungReproducesTheGridAndTrainTrainsTheWinner(@TempDir Path tmp)
      throws Exception {
    JobResult halving = run(new TuneJob(), tuneConfig(), "--date", DATE, "--run-id", "tune1");
    System.out.println(halving.output());
    assertThat(halving.exitCode()).isEqualTo(JobLauncher.OK);
    List<Row> h = trials("tune1");
    Map<Integer, List<Row>> rungs = new TreeMap<>();
    h.forEach(t -> rungs.computeIfAbsent(t.<Integer>getAs(RUNG), k -> new ArrayList<>()).add(t));
    assertThat(rungs.keySet()).containsExactly(0, 1, 2);
    assertThat(rungs.values().stream().map(List::size)).containsExactly(8, 4, 2);
    assertThat(rungs.values().stream().map(r -> r.get(0).<Integer>getAs(EPOCHS)))
        .containsExactly(1, 2, 4);
    assertThat(h).allMatch(t -> t.getAs(STATUS).equals("ok") && t.<Long>getAs(TRAIN_ROWS) == 2000);
    // each rung: the best half (by the table's own figures) and only they go on
    for (int r = 0; r < 2; r++) {
      List<Row> ranked = new ArrayList<>(rungs.get(r));
      ranked.sort(BEST_FIRST);
      List<Integer> best =
          ranked.subList(0, ranked.size() / 2).stream().map(t -> t.<Integer>getAs(TRIAL)).toList();
      assertThat(
              rungs.get(r).stream()
                  .filter(t -> t.<Boolean>getAs(PROMOTED))
                  .map(t -> t.<Integer>getAs(TRIAL)))
          .containsExactlyInAnyOrderElementsOf(best);
      assertThat(rungs.get(r + 1).stream().map(t -> t.<Integer>getAs(TRIAL)))
          .containsExactlyInAnyOrderElementsOf(best);
    }
    List<Row> last = new ArrayList<>(rungs.get(2));
    last.sort(BEST_FIRST);
    assertThat(h.stream().filter(t -> t.<Boolean>getAs(WINNER)).toList())
        .containsExactly(last.get(0));

    // the full grid of the same space and seed: every configuration at 4 epochs, each in a task of
    // its own; the configurations halving ran to 4 epochs score exactly what the grid's do
    JobResult grid =
        run(
            new TuneJob(),
            tuneConfig("lakeloop.tune.method=grid"),
            "--date",
            DATE,
            "--run-id",
            "tune2");
    assertThat(grid.exitCode()).isEqualTo(JobLauncher.OK);
    List<Row> g = trials("tune2");
    assertThat(g).hasSize(16).allMatch(t -> t.<Integer>getAs(EPOCHS) == 4);
    Map<String, Row> byConfiguration = new TreeMap<>();
    g.forEach(t -> byConfiguration.put(configuration(t), t));
    assertThat(byConfiguration).hasSize(16);
    for (Row t : last) {
      Row same = byConfiguration.get(configuration(t));
      assertThat(same.<Double>getAs(VALIDATION_ACCURACY))
          .isEqualTo(t.<Double>getAs(VALIDATION_ACCURACY));
      assertThat(same.<Double>getAs(VALIDATION_LOSS)).isEqualTo(t.<Double>getAs(VALIDATION_LOSS));
      assertThat(same.<Integer>getAs(BEST_EPOCH)).isEqualTo(t.<Integer>getAs(BEST_EPOCH));
    }
    List<Row> ranked = new ArrayList<>(g);
    ranked.sort(BEST_FIRST);
    Row winner = ranked.get(0);
    assertThat(winner.<Boolean>getAs(WINNER)).isTrue();
    assertThat(g.stream().filter(t -> t.<Boolean>getAs(WINNER))).hasSize(1);

    // a rerun of a finished search changes nothing
    long version = lh.latestVersion(Tables.TUNING_TRIALS).orElseThrow();
    run(new TuneJob(), tuneConfig(), "--date", DATE, "--run-id", "tune1");
    assertThat(lh.latestVersion(Tables.TUNING_TRIALS)).contains(version);

    // train from the latest search (the grid, written last on the same date): its winner's
    // configuration, from scratch although there is a champion
    JobResult trained =
        run(
            new TrainJob(),
            tuneConfig(
                "lakeloop.train.from-tuning=latest",
                "lakeloop.train.teacher.epochs=2",
                "lakeloop.train.student.epochs=2"),
            "--date",
            DATE,
            "--run-id",
            "t3");
    System.out.println(trained.output());
    assertThat(trained.summary()).containsEntry("tuned_by", "tune2");
    ModelRegistry.Entry teacher =
        registry.versions("churn").stream()
            .filter(e -> e.runId().equals("t3"))
            .findFirst()
            .orElseThrow();
    assertThat(teacher.parentVersion()).isNull();
    List<Integer> hidden = winner.getList(winner.fieldIndex(HIDDEN));
    assertThat(teacher.metrics())
        .containsEntry("hp.hidden.0", (double) hidden.get(0))
        .doesNotContainKey("hp.hidden.1")
        .containsEntry("hp.learning_rate", winner.<Double>getAs(LEARNING_RATE))
        .containsEntry("hp.l2", winner.<Double>getAs(L2))
        .containsEntry("hp.dropout", winner.<Double>getAs(DROPOUT))
        .containsEntry("hp.batch_size_per_worker", (double) winner.<Integer>getAs(BATCH_SIZE));
    // the registered network itself: the winner's layer width, and its dropout on the output
    // layer's input (DL4J keeps the retain probability)
    ModelArtifact artifact =
        ModelArtifact.read(
            new ArtifactStore(spark().sparkContext().hadoopConfiguration(), warehouse)
                .fetch(teacher.artifactUri(), teacher.sha256(), tmp.resolve("tuned.zip"))
                .toFile());
    var layers = artifact.network().getLayerWiseConfigurations();
    assertThat(((FeedForwardLayer) layers.getConf(0).getLayer()).getNOut())
        .isEqualTo((long) hidden.get(0));
    IDropout dropout = layers.getConf(1).getLayer().getIDropout();
    if (winner.<Double>getAs(DROPOUT) > 0) {
      assertThat(((Dropout) dropout).getP()).isEqualTo(1 - winner.<Double>getAs(DROPOUT));
    } else {
      assertThat(dropout).isNull();
    }

    // nothing tuned on or before the date: refused, naming the fix
    assertThatThrownBy(
            () ->
                run(
                    new TrainJob(),
                    tuneConfig("lakeloop.train.from-tuning=latest"),
                    "--date",
                    "2026-01-05",
                    "--run-id",
                    "t4"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("bin/lakeloop tune --date 2026-01-05");
  }

  @Test
  void theDistillationVerdictDoesNotClaimMoreThanTheDataShows() {
    // 0.8139 vs 0.8072 on 446 rows: two standard errors are about 0.052
    assertThat(TrainJob.distillationVerdict("accuracy", 0.8139, 0.8072, true, 446))
        .contains("within noise");
    assertThat(TrainJob.distillationVerdict("accuracy", 0.95, 0.80, true, 1000))
        .contains("distillation helped");
    assertThat(TrainJob.distillationVerdict("accuracy", 0.80, 0.95, true, 1000))
        .contains("did worse");
    assertThat(TrainJob.distillationVerdict("log_loss", 0.3, 0.4, false, 1000))
        .contains("no interval");
  }

  @Test
  void aStudentLargerThanTheConfiguredShareIsRefused() {
    TrainSettings s = TrainSettings.from(config, io.lakeloop.common.config.Task.BINARY);
    TrainJob.checkStudentSize(25, 100, s);
    assertThatThrownBy(() -> TrainJob.checkStudentSize(26, 100, s))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("max-parameter-share");
  }
}
