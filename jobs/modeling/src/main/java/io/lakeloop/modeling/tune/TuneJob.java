package io.lakeloop.modeling.tune;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.modeling.Scratch;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.model.Hyper;
import io.lakeloop.modeling.train.TrainExamples;
import io.lakeloop.modeling.train.TrainSettings;
import io.lakeloop.modeling.train.TrainingData;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop tune}: a hyper-parameter search before training. Reads the training and
 * validation rows exactly as {@code train} splits them (the gate's held-out rows are never read),
 * encodes a seeded sample of each once (the champion's encoding when there is one, as {@code train}
 * does), broadcasts it, and runs every trial of a rung as a Spark task of its own ({@link Trials}):
 * successive halving by default, or a full grid or a random sample of it ({@link Search}). Every
 * trial of every rung becomes a row of {@code tuning_trials}, the winner marked; {@code train} with
 * {@code lakeloop.train.from-tuning = latest} trains the winner's configuration. Costs: two scans
 * of the split rows to sample them, then one Spark job per rung. A succeeded run id is not run
 * again; a rerun of a failed one replaces its rows.
 */
public final class TuneJob
    implements StagedJob<TuneJob.Planned, TuneJob.Computed, TuneJob.Outcome> {
  private static final Logger LOG = LoggerFactory.getLogger(TuneJob.class);

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new TuneJob(), args));
  }

  @Override
  public String name() {
    return "tune";
  }

  @Override
  public String description() {
    return "Search hyper-parameters (successive halving, grid or random over lakeloop.tune.space)"
        + " with one Spark task per trial on train's split of the newest labeled data; records"
        + " every trial in tuning_trials and the winner, which train uses with"
        + " lakeloop.train.from-tuning = latest.";
  }

  /** The model, the last day of new data, train's split settings and the search's. */
  public record Planned(ModelSpec model, LocalDate date, TrainSettings split, TuneSettings tune) {}

  /** The search's rows (sizes, split counts) and every trial. */
  public record Computed(
      Map<String, Long> splitCounts,
      int trainRows,
      int validationRows,
      int configurations,
      Search.Outcome search,
      double seconds) {}

  /** The version of tuning_trials written. */
  public record Outcome(Planned planned, Computed computed, long version) {}

  @Override
  public boolean skipsSucceededRun() {
    return true;
  }

  @Override
  public Planned plan(JobContext ctx) {
    ModelSpec model = ctx.model();
    if (!model.task().isClassification()) {
      // trials are ranked on validation accuracy and log loss
      throw new ConfigError(
          "tune: model "
              + model.name()
              + " is a regression model; tune searches classifiers (binary, multiclass). Train it"
              + " with lakeloop.train.teacher's configuration (from-tuning = none)");
    }
    LocalDate date = TrainExamples.lastDay(ctx.logicalDate(), "tune");
    return new Planned(
        model,
        date,
        TrainSettings.from(ctx.config(), model.task()),
        TuneSettings.from(ctx.config()));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    Path scratch = Scratch.create("lakeloop-tune-");
    TrainExamples examples = null;
    try {
      TrainExamples read = TrainExamples.read(ctx.tables(), p.model(), p.split(), p.date());
      examples = read;
      FeatureEncoding encoding =
          champion(ctx, p.model(), scratch)
              .map(ModelArtifact::encoding)
              .orElseGet(
                  () -> TrainingData.fit(read.train(), p.model(), p.split().maxCategories()));
      LongAccumulator invalid = ctx.spark().sparkContext().longAccumulator("invalid labels");
      TrialData data =
          TrialData.sample(
              examples.train(),
              examples.counts().get(TrainExamples.TRAIN),
              examples.validation(),
              examples.counts().get(TrainExamples.VALIDATION),
              p.model(),
              encoding,
              p.tune(),
              invalid);
      Map<String, Long> counts = examples.counts();
      examples.close();
      examples = null;
      List<Hyper> configurations =
          studentFits(p.tune().configurations(), p.split(), data.inputs(), data.classes());
      LOG.info(
          "tune: {} of {} configurations by {} on {} training and {} validation rows; rungs of {}"
              + " epochs",
          configurations.size(),
          p.tune().space().size(),
          p.tune().method(),
          data.trainX().length,
          data.validX().length,
          p.tune().rungEpochs());
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(ctx.spark().sparkContext());
      Broadcast<TrialData> shared = sc.broadcast(data);
      long started = System.nanoTime();
      try {
        Search.Outcome outcome =
            Search.run(
                configurations,
                p.tune().rungEpochs(),
                p.tune().eta(),
                trials -> {
                  long t0 = System.nanoTime();
                  List<Trials.Result> results =
                      Trials.run(sc, trials, shared, p.tune().seed(), TrialFit.DL4J);
                  LOG.info(
                      "tune: rung {}: {} trials of {} epochs in {} s, {} failed",
                      trials.get(0).rung(),
                      trials.size(),
                      trials.get(0).epochs(),
                      String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9),
                      results.stream().filter(r -> !r.ok()).count());
                  return results;
                });
        return new Computed(
            counts,
            data.trainX().length,
            data.validX().length,
            configurations.size(),
            outcome,
            (System.nanoTime() - started) / 1e9);
      } finally {
        shared.destroy();
      }
    } finally {
      Scratch.release(examples, scratch);
    }
  }

  /**
   * The configurations train could use as a teacher: those with at least the student's parameters
   * over {@code lakeloop.train.student.max-parameter-share}, else train would refuse the winner.
   * The others are left out with a log line; none left is an error naming the settings.
   */
  static List<Hyper> studentFits(
      List<Hyper> configurations, TrainSettings train, int inputs, int classes) {
    long student = new Hyper(1, train.student().hidden(), 0, 0, 1).parameters(inputs, classes);
    List<Hyper> out =
        configurations.stream()
            .filter(h -> train.studentFits(student, h.parameters(inputs, classes)))
            .toList();
    if (out.size() < configurations.size()) {
      LOG.warn(
          "tune: left out {} of {} configurations: too small a teacher for the student {} ({}"
              + " parameters at most {} of the teacher's)",
          configurations.size() - out.size(),
          configurations.size(),
          train.student().hidden(),
          student,
          train.maxStudentShare());
    }
    if (out.isEmpty()) {
      throw new ConfigError(
          "tune: every configuration drawn from lakeloop.tune.space is too small a teacher for"
              + " lakeloop.train.student.hidden "
              + train.student().hidden()
              + " ("
              + student
              + " parameters, at most lakeloop.train.student.max-parameter-share = "
              + train.maxStudentShare()
              + " of the teacher's): widen lakeloop.tune.space.hidden or shrink the student");
    }
    return out;
  }

  /** The model's champion, fetched, when it has one: its encoding is the one to tune with. */
  private static Optional<ModelArtifact> champion(JobContext ctx, ModelSpec model, Path scratch) {
    ArtifactStore store =
        new ArtifactStore(ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
    return new ModelRegistry(ctx.lakehouse())
        .resolve(model.name(), ModelRegistry.CHAMPION)
        .map(e -> ModelArtifact.fetch(store, e, scratch.resolve("champion.zip")));
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    long version =
        TuningTrials.write(
            ctx.tables(),
            new TuningTrials.Run(
                p.model().name(),
                p.date(),
                p.tune().method(),
                p.tune().seed(),
                c.trainRows(),
                c.validationRows()),
            c.search(),
            Instant.now());
    return new Outcome(p, c, version);
  }

  @Override
  public JobResult render(Outcome o) {
    Planned p = o.planned();
    Computed c = o.computed();
    Search.Outcome s = c.search();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("method", p.tune().method());
    summary.put("configurations", Integer.toString(c.configurations()));
    summary.put("trials", Integer.toString(s.entries().size()));
    summary.put("failed", Long.toString(s.failed()));
    summary.put("train_rows", Integer.toString(c.trainRows()));
    summary.put("validation_rows", Integer.toString(c.validationRows()));
    summary.put("search_seconds", String.format(Locale.ROOT, "%.1f", c.seconds()));
    summary.put("tuning_trials_version", Long.toString(o.version()));
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "tune: model %s up to %s: %s of %d of %d configurations, rungs of %s epochs, on %d"
                + " training and %d validation rows (samples of train's %d and %d); %.1f s%n",
            p.model().name(),
            p.date(),
            p.tune().method().equals(TuneSettings.HALVING)
                ? "successive halving (eta " + p.tune().eta() + ")"
                : p.tune().method(),
            c.configurations(),
            p.tune().space().size(),
            p.tune().rungEpochs(),
            c.trainRows(),
            c.validationRows(),
            c.splitCounts().get(TrainExamples.TRAIN),
            c.splitCounts().get(TrainExamples.VALIDATION),
            c.seconds()));
    out.append(
        String.format(
            Locale.ROOT,
            "  %5s %4s %6s  %-13s %-14s %-8s %-7s %5s  %8s %8s %7s%n",
            "trial",
            "rung",
            "epochs",
            "learning rate",
            "hidden",
            "l2",
            "dropout",
            "batch",
            "accuracy",
            "log loss",
            "seconds"));
    for (Search.Entry e : s.entries()) {
      Trials.Result r = e.result();
      Hyper h = r.trial().hyper();
      out.append(
          String.format(
              Locale.ROOT,
              "  %5d %4d %6d  %-13s %-14s %-8s %-7s %5d  %8s %8s %7.1f%s%n",
              r.trial().id(),
              r.trial().rung(),
              r.trial().epochs(),
              h.learningRate(),
              h.hidden(),
              h.l2(),
              h.dropout(),
              h.batchSize(),
              r.ok() ? String.format(Locale.ROOT, "%.4f", r.score().accuracy()) : "-",
              r.ok() ? String.format(Locale.ROOT, "%.4f", r.score().logLoss()) : "-",
              r.seconds(),
              e.winner()
                  ? "  winner"
                  : e.promoted() ? "  → next rung" : r.ok() ? "" : "  failed: " + r.error()));
    }
    if (s.winner().isEmpty()) {
      out.append("no winner: every trial of the last rung failed; see the errors above\n");
      return new JobResult(out.toString(), summary, JobLauncher.FAILED);
    }
    Trials.Result w = s.winner().get();
    summary.put("winner_trial", Integer.toString(w.trial().id()));
    summary.put("winner", w.trial().hyper().toString());
    summary.put("winner_accuracy", String.format(Locale.ROOT, "%.4f", w.score().accuracy()));
    out.append(
        String.format(
            Locale.ROOT,
            "winner: trial %d (%s): validation accuracy %.4f, log loss %.4f at epoch %d of %d;"
                + " train uses it with lakeloop.train.from-tuning = latest%n",
            w.trial().id(),
            w.trial().hyper(),
            w.score().accuracy(),
            w.score().logLoss(),
            w.score().bestEpoch(),
            w.trial().epochs()));
    return new JobResult(out.toString(), summary);
  }
}
