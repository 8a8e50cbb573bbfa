package io.lakeloop.modeling.train;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Tables;
import io.lakeloop.modeling.Scratch;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.gate.Gate;
import io.lakeloop.modeling.gate.GateRun;
import io.lakeloop.modeling.model.Networks;
import io.lakeloop.monitoring.evaluate.EvalSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop train}: a batch update of the model on its newest labeled data, a distilled
 * student, and the quality gate. Reads the window's labeled predictions (plus a replay sample of
 * older ones) straight from the lakehouse into a {@code JavaRDD<DataSet>}; fine-tunes the champion
 * (or trains the configured architecture from scratch when there is none) with DL4J's parameter
 * averaging on Spark, early-stopped on a validation split; distils a smaller student from it and
 * trains the same student on the hard labels alone for comparison; scores champion and candidates
 * on the same held-out rows and evaluates them with the evaluation engine; registers the candidates
 * (artifact first, then the registry row) and every gate check; points the {@code challenger} alias
 * at the winner, the compression job's input. Exits with {@link #NOTHING_BLESSED} when no candidate
 * passes the gate (the champion stays).
 */
public final class TrainJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  /** Exit status of a run that trained fine but whose candidates all failed the gate. */
  public static final int NOTHING_BLESSED = 4;

  static final String TEACHER = "teacher";
  static final String STUDENT = "student";
  static final String STUDENT_HARD = "student_hard_labels";

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new TrainJob(), args));
  }

  @Override
  public String name() {
    return "train";
  }

  @Override
  public String description() {
    return "Update the model on its newest labeled data with DL4J on Spark (fine-tune the champion,"
        + " or train lakeloop.train.teacher from scratch), distil a smaller student, and gate"
        + " both against the champion on held-out rows; registers the candidates and points the"
        + " challenger alias at the winner. Exit code 4: nothing passed the gate.";
  }

  @Override
  public JobResult run(JobContext ctx) throws Exception {
    if (ctx.previousSuccess().isPresent()) {
      return JobResult.alreadyDone(name(), ctx.runId(), ctx.previousSuccess().get());
    }
    ModelSpec model = ctx.model();
    if (!model.task().isClassification()) {
      throw new ConfigError(
          "train: model "
              + model.name()
              + " is a regression model; training and distillation support classification"
              + " (binary, multiclass) models");
    }
    LocalDate date =
        ctx.logicalDate()
            .orElseThrow(
                () ->
                    new LakeloopException(
                        "train needs --date YYYY-MM-DD: the last day of new data to train on"));
    TrainSettings s = TrainSettings.from(ctx.config());
    ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
    ArtifactStore store =
        new ArtifactStore(ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(ctx.spark().sparkContext());
    Path scratch = Files.createTempDirectory("lakeloop-train-");
    Map<String, String> summary = new LinkedHashMap<>();
    try (TrainExamples examples = TrainExamples.read(ctx.tables(), model, s, date)) {
      LOG.info(
          "train: {} labeled rows for training, {} for validation, {} held out (event dates {} to"
              + " {})",
          examples.counts().get(TrainExamples.TRAIN),
          examples.counts().get(TrainExamples.VALIDATION),
          examples.counts().get(TrainExamples.HOLDOUT),
          examples.firstDate(),
          date);
      summary.put("window", examples.windowStart() + ".." + date);
      summary.put("replay_from", examples.firstDate().toString());
      examples.counts().forEach((k, v) -> summary.put("rows_" + k, Long.toString(v)));

      Optional<ModelRegistry.Entry> championEntry =
          registry.resolve(model.name(), ModelRegistry.CHAMPION);
      Optional<ModelArtifact> champion =
          championEntry.map(e -> load(store, e, scratch.resolve("champion.zip")));
      FeatureEncoding encoding =
          champion
              .map(ModelArtifact::encoding)
              .orElseGet(() -> TrainingData.fit(examples.train(), model, s.maxCategories()));
      LongAccumulator invalid = ctx.spark().sparkContext().longAccumulator("invalid labels");
      JavaRDD<DataSet> train =
          TrainingData.dataSets(examples.train(), model, encoding, s.batchSizePerWorker(), invalid);
      JavaRDD<DataSet> validation =
          TrainingData.dataSets(
              examples.validation(), model, encoding, s.batchSizePerWorker(), invalid);
      long trainRows = examples.counts().get(TrainExamples.TRAIN);
      int classes = model.numClasses();

      // The teacher: the champion fine-tuned, or the configured architecture from scratch.
      MultiLayerNetwork start;
      if (champion.isPresent()) {
        start = champion.get().network().clone();
        start.setLearningRate(s.teacher().learningRate());
        LOG.info("train: fine-tuning the champion {}", championEntry.get().ref());
      } else {
        start =
            Networks.classifier(
                encoding.width(),
                s.teacher().hidden(),
                classes,
                s.teacher().learningRate(),
                s.seed());
        LOG.info(
            "train: no champion for model {}; training {} from scratch",
            model.name(),
            s.teacher().hidden());
      }

      // The distillation teacher (this run's teacher unless a registry version is configured) and
      // the student, checked for size before any training starts.
      Optional<MultiLayerNetwork> configuredTeacher =
          s.teacherVersion().isPresent()
              ? Optional.of(
                  load(
                          store,
                          registry
                              .get(model.name(), s.teacherVersion().getAsInt())
                              .orElseThrow(
                                  () ->
                                      new ConfigError(
                                          "lakeloop.train.distillation.teacher: model "
                                              + model.name()
                                              + " has no version "
                                              + s.teacherVersion().getAsInt()
                                              + " in the registry")),
                          scratch.resolve("teacher.zip"))
                      .network())
              : Optional.empty();

      MultiLayerNetwork studentStart =
          Networks.mlp(
              encoding.width(),
              s.student().hidden(),
              classes,
              Activation.IDENTITY,
              new DistillationLoss(s.alpha(), s.temperature()),
              s.student().learningRate(),
              s.seed() + 1);
      checkStudentSize(
          studentStart.numParams(),
          configuredTeacher.map(MultiLayerNetwork::numParams).orElse(start.numParams()),
          s);

      // Candidates an earlier attempt of this run committed before it stopped (killed after a
      // registry commit, say) are reused as they are instead of trained again: DL4J's result
      // differs in its bytes from one training to the next, so registering a retrained one would
      // give the run a second teacher or student.
      Map<String, ModelRegistry.Entry> earlier =
          committedCandidates(registry.versions(model.name()), model.name(), ctx.runId());
      Map<String, ModelArtifact> reused = new LinkedHashMap<>();
      earlier.forEach(
          (role, e) -> reused.put(role, load(store, e, scratch.resolve(role + "-committed.zip"))));
      if (!earlier.isEmpty()) {
        LOG.warn(
            "train: an earlier attempt of run {} registered {} before it stopped; reusing {}"
                + " instead of training again",
            ctx.runId(),
            earlier.values().stream().map(ModelRegistry.Entry::ref).toList(),
            earlier.keySet());
      }
      Optional<SparkTrainer.Result> teacher =
          reused.containsKey(TEACHER)
              ? Optional.empty()
              : Optional.of(
                  SparkTrainer.train(
                      sc, start, train, validation, trainRows, s.trainer(s.teacher())));
      ModelArtifact teacherModel =
          reused.containsKey(TEACHER)
              ? reused.get(TEACHER)
              : new ModelArtifact(teacher.get().network(), encoding);
      MultiLayerNetwork distillFrom = configuredTeacher.orElse(teacherModel.network());
      Optional<SparkTrainer.Result> distilled =
          reused.containsKey(STUDENT)
              ? Optional.empty()
              : Optional.of(
                  SparkTrainer.train(
                      sc,
                      studentStart,
                      SoftTargets.attach(sc, distillFrom, train, s.temperature()),
                      validation,
                      trainRows,
                      s.trainer(s.student())));
      ModelArtifact studentModel =
          reused.containsKey(STUDENT)
              ? reused.get(STUDENT)
              : new ModelArtifact(Networks.asClassifier(distilled.get().network()), encoding);
      SparkTrainer.Result hard =
          SparkTrainer.train(
              sc,
              Networks.classifier(
                  encoding.width(),
                  s.student().hidden(),
                  classes,
                  s.student().learningRate(),
                  s.seed() + 1),
              train,
              validation,
              trainRows,
              s.trainer(s.student()));
      if (invalid.value() > 0) {
        LOG.warn(
            "train: {} labeled rows had a label that is not a class index of model {} and were"
                + " left out",
            invalid.value(),
            model.name());
      }
      summary.put("invalid_labels", Long.toString(invalid.value()));

      Map<String, ModelArtifact> models = new LinkedHashMap<>();
      models.put(TEACHER, teacherModel);
      models.put(STUDENT, studentModel);
      models.put(STUDENT_HARD, new ModelArtifact(hard.network(), encoding));
      champion.ifPresent(c -> models.put(GateRun.CHAMPION, c));
      GateRun gate =
          GateRun.evaluate(
              model,
              EvalSettings.from(ctx.config()),
              ctx.runId(),
              examples.holdout(),
              models,
              championEntry.isPresent());
      Map<String, Map<String, Double>> held = gate.metrics();

      List<Gate.Candidate> candidates =
          List.of(
              new Gate.Candidate(TEACHER, teacherModel.network().numParams(), held.get(TEACHER)),
              new Gate.Candidate(STUDENT, studentModel.network().numParams(), held.get(STUDENT)));
      Gate.Decision decision =
          Gate.decide(s.gate(), candidates, Optional.ofNullable(held.get(gate.championKey())));

      // Artifacts first, then the registry rows.
      Map<String, ModelRegistry.Entry> registered = new LinkedHashMap<>();
      Integer parent = championEntry.map(ModelRegistry.Entry::version).orElse(null);
      ModelRegistry.Entry teacherEntry =
          earlier.containsKey(TEACHER)
              ? earlier.get(TEACHER)
              : register(
                  registry,
                  store,
                  model,
                  ctx.runId(),
                  models.get(TEACHER),
                  scratch.resolve("teacher-candidate.zip"),
                  parent,
                  examples.lineage(),
                  metrics(held.get(TEACHER), teacher.get(), hyperParameters(s, s.teacher())));
      registered.put(TEACHER, teacherEntry);
      Map<String, Double> studentExtra = new LinkedHashMap<>(hyperParameters(s, s.student()));
      held.get(STUDENT_HARD).forEach((k, v) -> studentExtra.put("hard_label_student." + k, v));
      studentExtra.put("hard_label_student.parameters", (double) hard.network().numParams());
      studentExtra.put("hp.distillation.alpha", s.alpha());
      studentExtra.put("hp.distillation.temperature", s.temperature());
      registered.put(
          STUDENT,
          earlier.containsKey(STUDENT)
              ? earlier.get(STUDENT)
              : register(
                  registry,
                  store,
                  model,
                  ctx.runId(),
                  models.get(STUDENT),
                  scratch.resolve("student-candidate.zip"),
                  s.teacherVersion().isPresent()
                      ? Integer.valueOf(s.teacherVersion().getAsInt())
                      : Integer.valueOf(teacherEntry.version()),
                  examples.lineage(),
                  metrics(held.get(STUDENT), distilled.get(), studentExtra)));

      gate.record(model.name(), decision, registered, date, ctx.tables());
      ctx.tables().wrote(Tables.MODEL_REGISTRY);

      Optional<ModelRegistry.Entry> winner = decision.winner().map(w -> registered.get(w.name()));
      if (winner.isPresent()) {
        Optional<Integer> current = registry.alias(model.name(), ModelRegistry.CHALLENGER);
        if (!registry.setAlias(
            model.name(), ModelRegistry.CHALLENGER, current, winner.get().version(), ctx.runId())) {
          throw new LakeloopException(
              "train: the challenger alias of model "
                  + model.name()
                  + " changed while this run was deciding; rerun to decide again");
        }
        ctx.tables().wrote(Tables.MODEL_ALIASES);
      }

      summary.put("champion", gate.championLabel());
      held.forEach(
          (m, ms) -> {
            Double primary = ms.get(s.gate().primaryMetric());
            summary.put(m + "." + s.gate().primaryMetric(), primary == null ? "" : fmt(primary));
          });
      summary.put("teacher.parameters", Long.toString(teacherModel.network().numParams()));
      summary.put("student.parameters", Long.toString(studentModel.network().numParams()));
      summary.put("teacher.version", Integer.toString(teacherEntry.version()));
      summary.put("student.version", Integer.toString(registered.get(STUDENT).version()));
      summary.put("decision", decision.summary(s.gate().primaryMetric()));
      winner.ifPresent(w -> summary.put("winner", w.ref()));
      teacher.ifPresent(r -> putTraining(summary, TEACHER, r));
      distilled.ifPresent(r -> putTraining(summary, STUDENT, r));
      putTraining(summary, STUDENT_HARD, hard);
      earlier.forEach((role, e) -> summary.put(role + ".reused", e.ref()));
      String out = report(model, s, examples, gate, decision, registered, winner, held);
      return new JobResult(out, summary, winner.isPresent() ? JobLauncher.OK : NOTHING_BLESSED);
    } finally {
      Scratch.delete(scratch);
    }
  }

  /**
   * The candidates an earlier, unfinished attempt of run {@code runId} registered, by role: a run
   * registers its teacher, then its student, so its candidate rows in version order are the teacher
   * and the student. More than two means the registry was written by something else under this run
   * id, and nothing is guessed.
   */
  static Map<String, ModelRegistry.Entry> committedCandidates(
      List<ModelRegistry.Entry> versions, String model, String runId) {
    List<ModelRegistry.Entry> mine =
        versions.stream()
            .filter(e -> runId.equals(e.runId()) && ModelRegistry.CANDIDATE.equals(e.status()))
            .sorted(Comparator.comparingInt(ModelRegistry.Entry::version))
            .toList();
    List<String> roles = List.of(TEACHER, STUDENT);
    if (mine.size() > roles.size()) {
      throw new LakeloopException(
          "train: the registry already has "
              + mine.size()
              + " candidates of model "
              + model
              + " from run "
              + runId
              + " ("
              + mine.stream().map(ModelRegistry.Entry::ref).toList()
              + "), more than one teacher and one student; start a new run with another --run-id");
    }
    Map<String, ModelRegistry.Entry> out = new LinkedHashMap<>();
    for (int i = 0; i < mine.size(); i++) {
      out.put(roles.get(i), mine.get(i));
    }
    return out;
  }

  static void checkStudentSize(long student, long teacher, TrainSettings s) {
    if (student > s.maxStudentShare() * teacher) {
      throw new ConfigError(
          String.format(
              Locale.ROOT,
              "lakeloop.train.student.hidden %s gives %d parameters, more than"
                  + " lakeloop.train.student.max-parameter-share (%.3f) of the teacher's %d:"
                  + " use smaller student layers",
              s.student().hidden(),
              student,
              s.maxStudentShare(),
              teacher));
    }
  }

  private static ModelArtifact load(ArtifactStore store, ModelRegistry.Entry e, Path local) {
    LOG.info("train: loading {} from {}", e.ref(), e.artifactUri());
    return ModelArtifact.fetch(store, e, local);
  }

  private static ModelRegistry.Entry register(
      ModelRegistry registry,
      ArtifactStore store,
      ModelSpec model,
      String runId,
      ModelArtifact artifact,
      Path local,
      Integer parent,
      List<ModelRegistry.Lineage> lineage,
      Map<String, Double> metrics) {
    artifact.write(local.toFile());
    ArtifactStore.Stored stored = store.put(model.name(), local, "zip");
    return registry.register(
        ModelRegistry.Entry.of(
            model.name(),
            stored,
            ModelArtifact.FORMAT,
            parent,
            lineage,
            metrics,
            null,
            ModelRegistry.CANDIDATE,
            runId));
  }

  /** How a candidate was trained, as registry metrics under {@code hp.}. */
  static Map<String, Double> hyperParameters(TrainSettings s, TrainSettings.Architecture a) {
    Map<String, Double> hp = new LinkedHashMap<>();
    for (int i = 0; i < a.hidden().size(); i++) {
      hp.put("hp.hidden." + i, (double) a.hidden().get(i));
    }
    hp.put("hp.learning_rate", a.learningRate());
    hp.put("hp.max_epochs", (double) a.epochs());
    hp.put("hp.patience", (double) a.patience());
    hp.put("hp.batch_size_per_worker", (double) s.batchSizePerWorker());
    hp.put("hp.averaging_frequency", (double) s.averagingFrequency());
    hp.put("hp.seed", (double) s.seed());
    hp.put("hp.window_days", (double) s.windowDays());
    hp.put("hp.replay_days", (double) s.replayDays());
    hp.put("hp.replay_fraction", s.replayFraction());
    return hp;
  }

  /** Held-out metrics plus the training figures of a candidate, for its registry row. */
  private static Map<String, Double> metrics(
      Map<String, Double> heldOut, SparkTrainer.Result r, Map<String, Double> extra) {
    Map<String, Double> m = new LinkedHashMap<>();
    heldOut.forEach((k, v) -> m.put("holdout." + k, v));
    m.put("parameters", (double) r.network().numParams());
    m.put("best_epoch", (double) r.bestEpoch());
    m.put("epochs", (double) r.epochs().size());
    SparkTrainer.Epoch best = r.epochs().get(r.bestEpoch() - 1);
    m.put("validation_accuracy", best.validationAccuracy());
    m.put("examples_per_second", r.meanExamplesPerSecond());
    // Every epoch's figures, so the report can draw the learning curves from the registry alone.
    for (SparkTrainer.Epoch e : r.epochs()) {
      m.put("epoch." + e.epoch() + ".loss", e.loss());
      m.put("epoch." + e.epoch() + ".validation_accuracy", e.validationAccuracy());
    }
    m.putAll(extra);
    return m;
  }

  private static void putTraining(Map<String, String> summary, String name, SparkTrainer.Result r) {
    summary.put(name + ".epochs", r.bestEpoch() + "/" + r.epochs().size());
    summary.put(name + ".examples_per_second", fmt(r.meanExamplesPerSecond()));
    r.statsMillis().forEach((k, v) -> summary.put(name + ".dl4j_stats_ms." + k, Long.toString(v)));
  }

  private static String report(
      ModelSpec model,
      TrainSettings s,
      TrainExamples examples,
      GateRun gate,
      Gate.Decision decision,
      Map<String, ModelRegistry.Entry> registered,
      Optional<ModelRegistry.Entry> winner,
      Map<String, Map<String, Double>> held) {
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "model %s: window %s..%s (%s): trained on %d rows, early stopping on %d, gated on %d"
                + " held-out rows of the window",
            model.name(),
            examples.windowStart(),
            examples.lastDate(),
            s.replayDays() == 0 || s.replayFraction() == 0
                ? "no replay"
                : String.format(
                    Locale.ROOT,
                    "replay: %.0f %% of %s..%s",
                    100 * s.replayFraction(),
                    examples.firstDate(),
                    examples.windowStart().minusDays(1)),
            examples.counts().get(TrainExamples.TRAIN),
            examples.counts().get(TrainExamples.VALIDATION),
            examples.counts().get(TrainExamples.HOLDOUT)));
    lines.add(
        String.format(
            Locale.ROOT,
            "  %-22s %10s %9s %9s %9s",
            "model",
            "params",
            "accuracy",
            "roc_auc",
            "log_loss"));
    for (Map.Entry<String, Map<String, Double>> e : held.entrySet()) {
      String name = e.getKey().equals(gate.championKey()) ? gate.championLabel() : e.getKey();
      ModelRegistry.Entry reg = registered.get(e.getKey());
      if (reg != null) {
        name = e.getKey() + " (" + reg.ref() + ")";
      }
      lines.add(
          String.format(
              Locale.ROOT,
              "  %-22s %10s %9s %9s %9s",
              name,
              gate.parameters(e.getKey()).map(Object::toString).orElse("-"),
              num(e.getValue().get("accuracy")),
              num(e.getValue().get("roc_auc")),
              num(e.getValue().get("log_loss"))));
    }
    Map<String, Double> distilled = held.get(STUDENT);
    Map<String, Double> hardOnly = held.get(STUDENT_HARD);
    String pm = s.gate().primaryMetric();
    if (distilled.get(pm) != null && hardOnly.get(pm) != null) {
      lines.add(
          "  distillation vs the same student on hard labels: "
              + distillationVerdict(
                  pm,
                  distilled.get(pm),
                  hardOnly.get(pm),
                  s.gate().primaryHigherIsBetter(),
                  examples.counts().get(TrainExamples.HOLDOUT)));
    }
    for (Gate.Verdict v : decision.verdicts()) {
      lines.add("  gate: " + v.candidate().name() + " " + (v.blessed() ? "BLESSED" : "REJECTED"));
      for (Gate.Check c : v.checks()) {
        lines.add("    " + (c.passed() ? "ok   " : "FAIL ") + c.reason());
      }
    }
    lines.add("  " + decision.summary(pm));
    winner.ifPresent(
        w ->
            lines.add(
                "  challenger alias -> "
                    + w.ref()
                    + " (the compression job's input); the champion is unchanged"));
    return String.join("\n", lines);
  }

  /**
   * Whether distillation helped, said no more strongly than the held-out data allows: for accuracy
   * a difference within two standard errors of the difference of two proportions over {@code n}
   * rows (unpaired, so conservative for these paired predictions) is called noise; other metrics
   * get the difference only.
   */
  static String distillationVerdict(
      String metric, double distilled, double hardOnly, boolean higherIsBetter, long n) {
    double gain = distilled - hardOnly;
    String diff = String.format(Locale.ROOT, "%s %+.4f", metric, gain);
    if (!metric.equals("accuracy") || n < 1) {
      return diff + " (no interval for this metric)";
    }
    double se = Math.sqrt((distilled * (1 - distilled) + hardOnly * (1 - hardOnly)) / (double) n);
    String bound = String.format(Locale.ROOT, "two standard errors: %.4f", 2 * se);
    if (Math.abs(gain) <= 2 * se) {
      return diff + " — within noise on " + n + " held-out rows (" + bound + ")";
    }
    boolean better = higherIsBetter ? gain > 0 : gain < 0;
    return diff
        + (better ? " — distillation helped" : " — distillation did worse on this data")
        + " ("
        + bound
        + ")";
  }

  private static String num(Double x) {
    return x == null ? "-" : fmt(x);
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4f", x);
  }
}
