package io.lakeloop.modeling.compress;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Tables;
import io.lakeloop.modeling.Scratch;
import io.lakeloop.modeling.artifact.CompactArtifact;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.gate.Gate;
import io.lakeloop.modeling.gate.GateRun;
import io.lakeloop.modeling.gate.GateSettings;
import io.lakeloop.modeling.train.SparkTrainer;
import io.lakeloop.modeling.train.TrainExamples;
import io.lakeloop.modeling.train.TrainSettings;
import io.lakeloop.modeling.train.TrainingData;
import io.lakeloop.monitoring.evaluate.EvalSettings;
import java.io.File;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop compress --date D}: prunes and quantizes the gate's winner (the {@code
 * challenger} alias), checks the compressed model against the uncompressed one on the same held-out
 * rows, backs off when it lost too much, and publishes the first attempt that holds: the compact
 * artifact, a {@code published} registry row with its compression details, and the {@code champion}
 * alias moved to it by compare-and-set. Every attempt's checks are printed and written to {@code
 * gate_decisions} (job {@code compress}: candidate = the attempt, reference = the uncompressed
 * model, winner = the published one).
 */
public final class CompressJob
    implements StagedJob<CompressJob.Planned, CompressJob.Computed, CompressJob.Outcome> {
  private static final Logger LOG = LoggerFactory.getLogger(CompressJob.class);

  public static final String PUBLISHED = "published";
  public static final int NOTHING_PUBLISHED = 4;

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new CompressJob(), args));
  }

  @Override
  public String name() {
    return "compress";
  }

  @Override
  public String description() {
    return "Prune and int8-quantize the challenger, gate it against the uncompressed model on"
        + " held-out rows (backing off when it loses too much), and publish it as the champion.";
  }

  /** One try: its settings, the uncompressed model's metrics and the gate's verdict. */
  record Attempt(
      int number,
      double sparsity,
      boolean asymmetric,
      Map<String, Double> uncompressed,
      Gate.Verdict verdict,
      File file) {
    /** The compressed model's held-out metrics: those the gate judged. */
    Map<String, Double> compressed() {
      return verdict.candidate().metrics();
    }

    boolean passed() {
      return verdict.blessed();
    }

    String reason() {
      List<String> why = verdict.checks().stream().map(Gate.Check::reason).toList();
      return verdict.candidate().name()
          + ": "
          + String.join("; ", why)
          + (passed() ? " → passes" : " → fails");
    }
  }

  /** What a run will do: the model, the logical date, and the train, eval and compress settings. */
  record Planned(
      ModelSpec model,
      LocalDate date,
      TrainSettings train,
      EvalSettings eval,
      CompressSettings compress) {}

  /**
   * The attempts, judged and not published: the challenger they compress, the version an earlier
   * attempt of the run already published (judged again instead of compressing anew), the attempts
   * in order, and the training examples and scratch folder (the attempts' artifacts) that {@link
   * #commit} still reads; closed once the run is rendered.
   */
  record Computed(
      ModelRegistry.Entry source,
      Optional<ModelRegistry.Entry> earlier,
      List<Attempt> attempts,
      TrainExamples examples,
      Path scratch)
      implements AutoCloseable {
    Optional<Attempt> winner() {
      return attempts.stream().filter(Attempt::passed).findFirst();
    }

    @Override
    public void close() {
      Scratch.release(examples, scratch);
    }
  }

  /** What a run did: the attempts' source and checks, and the version published, if any. */
  record Outcome(Computed computed, Optional<ModelRegistry.Entry> published) {}

  /** Rows appended or a version published are not written twice: a succeeded run answers so. */
  @Override
  public boolean skipsSucceededRun() {
    return true;
  }

  @Override
  public Planned plan(JobContext ctx) {
    LocalDate date =
        ctx.logicalDate()
            .orElseThrow(() -> new LakeloopException("compress needs --date YYYY-MM-DD"));
    return new Planned(
        ctx.model(),
        date,
        TrainSettings.from(ctx.config(), ctx.model().task()),
        EvalSettings.from(ctx.config()),
        CompressSettings.from(ctx.config()));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    ModelSpec model = p.model();
    ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
    ModelRegistry.Entry source =
        registry
            .resolve(model.name(), ModelRegistry.CHALLENGER)
            .orElseThrow(
                () ->
                    new LakeloopException(
                        "compress: model "
                            + model.name()
                            + " has no challenger; run bin/lakeloop train first (its gate's"
                            + " winner becomes the challenger)"));
    Path scratch = Scratch.create("lakeloop-compress-");
    TrainExamples ex = null;
    try {
      ArtifactStore store = store(ctx);
      ModelArtifact original = ModelArtifact.fetch(store, source, scratch.resolve("source"));
      ex = TrainExamples.read(ctx.tables(), model, p.train(), p.date());
      // An earlier attempt of this run that published before it stopped (killed between the
      // registry commit and the champion's move, say): its artifact is judged again and promoted
      // rather than compressed anew, since fine-tuning is not bit-reproducible and a new artifact
      // would be a second published version for one run.
      Optional<ModelRegistry.Entry> earlier =
          publishedBy(registry.versions(model.name()), ctx.runId(), source.version());
      List<Attempt> attempts =
          earlier.isPresent()
              ? List.of(judgeAgain(p, ctx.runId(), store, earlier.get(), original, ex, scratch))
              : attempts(ctx, p, original, ex, scratch);
      return new Computed(source, earlier, attempts, ex, scratch);
    } catch (RuntimeException e) {
      Scratch.release(ex, scratch);
      throw e;
    }
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    ModelSpec model = p.model();
    Optional<Attempt> winner = c.winner();
    if (winner.isEmpty()) {
      record(ctx, model, c.source(), c.attempts(), Optional.empty(), p.date());
      return new Outcome(c, Optional.empty());
    }
    ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
    ModelRegistry.Entry published =
        c.earlier().isPresent()
            ? c.earlier().get()
            : publish(
                registry,
                store(ctx),
                model,
                c.source(),
                winner.get(),
                c.attempts().size(),
                c.examples(),
                ctx.runId());
    ctx.tables().wrote(Tables.MODEL_REGISTRY);
    record(ctx, model, c.source(), c.attempts(), Optional.of(published), p.date());
    Optional<Integer> champion = registry.alias(model.name(), ModelRegistry.CHAMPION);
    if (!registry.setAlias(
        model.name(), ModelRegistry.CHAMPION, champion, published.version(), ctx.runId())) {
      throw new LakeloopException(
          "compress: the champion alias of "
              + model.name()
              + " changed while publishing; "
              + published.ref()
              + " is registered but not promoted — retry with bin/lakeloop registry alias");
    }
    ctx.tables().wrote(Tables.MODEL_ALIASES);
    return new Outcome(c, Optional.of(published));
  }

  @Override
  public JobResult render(Outcome o) {
    ModelRegistry.Entry source = o.computed().source();
    List<String> lines = new ArrayList<>();
    lines.add("compress " + source.ref() + ":");
    o.computed().attempts().forEach(at -> lines.add("  " + at.reason()));
    if (o.published().isEmpty()) {
      lines.add("  nothing published; the champion stays");
      return new JobResult(String.join("\n", lines), Map.of("published", ""), NOTHING_PUBLISHED);
    }
    ModelRegistry.Entry published = o.published().get();
    lines.add(
        String.format(
            Locale.ROOT,
            "  published %s (%d bytes, %.1fx smaller than %s) and made it the champion",
            published.ref(),
            published.sizeBytes(),
            (double) source.sizeBytes() / published.sizeBytes(),
            source.ref()));
    return new JobResult(
        String.join("\n", lines), Map.of("published", published.ref()), JobLauncher.OK);
  }

  private static ArtifactStore store(JobContext ctx) {
    return new ArtifactStore(
        ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
  }

  /** The artifact an earlier attempt of the run published, judged again on the held-out rows. */
  private static Attempt judgeAgain(
      Planned p,
      String runId,
      ArtifactStore store,
      ModelRegistry.Entry earlier,
      ModelArtifact original,
      TrainExamples ex,
      Path scratch) {
    LOG.warn(
        "compress: an earlier attempt of run {} published {} before it stopped; judging and"
            + " promoting it instead of compressing again",
        runId,
        earlier.ref());
    Path file = scratch.resolve("published.llc");
    ModelArtifact stored = ModelArtifact.fetch(store, earlier, file);
    Map<String, Map<String, Double>> m = heldOut(p.model(), p.eval(), runId, ex, original, stored);
    Double published = earlier.compression().sparsity();
    return judge(
        1,
        published == null ? 0 : published,
        p.compress().asymmetric(),
        nonZero(stored.network()),
        m,
        p.compress(),
        p.train().regression(),
        file.toFile());
  }

  /**
   * Prunes (in steps, fine-tuning after each), quantizes and judges the challenger until an attempt
   * passes or the attempts run out, backing off the sparsity (then trying asymmetric scales) after
   * each failure. The attempts' artifacts are written to {@code scratch}.
   */
  private static List<Attempt> attempts(
      JobContext ctx, Planned p, ModelArtifact original, TrainExamples ex, Path scratch) {
    ModelSpec model = p.model();
    TrainSettings ts = p.train();
    CompressSettings cs = p.compress();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(ctx.spark().sparkContext());
    var invalid = ctx.spark().sparkContext().longAccumulator("invalid labels");
    JavaRDD<DataSet> train =
        TrainingData.dataSets(
            ex.train(), model, original.encoding(), ts.batchSizePerWorker(), invalid);
    JavaRDD<DataSet> validation =
        TrainingData.dataSets(
            ex.validation(), model, original.encoding(), ts.batchSizePerWorker(), invalid);
    long rows = ex.counts().get("train");
    double sparsity = cs.targetSparsity();
    boolean asymmetric = cs.asymmetric();
    List<Attempt> attempts = new ArrayList<>();
    INDArray calibration = calibrationSample(train, cs.calibrationRows());
    for (int a = 1; a <= cs.maxAttempts(); a++) {
      MultiLayerNetwork net = original.network().clone();
      for (int step = 1; step <= cs.pruningSteps() && sparsity > 0; step++) {
        double s = MagnitudePruning.scheduled(0, sparsity, step, cs.pruningSteps());
        PruningMask mask = PruningMask.prune(net, s, cs.global(), cs.includeOutputLayer());
        LOG.info("compress: attempt {} step {}: pruned to {} and fine-tuning", a, step, s);
        net =
            SparkTrainer.train(
                    sc,
                    net,
                    train,
                    validation,
                    rows,
                    new SparkTrainer.Settings(
                        ts.batchSizePerWorker(),
                        ts.averagingFrequency(),
                        cs.epochsPerStep(),
                        cs.epochsPerStep(),
                        ts.seed(),
                        false,
                        ts.regression()),
                    List.of(mask))
                .network();
      }
      File file = scratch.resolve("compact-" + a + ".llc").toFile();
      Map<Integer, float[]> clips =
          calibration == null
              ? Map.of()
              : CompactArtifact.calibrate(net, calibration, asymmetric, cs.clipPercentiles());
      CompactArtifact.write(net, original.encoding(), asymmetric, clips, file);
      ModelArtifact loaded = CompactArtifact.read(file);
      Map<String, Map<String, Double>> m =
          heldOut(
              model,
              p.eval(),
              ctx.runId(),
              ex,
              original,
              new ModelArtifact(loaded.network(), loaded.encoding()));
      Attempt attempt = judge(a, sparsity, asymmetric, nonZero(net), m, cs, ts.regression(), file);
      LOG.info("compress: attempt {}: {}", a, attempt.reason());
      attempts.add(attempt);
      if (attempt.passed()) {
        break;
      }
      if (sparsity > 0) {
        sparsity = Math.max(0, sparsity - cs.sparsityBackoff());
      } else {
        asymmetric = true;
      }
    }
    return attempts;
  }

  /** Held-out metrics of the uncompressed and the compressed model, on the same rows. */
  private static Map<String, Map<String, Double>> heldOut(
      ModelSpec model,
      EvalSettings eval,
      String runId,
      TrainExamples ex,
      ModelArtifact uncompressed,
      ModelArtifact compressed) {
    Map<String, ModelArtifact> models = new LinkedHashMap<>();
    models.put("uncompressed", uncompressed);
    models.put("compressed", compressed);
    return GateRun.evaluate(model, eval, runId, ex.holdout(), models, true).metrics();
  }

  /** Stores the winning attempt's artifact and registers it as a published version. */
  private static ModelRegistry.Entry publish(
      ModelRegistry registry,
      ArtifactStore store,
      ModelSpec model,
      ModelRegistry.Entry source,
      Attempt w,
      int attempts,
      TrainExamples ex,
      String runId) {
    ArtifactStore.Stored stored = store.put(model.name(), w.file().toPath(), "llc");
    Map<String, Double> metrics = new LinkedHashMap<>();
    w.compressed().forEach((k, v) -> metrics.put("holdout." + k, v));
    w.uncompressed().forEach((k, v) -> metrics.put("uncompressed.holdout." + k, v));
    metrics.put("attempts", (double) attempts);
    // Measured on the artifact as stored (dequantized), not on the network before quantization.
    metrics.putAll(layerSparsity(CompactArtifact.read(w.file()).network()));
    return registry.register(
        ModelRegistry.Entry.of(
            model.name(),
            stored,
            CompactArtifact.FORMAT,
            source.version(),
            ex.lineage(),
            metrics,
            new ModelRegistry.Compression(
                w.sparsity(), 8, (double) source.sizeBytes() / stored.sizeBytes()),
            PUBLISHED,
            runId));
  }

  /** The version run {@code runId} already published from {@code source}, if any. */
  static Optional<ModelRegistry.Entry> publishedBy(
      List<ModelRegistry.Entry> versions, String runId, int source) {
    return versions.stream()
        .filter(
            e ->
                runId.equals(e.runId())
                    && PUBLISHED.equals(e.status())
                    && Integer.valueOf(source).equals(e.parentVersion()))
        .findFirst();
  }

  /** Every attempt's checks into gate_decisions; the published one is the winner. */
  private static void record(
      JobContext ctx,
      ModelSpec model,
      ModelRegistry.Entry source,
      List<Attempt> attempts,
      Optional<ModelRegistry.Entry> published,
      LocalDate date) {
    Optional<Attempt> winner = attempts.stream().filter(Attempt::passed).findFirst();
    Map<String, ModelRegistry.Entry> registered = new LinkedHashMap<>();
    published.ifPresent(p -> registered.put(winner.orElseThrow().verdict().candidate().name(), p));
    Gate.Decision decision =
        new Gate.Decision(
            attempts.stream().map(Attempt::verdict).toList(),
            winner.map(w -> w.verdict().candidate()));
    GateRun.record(
        "compress",
        model.name(),
        "uncompressed " + source.ref(),
        decision,
        registered,
        date,
        ctx.tables());
  }

  /**
   * The encoded features of the first {@code rows} training rows (whole minibatches, bounded: at
   * most one minibatch more than asked), or null when calibration is off.
   */
  static INDArray calibrationSample(JavaRDD<DataSet> train, int rows) {
    if (rows <= 0) {
      return null;
    }
    List<INDArray> features = new ArrayList<>();
    long have = 0;
    int take = 1;
    List<DataSet> batches = List.of();
    while (have < rows) {
      batches = train.take(take);
      have = batches.stream().mapToLong(DataSet::numExamples).sum();
      if (batches.size() < take) {
        break; // the whole training set is smaller than asked
      }
      take *= 2;
    }
    batches.forEach(b -> features.add(b.getFeatures()));
    return features.isEmpty() ? null : Nd4j.vstack(features.toArray(INDArray[]::new));
  }

  /** Weights and biases that are not zero. */
  static long nonZero(MultiLayerNetwork net) {
    float[] p = net.params().dup().data().asFloat();
    long n = 0;
    for (float x : p) {
      n += x != 0 ? 1 : 0;
    }
    return n;
  }

  /**
   * Per layer with weights, the share of its weights that are exactly zero ({@code
   * layer.<i>.sparsity}) and how many weights it has ({@code layer.<i>.weights}): registry metrics
   * the report draws. Biases are never pruned and are left out.
   */
  static Map<String, Double> layerSparsity(MultiLayerNetwork net) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (int i = 0; i < net.getnLayers(); i++) {
      INDArray w = net.getLayer(i).paramTable().get("W");
      if (w == null) {
        continue;
      }
      float[] values = w.dup().data().asFloat();
      long zeros = 0;
      for (float x : values) {
        zeros += x == 0 ? 1 : 0;
      }
      out.put(
          "layer." + i + ".sparsity", values.length == 0 ? 0.0 : (double) zeros / values.length);
      out.put("layer." + i + ".weights", (double) values.length);
    }
    return out;
  }

  /**
   * The compressed model against the uncompressed one on the same held-out rows: accuracy and
   * ROC-AUC (when the uncompressed model has one) may drop at most the configured limits; a
   * regression's RMSE may grow by at most {@code max-rmse-increase} of the uncompressed one's.
   */
  static Attempt judge(
      int number,
      double sparsity,
      boolean asymmetric,
      long nonZero,
      Map<String, Map<String, Double>> m,
      CompressSettings cs,
      boolean regression,
      File file) {
    Map<String, Double> c = m.getOrDefault("compressed", Map.of());
    Map<String, Double> u = m.getOrDefault("uncompressed", Map.of());
    List<GateSettings.ChangeThreshold> limits = new ArrayList<>();
    if (regression) {
      limits.add(new GateSettings.ChangeThreshold("rmse", false, cs.maxRmseIncrease(), true));
    } else {
      limits.add(new GateSettings.ChangeThreshold("accuracy", true, cs.maxAccuracyDrop(), false));
      Double auc = u.get("roc_auc");
      if (auc != null && !auc.isNaN()) {
        limits.add(new GateSettings.ChangeThreshold("roc_auc", true, cs.maxRocAucDrop(), false));
      }
    }
    String name =
        String.format(
            Locale.ROOT,
            "attempt %d (sparsity %.2f, int8 %s)",
            number,
            sparsity,
            asymmetric ? "asymmetric" : "symmetric");
    Gate.Decision d =
        Gate.decide(
            new GateSettings(regression ? "rmse" : "accuracy", List.of(), limits),
            List.of(new Gate.Candidate(name, nonZero, c)),
            Optional.of(u),
            "the uncompressed model");
    return new Attempt(number, sparsity, asymmetric, u, d.verdicts().get(0), file);
  }
}
