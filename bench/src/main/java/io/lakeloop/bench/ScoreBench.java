package io.lakeloop.bench;

import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.modeling.Scratch;
import io.lakeloop.modeling.artifact.CompactArtifact;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.compress.PruningMask;
import io.lakeloop.modeling.model.Networks;
import io.lakeloop.modeling.score.ModelScorer;
import io.lakeloop.modeling.score.ScoreJob;
import io.lakeloop.modeling.train.TrainingData;
import io.lakeloop.monitoring.generate.GenerateJob;
import io.lakeloop.monitoring.ingest.IngestJob;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The scoring benchmark of bench/README.md: rows per second over the same Delta table of generated
 * demo traffic, side by side in one run, repetitions interleaved —
 *
 * <ol>
 *   <li><b>scan</b>: the table's feature columns read and dropped (Spark's {@code noop} sink) — the
 *       floor any scoring job pays;
 *   <li><b>sql</b>: a plain Spark SQL expression that scores a model of the same inputs — the
 *       feature encoding (standardised numerics, one-hot categoricals) and a linear layer with a
 *       sigmoid, generated code, no Java objects per row — the ceiling for scoring inside Spark;
 *   <li><b>scorer</b>: {@link ModelScorer} with the published (pruned, int8) demo-sized network,
 *       broadcast, minibatches of 1,024, into the {@code noop} sink;
 *   <li><b>score job</b>: {@code bin/lakeloop score} end to end (read, score, validate, dedupe
 *       against prediction_log, Delta append), each repetition into an empty warehouse;
 *   <li><b>ingest (no scoring)</b>: {@code bin/lakeloop ingest} of the same rows as they are — the
 *       validation and write the score job does besides scoring.
 * </ol>
 */
public final class ScoreBench {
  private ScoreBench() {}

