package io.lakeloop.modeling.train;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
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
import io.lakeloop.monitoring.evaluate.Measures;
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
public final class TrainJob
    implements StagedJob<TrainJob.Planned, TrainJob.Computed, TrainJob.Outcome> {
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

  /**
   * The model, the last day of new data, the training settings, and the tune winner they took the
   * teacher's configuration from (with {@code from-tuning = latest}).
   */
  public record Planned(
      ModelSpec model,
      LocalDate date,
      TrainSettings settings,
      Optional<TunedConfiguration.Winner> tuned) {}

  /**
   * What the run starts from: the champion (if any) and its registry entry, the feature encoding
   * (the champion's, or fitted on the training rows), the teacher's starting network, the
   * configured distillation teacher (if any) and the student's starting network.
   */
  record Starts(
      Optional<ModelRegistry.Entry> championEntry,
      Optional<ModelArtifact> champion,
      FeatureEncoding encoding,
      MultiLayerNetwork teacher,
      Optional<MultiLayerNetwork> configuredTeacher,
      MultiLayerNetwork student) {}

  /**
   * The candidates: teacher and student as trained now or as an earlier attempt of the run
   * committed them ({@code earlier}, by role; their training results are then absent), the
   * hard-label student, and the labels left out as invalid.
   */
  record Trained(
      Map<String, ModelRegistry.Entry> earlier,
      Optional<SparkTrainer.Result> teacher,
      Optional<SparkTrainer.Result> distilled,
      SparkTrainer.Result hard,
      ModelArtifact teacherModel,
      ModelArtifact studentModel,
      long invalidLabels) {}

  /**
   * The training rows (cached), the scratch folder of fetched artifacts, the candidates and the
   * gate's verdicts; closing it releases the rows and deletes the folder.
   */
  public record Computed(
      TrainExamples examples,
      Path scratch,
      Starts starts,
      Trained trained,
      GateRun gate,
      Gate.Decision decision)
      implements AutoCloseable {
    @Override
    public void close() {
      Scratch.release(examples, scratch);
    }

    Map<String, Map<String, Double>> held() {
      return gate.metrics();
    }
  }

  /** The candidates registered (by role) and the gate's winner, now the challenger. */
  public record Outcome(
      Planned planned,
      Computed computed,
      Map<String, ModelRegistry.Entry> registered,
      Optional<ModelRegistry.Entry> winner) {}

  /** Registered candidates are not registered twice: a succeeded run answers so. */
  @Override
  public boolean skipsSucceededRun() {
    return true;
  }

  @Override
  public Planned plan(JobContext ctx) {
    ModelSpec model = ctx.model();
    LocalDate date = TrainExamples.lastDay(ctx.logicalDate(), "train");
    TrainSettings settings = TrainSettings.from(ctx.config(), model.task());
    if (!settings.fromTuning()) {
      return new Planned(model, date, settings, Optional.empty());
    }
    // the one read of a plan: which configuration to train decides the whole run
    TunedConfiguration.Winner tuned =
        TunedConfiguration.latest(ctx.tables(), model.name(), date)
            .orElseThrow(
                () ->
                    new ConfigError(
                        "train: lakeloop.train.from-tuning = latest, but tuning_trials has no"
                            + " search of model "
                            + model.name()
                            + " dated on or before "
                            + date
                            + " with a winner: run bin/lakeloop tune --date "
                            + date
                            + " first, or set lakeloop.train.from-tuning = none"));
    LOG.info(
        "train: the teacher is tune run {}'s winner ({}; validation accuracy {})",
        tuned.runId(),
        tuned.hyper(),
        tuned.accuracy());
    return new Planned(model, date, settings.withTeacher(tuned.hyper()), Optional.of(tuned));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    Path scratch = Scratch.create("lakeloop-train-");
    TrainExamples examples = null;
    try {
      examples = TrainExamples.read(ctx.tables(), p.model(), p.settings(), p.date());
      LOG.info(
          "train: {} labeled rows for training, {} for validation, {} held out (event dates {} to"
              + " {})",
          examples.counts().get(TrainExamples.TRAIN),
          examples.counts().get(TrainExamples.VALIDATION),
          examples.counts().get(TrainExamples.HOLDOUT),
          examples.firstDate(),
          p.date());
      ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
      ArtifactStore store = store(ctx);
      Starts starts = starts(registry, store, p, examples, scratch);
      Trained trained = train(ctx, registry, store, p, examples, starts, scratch);
      Map<String, ModelArtifact> models = new LinkedHashMap<>();
      models.put(TEACHER, trained.teacherModel());
      models.put(STUDENT, trained.studentModel());
      models.put(STUDENT_HARD, new ModelArtifact(trained.hard().network(), starts.encoding()));
      starts.champion().ifPresent(c -> models.put(GateRun.CHAMPION, c));
      GateRun gate =
          GateRun.evaluate(
              p.model(),
              EvalSettings.from(ctx.config()),
              Measures.of(ctx.config(), p.model()),
              ctx.runId(),
              examples.holdout(),
              models,
              starts.championEntry().isPresent());
      Map<String, Map<String, Double>> held = gate.metrics();
      List<Gate.Candidate> candidates =
          List.of(
              new Gate.Candidate(
                  TEACHER, trained.teacherModel().network().numParams(), held.get(TEACHER)),
              new Gate.Candidate(
                  STUDENT, trained.studentModel().network().numParams(), held.get(STUDENT)));
      Gate.Decision decision =
          Gate.decide(
              p.settings().gate(), candidates, Optional.ofNullable(held.get(gate.championKey())));
      return new Computed(examples, scratch, starts, trained, gate, decision);
    } catch (RuntimeException | Error e) {
      Scratch.release(examples, scratch);
      throw e;
    }
  }

  /**
   * The teacher's start (the champion fine-tuned, or the configured architecture from scratch), the
   * configured distillation teacher and the student, checked for size before any training.
   */
  private static Starts starts(
      ModelRegistry registry,
      ArtifactStore store,
      Planned p,
      TrainExamples examples,
      Path scratch) {
    ModelSpec model = p.model();
    TrainSettings s = p.settings();
    Optional<ModelRegistry.Entry> championEntry =
        registry.resolve(model.name(), ModelRegistry.CHAMPION);
    Optional<ModelArtifact> champion =
        championEntry.map(e -> load(store, e, scratch.resolve("champion.zip")));
    FeatureEncoding encoding =
        champion
            .map(ModelArtifact::encoding)
            .orElseGet(() -> TrainingData.fit(examples.train(), model, s.maxCategories()));
    MultiLayerNetwork start;
    if (champion.isPresent() && p.tuned().isEmpty()) {
      start = champion.get().network().clone();
      start.setLearningRate(s.teacher().learningRate());
      LOG.info("train: fine-tuning the champion {}", championEntry.get().ref());
    } else {
      start = network(encoding.width(), s.teacher(), model, s.seed());
      LOG.info(
          "train: {}; training {} from scratch",
          p.tuned().isPresent()
              ? "the tuned configuration"
              : "no champion for model " + model.name(),
          s.teacher().hidden());
    }
    Optional<MultiLayerNetwork> configuredTeacher =
        s.teacherVersion().isPresent()
            ? Optional.of(configuredTeacher(registry, store, model, s, scratch).network())
            : Optional.empty();
    // a classifier's student learns logits with the distillation loss; a regressor's student is
    // a regressor that learns blended targets (SoftTargets.blend)
    MultiLayerNetwork student =
        model.task().isClassification()
            ? Networks.mlp(
                encoding.width(),
                s.student().hidden(),
                model.numClasses(),
                Activation.IDENTITY,
                new DistillationLoss(s.alpha(), s.temperature()),
                s.student().learningRate(),
                s.student().l2(),
                s.student().dropout(),
                s.seed() + 1)
            : network(encoding.width(), s.student(), model, s.seed() + 1);
    checkStudentSize(
        student.numParams(),
        configuredTeacher.map(MultiLayerNetwork::numParams).orElse(start.numParams()),
        s);
    return new Starts(championEntry, champion, encoding, start, configuredTeacher, student);
  }

  /**
   * A network of an architecture's shape, learning rate and regularisation for the model's task: a
   * classifier over its classes, or a regressor.
   */
  private static MultiLayerNetwork network(
      int inputs, TrainSettings.Architecture a, ModelSpec model, long seed) {
    return model.task().isClassification()
        ? Networks.classifier(
            inputs, a.hidden(), model.numClasses(), a.learningRate(), a.l2(), a.dropout(), seed)
        : Networks.regressor(inputs, a.hidden(), a.learningRate(), a.l2(), a.dropout(), seed);
  }

  /** The registry version lakeloop.train.distillation.teacher names, fetched. */
  private static ModelArtifact configuredTeacher(
      ModelRegistry registry, ArtifactStore store, ModelSpec model, TrainSettings s, Path scratch) {
    int version = s.teacherVersion().getAsInt();
    ModelRegistry.Entry e =
        registry
            .get(model.name(), version)
            .orElseThrow(
                () ->
                    new ConfigError(
                        "lakeloop.train.distillation.teacher: model "
                            + model.name()
                            + " has no version "
                            + version
                            + " in the registry"));
    return load(store, e, scratch.resolve("teacher.zip"));
  }

  /**
   * Trains the teacher, distils the student from it (or from the configured teacher) and trains the
   * same student on the hard labels alone. Candidates an earlier attempt of this run committed
   * before it stopped (killed after a registry commit, say) are reused as they are instead of
   * trained again: DL4J's result differs in its bytes from one training to the next, so registering
   * a retrained one would give the run a second teacher or student.
   */
  private static Trained train(
      JobContext ctx,
      ModelRegistry registry,
      ArtifactStore store,
      Planned p,
      TrainExamples examples,
      Starts starts,
      Path scratch) {
    ModelSpec model = p.model();
    TrainSettings s = p.settings();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(ctx.spark().sparkContext());
    LongAccumulator invalid = ctx.spark().sparkContext().longAccumulator("invalid labels");
    FeatureEncoding encoding = starts.encoding();
    JavaRDD<DataSet> train =
        TrainingData.dataSets(examples.train(), model, encoding, s.batchSizePerWorker(), invalid);
    JavaRDD<DataSet> validation =
        TrainingData.dataSets(
            examples.validation(), model, encoding, s.batchSizePerWorker(), invalid);
    long trainRows = examples.counts().get(TrainExamples.TRAIN);
    Map<String, ModelRegistry.Entry> earlier =
        committedCandidates(registry.versions(model.name()), model.name(), ctx.runId());
    Map<String, ModelArtifact> reused = reuse(store, earlier, ctx.runId(), scratch);
    Optional<SparkTrainer.Result> teacher =
        reused.containsKey(TEACHER)
            ? Optional.empty()
            : Optional.of(
                SparkTrainer.train(
                    sc, starts.teacher(), train, validation, trainRows, s.trainer(s.teacher())));
    ModelArtifact teacherModel =
        reused.containsKey(TEACHER)
            ? reused.get(TEACHER)
            : new ModelArtifact(teacher.get().network(), encoding);
    MultiLayerNetwork distillFrom = starts.configuredTeacher().orElse(teacherModel.network());
    boolean classification = model.task().isClassification();
    Optional<SparkTrainer.Result> distilled =
        reused.containsKey(STUDENT)
            ? Optional.empty()
            : Optional.of(
                SparkTrainer.train(
                    sc,
                    starts.student(),
                    classification
                        ? SoftTargets.attach(sc, distillFrom, train, s.temperature())
                        : SoftTargets.blend(sc, distillFrom, train, s.alpha()),
                    validation,
                    trainRows,
                    s.trainer(s.student())));
    ModelArtifact studentModel =
        reused.containsKey(STUDENT)
            ? reused.get(STUDENT)
            : new ModelArtifact(
                classification
                    ? Networks.asClassifier(distilled.get().network())
                    : distilled.get().network(),
                encoding);
    // the same student architecture on the hard labels alone: did distillation help?
    SparkTrainer.Result hard =
        SparkTrainer.train(
            sc,
            network(encoding.width(), s.student(), model, s.seed() + 1),
            train,
            validation,
            trainRows,
            s.trainer(s.student()));
    if (invalid.value() > 0) {
      LOG.warn(
          "train: {} labeled rows had a label that is not {} of model {} and were left out",
          invalid.value(),
          classification ? "a class index" : "a finite number",
          model.name());
    }
    return new Trained(
        earlier, teacher, distilled, hard, teacherModel, studentModel, invalid.value());
  }

  /** The candidates an earlier attempt of the run committed, fetched, by role. */
  private static Map<String, ModelArtifact> reuse(
      ArtifactStore store, Map<String, ModelRegistry.Entry> earlier, String runId, Path scratch) {
    Map<String, ModelArtifact> reused = new LinkedHashMap<>();
    earlier.forEach(
        (role, e) -> reused.put(role, load(store, e, scratch.resolve(role + "-committed.zip"))));
    if (!earlier.isEmpty()) {
      LOG.warn(
          "train: an earlier attempt of run {} registered {} before it stopped; reusing {}"
              + " instead of training again",
          runId,
          earlier.values().stream().map(ModelRegistry.Entry::ref).toList(),
          earlier.keySet());
    }
    return reused;
  }

  /**
   * Registers the teacher, then the student (each artifact first, then its registry row; a
   * candidate an earlier attempt committed is kept as it is), records every gate check, and points
   * the challenger alias at the winner.
   */
  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    ModelSpec model = p.model();
    TrainSettings s = p.settings();
    ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
    ArtifactStore store = store(ctx);
    Trained t = c.trained();
    Map<String, Map<String, Double>> held = c.held();
    List<ModelRegistry.Lineage> lineage = c.examples().lineage();
    Map<String, ModelRegistry.Entry> registered = new LinkedHashMap<>();
    // a tuned teacher is trained from scratch: it derives from no registered model
    Integer parent =
        p.tuned().isPresent()
            ? null
            : c.starts().championEntry().map(ModelRegistry.Entry::version).orElse(null);
    ModelRegistry.Entry teacherEntry =
        t.earlier().containsKey(TEACHER)
            ? t.earlier().get(TEACHER)
            : register(
                registry,
                store,
                model,
                ctx.runId(),
                t.teacherModel(),
                c.scratch().resolve("teacher-candidate.zip"),
                parent,
                lineage,
                metrics(held.get(TEACHER), t.teacher().get(), hyperParameters(s, s.teacher())));
    registered.put(TEACHER, teacherEntry);
    registered.put(
        STUDENT,
        t.earlier().containsKey(STUDENT)
            ? t.earlier().get(STUDENT)
            : register(
                registry,
                store,
                model,
                ctx.runId(),
                t.studentModel(),
                c.scratch().resolve("student-candidate.zip"),
                s.teacherVersion().isPresent()
                    ? Integer.valueOf(s.teacherVersion().getAsInt())
                    : Integer.valueOf(teacherEntry.version()),
                lineage,
                metrics(held.get(STUDENT), t.distilled().get(), studentExtra(s, t, held))));
    c.gate().record(model.name(), c.decision(), registered, p.date(), ctx.tables());
    ctx.tables().wrote(Tables.MODEL_REGISTRY);
    Optional<ModelRegistry.Entry> winner = c.decision().winner().map(w -> registered.get(w.name()));
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
    return new Outcome(p, c, registered, winner);
  }

  /** The distilled student's registry extras: the hard-label student's figures, α and T. */
  private static Map<String, Double> studentExtra(
      TrainSettings s, Trained t, Map<String, Map<String, Double>> held) {
    Map<String, Double> extra = new LinkedHashMap<>(hyperParameters(s, s.student()));
    held.get(STUDENT_HARD).forEach((k, v) -> extra.put("hard_label_student." + k, v));
    extra.put("hard_label_student.parameters", (double) t.hard().network().numParams());
    extra.put("hp.distillation.alpha", s.alpha());
    extra.put("hp.distillation.temperature", s.temperature());
    return extra;
  }

  @Override
  public JobResult render(Outcome o) {
    Computed c = o.computed();
    TrainSettings s = o.planned().settings();
    Trained t = c.trained();
    TrainExamples examples = c.examples();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("window", examples.windowStart() + ".." + o.planned().date());
    summary.put("replay_from", examples.firstDate().toString());
    examples.counts().forEach((k, v) -> summary.put("rows_" + k, Long.toString(v)));
    summary.put("invalid_labels", Long.toString(t.invalidLabels()));
    summary.put("champion", c.gate().championLabel());
    o.planned().tuned().ifPresent(w -> summary.put("tuned_by", w.runId()));
    c.held()
        .forEach(
            (m, ms) -> {
              Double primary = ms.get(s.gate().primaryMetric());
              summary.put(m + "." + s.gate().primaryMetric(), primary == null ? "" : fmt(primary));
            });
    summary.put("teacher.parameters", Long.toString(t.teacherModel().network().numParams()));
    summary.put("student.parameters", Long.toString(t.studentModel().network().numParams()));
    summary.put("teacher.version", Integer.toString(o.registered().get(TEACHER).version()));
    summary.put("student.version", Integer.toString(o.registered().get(STUDENT).version()));
    summary.put("decision", c.decision().summary(s.gate().primaryMetric()));
    o.winner().ifPresent(w -> summary.put("winner", w.ref()));
    t.teacher().ifPresent(r -> putTraining(summary, TEACHER, r));
    t.distilled().ifPresent(r -> putTraining(summary, STUDENT, r));
    putTraining(summary, STUDENT_HARD, t.hard());
    t.earlier().forEach((role, e) -> summary.put(role + ".reused", e.ref()));
    String out =
        report(
            o.planned().model(),
            s,
            o.planned().tuned(),
            examples,
            c.gate(),
            c.decision(),
            o.registered(),
            o.winner(),
            c.held());
    return new JobResult(out, summary, o.winner().isPresent() ? JobLauncher.OK : NOTHING_BLESSED);
  }

  private static ArtifactStore store(JobContext ctx) {
    return new ArtifactStore(
        ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
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
    if (!s.studentFits(student, teacher)) {
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
    hp.put("hp.l2", a.l2());
    hp.put("hp.dropout", a.dropout());
    hp.put("hp.max_epochs", (double) a.epochs());
    hp.put("hp.patience", (double) a.patience());
    hp.put("hp.early_stopping_on_loss", s.trainer(a).onLoss() ? 1.0 : 0.0);
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
    if (!Double.isNaN(best.validationAccuracy())) {
      m.put("validation_accuracy", best.validationAccuracy());
    }
    if (!Double.isNaN(best.validationLoss())) {
      m.put("validation_loss", best.validationLoss());
    }
    m.put("examples_per_second", r.meanExamplesPerSecond());
    // Every epoch's figures, so the report can draw the learning curves from the registry alone.
    for (SparkTrainer.Epoch e : r.epochs()) {
      m.put("epoch." + e.epoch() + ".loss", e.loss());
      if (!Double.isNaN(e.validationAccuracy())) {
        m.put("epoch." + e.epoch() + ".validation_accuracy", e.validationAccuracy());
      }
      if (!Double.isNaN(e.validationLoss())) {
        m.put("epoch." + e.epoch() + ".validation_loss", e.validationLoss());
      }
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
      Optional<TunedConfiguration.Winner> tuned,
      TrainExamples examples,
      GateRun gate,
      Gate.Decision decision,
      Map<String, ModelRegistry.Entry> registered,
      Optional<ModelRegistry.Entry> winner,
      Map<String, Map<String, Double>> held) {
    List<String> lines = new ArrayList<>();
    lines.add(headline(model, s, examples));
    tuned.ifPresent(
        w ->
            lines.add(
                "  teacher: tune run "
                    + w.runId()
                    + " ("
                    + w.date()
                    + ")'s winner, trained from scratch: "
                    + w.hyper()));
    List<String> columns = reportedMetrics(model);
    lines.add(
        String.format(
            Locale.ROOT,
            "  %-22s %10s %9s %9s %9s",
            "model",
            "params",
            columns.get(0),
            columns.get(1),
            columns.get(2)));
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
              num(e.getValue().get(columns.get(0))),
              num(e.getValue().get(columns.get(1))),
              num(e.getValue().get(columns.get(2)))));
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

  /** The held-out metrics the run's table shows, by the model's task. */
  static List<String> reportedMetrics(ModelSpec model) {
    return model.task().isClassification()
        ? List.of("accuracy", "roc_auc", "log_loss")
        : List.of("rmse", "mae", "r2");
  }

  /** The run's first line: the window, the replay and the row counts. */
  private static String headline(ModelSpec model, TrainSettings s, TrainExamples examples) {
    return String.format(
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
        examples.counts().get(TrainExamples.HOLDOUT));
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
