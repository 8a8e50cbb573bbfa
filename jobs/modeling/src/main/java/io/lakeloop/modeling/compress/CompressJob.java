package io.lakeloop.modeling.compress;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Job;
import io.lakeloop.common.cli.JobContext;
import io.lakeloop.common.cli.JobLauncher;
import io.lakeloop.common.cli.JobResult;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.modeling.gate.GateRun;
import io.lakeloop.modeling.model.ModelArtifact;
import io.lakeloop.modeling.train.SparkTrainer;
import io.lakeloop.modeling.train.TrainExamples;
import io.lakeloop.modeling.train.TrainSettings;
import io.lakeloop.modeling.train.TrainingData;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop compress --date D}: prunes and quantizes the gate's winner (the {@code
 * challenger} alias), checks the compressed model against the uncompressed one on the same held-out
 * rows, backs off when it lost too much, and publishes the first attempt that holds: the compact
 * artifact, a {@code published} registry row with its compression details, and the {@code champion}
 * alias moved to it by compare-and-set. Every attempt is logged and printed (not yet written to a
 * table). Work in progress (issue 6): not yet wired into the CLI or the demo.
 */
public final class CompressJob implements Job {
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

  /** One try: its settings and what the gate saw. */
  record Attempt(
      int number,
      double sparsity,
      boolean asymmetric,
      Map<String, Double> compressed,
      Map<String, Double> uncompressed,
      boolean passed,
      String reason,
      File file) {}

  @Override
  public JobResult run(JobContext ctx) throws Exception {
    if (ctx.previousSuccess().isPresent()) {
      return JobResult.alreadyDone(name(), ctx.runId(), ctx.previousSuccess().get());
    }
    ModelSpec model = ctx.model();
    LocalDate date =
        ctx.logicalDate()
            .orElseThrow(() -> new LakeloopException("compress needs --date YYYY-MM-DD"));
    TrainSettings ts = TrainSettings.from(ctx.config());
    CompressSettings cs = CompressSettings.from(ctx.config());
    ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
    ArtifactStore store =
        new ArtifactStore(ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
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
    Path scratch = Files.createTempDirectory("lakeloop-compress-");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(ctx.spark().sparkContext());
    ModelArtifact original =
        ModelArtifact.read(
            store
                .fetch(source.artifactUri(), source.sha256(), scratch.resolve("source.zip"))
                .toFile());
    try (TrainExamples ex = TrainExamples.read(ctx, model, ts, date)) {
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
                          ts.seed()),
                      List.of(mask))
                  .network();
        }
        File file = scratch.resolve("compact-" + a + ".llc").toFile();
        CompactArtifact.write(net, original.encoding(), asymmetric, file);
        CompactArtifact.Loaded loaded = CompactArtifact.read(file);
        Map<String, ModelArtifact> models = new LinkedHashMap<>();
        models.put("uncompressed", original);
        models.put("compressed", new ModelArtifact(loaded.network(), loaded.encoding()));
        Map<String, Map<String, Double>> m =
            GateRun.evaluate(ctx, model, ts, ex.holdout(), models, true).metrics();
        Attempt attempt = judge(a, sparsity, asymmetric, m, cs, file);
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
      Optional<Attempt> winner = attempts.stream().filter(Attempt::passed).findFirst();
      List<String> lines = new ArrayList<>();
      lines.add("compress " + source.ref() + ":");
      attempts.forEach(at -> lines.add("  attempt " + at.number() + ": " + at.reason()));
      if (winner.isEmpty()) {
        lines.add("  nothing published; the champion stays");
        return new JobResult(String.join("\n", lines), Map.of("published", ""), NOTHING_PUBLISHED);
      }
      Attempt w = winner.get();
      ArtifactStore.Stored stored = store.put(model.name(), w.file().toPath(), "llc");
      Map<String, Double> metrics = new LinkedHashMap<>();
      w.compressed().forEach((k, v) -> metrics.put("holdout." + k, v));
      w.uncompressed().forEach((k, v) -> metrics.put("uncompressed.holdout." + k, v));
      metrics.put("attempts", (double) attempts.size());
      ModelRegistry.Entry published =
          registry.register(
              new ModelRegistry.Entry(
                  model.name(),
                  0,
                  stored.uri(),
                  stored.sha256(),
                  stored.sizeBytes(),
                  CompactArtifact.FORMAT,
                  source.version(),
                  ex.lineage(),
                  metrics,
                  new ModelRegistry.Compression(
                      w.sparsity(), 8, (double) source.sizeBytes() / stored.sizeBytes()),
                  PUBLISHED,
                  Instant.now(),
                  ctx.runId()));
      ctx.lakehouse()
          .latestVersion(io.lakeloop.common.table.Tables.MODEL_REGISTRY)
          .ifPresent(v -> ctx.recordOutput(io.lakeloop.common.table.Tables.MODEL_REGISTRY, v));
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
      ctx.lakehouse()
          .latestVersion(io.lakeloop.common.table.Tables.MODEL_ALIASES)
          .ifPresent(v -> ctx.recordOutput(io.lakeloop.common.table.Tables.MODEL_ALIASES, v));
      lines.add(
          String.format(
              Locale.ROOT,
              "  published %s (%d bytes, %.1fx smaller than %s) and made it the champion",
              published.ref(),
              stored.sizeBytes(),
              (double) source.sizeBytes() / stored.sizeBytes(),
              source.ref()));
      return new JobResult(
          String.join("\n", lines), Map.of("published", published.ref()), JobLauncher.OK);
    } finally {
      io.lakeloop.modeling.Scratch.delete(scratch);
    }
  }

  static Attempt judge(
      int number,
      double sparsity,
      boolean asymmetric,
      Map<String, Map<String, Double>> m,
      CompressSettings cs,
      File file) {
    Map<String, Double> c = m.getOrDefault("compressed", Map.of());
    Map<String, Double> u = m.getOrDefault("uncompressed", Map.of());
    List<String> why = new ArrayList<>();
    boolean passed = true;
    for (String metric : List.of("accuracy", "roc_auc")) {
      double limit = metric.equals("accuracy") ? cs.maxAccuracyDrop() : cs.maxRocAucDrop();
      Double cv = c.get(metric);
      Double uv = u.get(metric);
      if (cv == null || uv == null) {
        continue;
      }
      boolean ok = uv - cv <= limit;
      passed &= ok;
      why.add(
          String.format(
              Locale.ROOT,
              "%s %.4f vs %.4f (drop %.4f, limit %.4f) %s",
              metric,
              cv,
              uv,
              uv - cv,
              limit,
              ok ? "ok" : "FAIL"));
    }
    String reason =
        String.format(
            Locale.ROOT,
            "sparsity %.2f, int8 %s: %s → %s",
            sparsity,
            asymmetric ? "asymmetric" : "symmetric",
            String.join("; ", why),
            passed ? "passes" : "fails");
    return new Attempt(number, sparsity, asymmetric, c, u, passed, reason, file);
  }
}