  public static void main(String[] args) throws Exception {
    long rows = 1_000_000;
    int repeats = 3;
    String dir = System.getProperty("java.io.tmpdir") + "/lakeloop-score-bench";
    List<Integer> hidden = List.of(64, 32);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[i + 1].replace("_", ""));
        case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
        case "--dir" -> dir = args[i + 1];
        case "--hidden" ->
            hidden = Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    String warehouse = dir + "/source-" + rows;
    LakeloopConfig config = config(warehouse);
    SparkSession spark = Sessions.create(config);
    try {
      ModelSpec spec = config.model("churn");
      if (!new File(warehouse + "/" + Tables.PREDICTION_LOG + "/_delta_log").isDirectory()) {
        run(new GenerateJob(), config, spark, "--rows", Long.toString(rows), "--run-id", "bench");
      }
      String table = warehouse + "/" + Tables.PREDICTION_LOG;
      Dataset<Row> log = spark.read().format("delta").load(table);
      long n = log.count();
      FeatureEncoding enc = TrainingData.fit(log, spec, 32);
      MultiLayerNetwork net = Networks.classifier(enc.width(), hidden, spec.numClasses(), 0.01, 5);
      PruningMask.prune(net, 0.8, false, false);
      Path scratch = Files.createTempDirectory("lakeloop-score-bench-");
      File compact = scratch.resolve("model.llc").toFile();
      CompactArtifact.write(net, enc, false, compact);
      ModelArtifact loaded = CompactArtifact.read(compact);
      ModelArtifact model = new ModelArtifact(loaded.network(), loaded.encoding());
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      List<Column> features = new ArrayList<>();
      spec.numericFeatures().forEach(c -> features.add(col(c)));
      spec.categoricalFeatures().forEach(c -> features.add(col(c)));
      Column linear = linearModel(enc, 7);

      Map<String, Supplier<Dataset<Row>>> plain = new LinkedHashMap<>();
      plain.put("scan", () -> log.select(features.toArray(Column[]::new)));
      plain.put("sql", () -> log.select(col("request_id"), linear.as("p")));
      plain.put("scorer", () -> ModelScorer.score(sc, model, spec, log));
      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      for (int r = 1; r <= repeats + 1; r++) {
        for (Map.Entry<String, Supplier<Dataset<Row>>> e : plain.entrySet()) {
          long t0 = System.nanoTime();
          e.getValue().get().write().format("noop").mode("overwrite").save();
          record(seconds, e.getKey(), r, (System.nanoTime() - t0) / 1e9);
        }
        String target = dir + "/score-job-" + System.nanoTime();
        LakeloopConfig jobConfig = config(target);
        ModelRegistry registry = new ModelRegistry(new Lakehouse(spark, target));
        ArtifactStore.Stored stored =
            new ArtifactStore(spark.sparkContext().hadoopConfiguration(), target)
                .put("churn", compact.toPath(), "llc");
        registry.register(
            ModelRegistry.Entry.of(
                "churn",
                stored,
                CompactArtifact.FORMAT,
                null,
                List.of(),
                Map.of(),
                null,
                "published",
                "bench"));
        long t0 = System.nanoTime();
        JobResult jr =
            run(
                new ScoreJob(),
                jobConfig,
                spark,
                "--date",
                "2026-01-14",
                "--input",
                table,
                "--ref",
                "churn/1",
                "--run-id",
                "bench-" + r);
        record(seconds, "score job", r, (System.nanoTime() - t0) / 1e9);
        if (r == 1) {
          System.err.println("bench: warm-up score job: " + jr.output());
        }
        Scratch.delete(Path.of(target));
        // the same rows through ingest (validation, dedupe, Delta append) without scoring: what
        // the score job pays besides the scorer
        String ingested = dir + "/ingest-" + System.nanoTime();
        t0 = System.nanoTime();
        run(
            new IngestJob(),
            config(ingested),
            spark,
            "--table",
            Tables.PREDICTION_LOG,
            "--format",
            "delta",
            "--path",
            table,
            "--run-id",
            "bench-ingest-" + r);
        record(seconds, "ingest (no scoring)", r, (System.nanoTime() - t0) / 1e9);
        Scratch.delete(Path.of(ingested));
      }
      report(n, repeats, hidden, net.numParams(), seconds);
    } finally {
      spark.stop();
    }
  }

  /** Repetition 1 warms up (JIT, caches) and is not counted. */
  private static void record(Map<String, List<Double>> s, String key, int rep, double secs) {
    System.err.printf(Locale.ROOT, "bench: %s repetition %d: %.2f s%n", key, rep, secs);
    if (rep > 1) {
      s.computeIfAbsent(key, k -> new ArrayList<>()).add(secs);
    }
  }

  private static void report(
      long n, int repeats, List<Integer> hidden, long params, Map<String, List<Double>> s) {
    System.out.println("## Scoring throughput (bench/score)");
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Commit %s, `%s`: %,d rows of generated demo traffic (Delta), Spark local[2]; network %s"
            + " (%,d parameters, 80 %% pruned, int8); %d timed repetitions after one warm-up,"
            + " interleaved.%n%n",
        System.getProperty("lakeloop.bench.commit", "unknown"),
        System.getProperty("lakeloop.bench.command", "bench/score"),
        n,
        hidden,
        params,
        repeats);
    System.out.println(
        "| contender | best s | median s | rows/s (best) | vs sql (best) | vs scan (best) |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
    double scan = best(s.get("scan"));
    double sql = best(s.get("sql"));
    for (Map.Entry<String, List<Double>> e : s.entrySet()) {
      double b = best(e.getValue());
      System.out.printf(
          Locale.ROOT,
          "| %s | %.2f | %.2f | %,.0f | %.2f | %.2f |%n",
          e.getKey(),
          b,
          median(e.getValue()),
          n / b,
          sql / b,
          scan / b);
    }
  }

  static double best(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  private static double median(List<Double> xs) {
    double[] v = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /**
   * A linear model over the encoded features in Spark SQL: each numeric standardised (null → 0 plus
   * a missing indicator), each categorical one-hot over its vocabulary, weights drawn from a seed,
   * then a sigmoid — the encoding work of the network's first layer with one output.
   */
  static Column linearModel(FeatureEncoding enc, long seed) {
    Random r = new Random(seed);
    Column z = lit(r.nextGaussian());
    for (FeatureEncoding.Numeric x : enc.numeric()) {
      Column v = col(x.name()).cast("double");
      Column std = v.minus(x.mean()).divide(x.std() > 0 ? x.std() : 1);
      z = z.plus(coalesce(std, lit(0.0)).multiply(r.nextGaussian()));
      z = z.plus(when(v.isNull(), lit(r.nextGaussian())).otherwise(lit(0.0)));
    }
    for (FeatureEncoding.Categorical c : enc.categorical()) {
      Column v = col(c.name());
      Column term = lit(r.nextGaussian()); // __other__
      for (int k = c.vocabulary().size() - 1; k >= 0; k--) {
        term = when(v.equalTo(c.vocabulary().get(k)), lit(r.nextGaussian())).otherwise(term);
      }
      z = z.plus(when(v.isNull(), lit(r.nextGaussian())).otherwise(term));
    }
    return lit(1.0).divide(lit(1.0).plus(exp(z.multiply(-1))));
  }

  /** A job's config on configs/local.conf with the warehouse at {@code warehouse}, local[2]. */
  static LakeloopConfig config(String warehouse) {
    return ConfigLoader.load(
        Optional.of(Path.of("configs/local.conf")),
        List.of(
            "lakeloop.warehouse=\"" + warehouse + "\"",
            "lakeloop.spark.master=\"local[2]\"",
            "lakeloop.spark.ui-enabled=false"));
  }

  /** Runs a job as bin/lakeloop would, in this JVM's session. */
  static JobResult run(Job job, LakeloopConfig config, SparkSession spark, String... args)
      throws Exception {
    return JobLauncher.run(job, CliArgs.parse(job.name(), args, job.flags(), false), config, spark);
  }
}
