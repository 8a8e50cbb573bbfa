package io.lakeloop.bench;

import static io.lakeloop.common.schema.Columns.LABEL;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.when;

import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.modeling.train.SparkTrainer;
import io.lakeloop.modeling.train.TrainingData;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The training benchmark of bench/README.md: the same minibatches, network, epochs and seed trained
 * two ways in one JVM, repetitions interleaved —
 *
 * <ol>
 *   <li><b>plain</b>: {@code MultiLayerNetwork.fit} over the minibatches held in this JVM;
 *   <li><b>spark</b>: {@link SparkTrainer} (DL4J's parameter averaging) on the session's master,
 *       once per batch size x averaging frequency setting;
 * </ol>
 *
 * on a generated Delta table (seeded Gaussian features, a class that depends on linear terms and
 * pairwise products of them, label noise). Timed: the epochs' {@code fit} calls only. Building the
 * minibatches (collecting them for plain, caching them in the executors for spark) and the
 * per-epoch validation pass (both sides keep the epoch with the best validation accuracy) are
 * outside that time and reported apart. Accuracy is measured on a held-out tenth of the table that
 * neither training nor epoch selection sees. Prints a Markdown section for bench/RESULTS.md. Not
 * idempotent in time (the numbers vary with the machine's load); the table is written once per size
 * and reused.
 */
public final class TrainBench {
  static final long SEED = 42;
  static final String FOLD = "fold";
  static final int HELD_OUT_FOLD = 9;
  static final int VALIDATION_FOLD = 8;
  static final int EVAL_BATCH = 1024;
  static final double LEARNING_RATE = 0.005;

  private TrainBench() {}

  /** One parameter-averaging setting: minibatch size per worker, averaging every N minibatches. */
  record Setting(int batch, int averagingFrequency) {
    static Setting parse(String s) {
      String[] p = s.trim().split(":");
      if (p.length != 2) {
        throw new IllegalArgumentException(
            "setting '" + s + "' is not BATCH:AVERAGING_FREQUENCY, e.g. 256:10");
      }
      return new Setting(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
    }

    @Override
    public String toString() {
      return batch + ":" + averagingFrequency;
    }
  }

  record Options(
      long rows,
      int features,
      int classes,
      int hidden,
      int epochs,
      int repeats,
      List<Setting> settings,
      String dir,
      boolean regenerate) {
    static final String USAGE =
        "use --rows N --features N --classes N --hidden N --epochs N --repeats N"
            + " --settings B:F[,B:F...] --dir DIR --regenerate";

    static Options parse(String[] args) {
      long rows = 1_000_000L;
      int features = 32;
      int classes = 4;
      int hidden = 64;
      int epochs = 3;
      int repeats = 2;
      List<Setting> settings = parseSettings("256:25,256:100,1024:50");
      String dir = System.getProperty("java.io.tmpdir") + "/lakeloop-bench";
      boolean regenerate = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--rows" -> rows = Long.parseLong(args[++i].replace("_", ""));
          case "--features" -> features = Integer.parseInt(args[++i]);
          case "--classes" -> classes = Integer.parseInt(args[++i]);
          case "--hidden" -> hidden = Integer.parseInt(args[++i]);
          case "--epochs" -> epochs = Integer.parseInt(args[++i]);
          case "--repeats" -> repeats = Integer.parseInt(args[++i]);
          case "--settings" -> settings = parseSettings(args[++i]);
          case "--dir" -> dir = args[++i];
          case "--regenerate" -> regenerate = true;
          default ->
              throw new IllegalArgumentException("unknown argument '" + args[i] + "'; " + USAGE);
        }
      }
      if (rows < 10_000 || features < 2 || classes < 3 || hidden < 1 || epochs < 1) {
        throw new IllegalArgumentException(
            "need --rows ≥ 10000, --features ≥ 2, --classes ≥ 3 (multiclass), --hidden ≥ 1,"
                + " --epochs ≥ 1; got "
                + Arrays.toString(args));
      }
      if (repeats < 1 || settings.isEmpty()) {
        throw new IllegalArgumentException(
            "need --repeats ≥ 1 and at least one setting; got " + Arrays.toString(args));
      }
      return new Options(
          rows, features, classes, hidden, epochs, repeats, settings, dir, regenerate);
    }

    static List<Setting> parseSettings(String s) {
      List<Setting> out = new ArrayList<>();
      for (String part : s.split(",")) {
        out.add(Setting.parse(part));
      }
      return out;
    }
  }

  /** One timed training run: its fit seconds per epoch, selection and held-out accuracy. */
  record Run(
      String contender,
      Setting setting,
      int repetition,
      double[] epochFitSeconds,
      int bestEpoch,
      double heldOutAccuracy,
      Phase phase,
      double loadBefore) {
    double fitSeconds() {
      return Arrays.stream(epochFitSeconds).sum();
    }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    // lakeloop's session, on two local cores as the issue asks (the machine has two)
    SparkSession spark =
        Sessions.create(
            ConfigLoader.load(
                Optional.empty(),
                List.of(
                    "lakeloop.spark.app-name=lakeloop-bench-train",
                    "lakeloop.spark.master=\"local[2]\"")));
    try {
      System.out.println(run(spark, o));
    } finally {
      spark.stop();
    }
  }

  static ModelSpec spec(Options o) {
    List<String> classes = new ArrayList<>();
    for (int k = 0; k < o.classes(); k++) {
      classes.add("c" + k);
    }
    return new ModelSpec(
        "bench",
        Task.MULTICLASS,
        classes,
        featureNames(o.features()),
        List.of(),
        List.of(),
        Duration.ofDays(1));
  }

  static List<String> featureNames(int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add(String.format(Locale.ROOT, "x%02d", i));
    }
    return names;
  }

  /**
   * The generated table, written once per size and reused unless --regenerate: {@code id}, {@code
   * fold} (id mod 10), the features (standard normal, seeded) and the label: the argmax over the
   * classes of a seeded linear score plus one pairwise product per class plus Gaussian noise — a
   * relation a hidden layer can learn and a linear model only partly.
   */
  static String table(SparkSession spark, Options o) {
    String path =
        new File(
                o.dir(),
                String.format(
                    Locale.ROOT, "training_%d_%dx%d", o.rows(), o.features(), o.classes()))
            .getAbsolutePath();
    if (!o.regenerate() && new File(path, "_delta_log").isDirectory()) {
      Phase.log("reusing " + path);
      return path;
    }
    Phase.log("generating " + String.format(Locale.ROOT, "%,d", o.rows()) + " rows at " + path);
    List<String> x = featureNames(o.features());
    Random r = new Random(SEED);
    Dataset<Row> d =
        spark
            .range(0, o.rows(), 1, (int) Math.max(2, o.rows() / 250_000))
            .withColumn(FOLD, col("id").mod(10).cast("int"));
    for (int i = 0; i < x.size(); i++) {
      d = d.withColumn(x.get(i), randn(SEED + i));
    }
    double scale = 2.0 / Math.sqrt(x.size());
    List<String> scores = new ArrayList<>();
    for (int k = 0; k < o.classes(); k++) {
      Column s = randn(SEED + 1000 + k).multiply(0.5);
      for (String f : x) {
        s = s.plus(col(f).multiply(r.nextGaussian() * scale));
      }
      int a = (2 * k) % x.size();
      int b = (2 * k + 1) % x.size();
      s = s.plus(col(x.get(a)).multiply(col(x.get(b))).multiply(1.5));
      String name = "_s" + k;
      d = d.withColumn(name, s);
      scores.add(name);
    }
    Column top = greatest(scores.stream().map(n -> col(n)).toArray(Column[]::new));
    Column label = lit(0.0);
    for (int k = o.classes() - 1; k >= 1; k--) {
      label = when(col(scores.get(k)).equalTo(top), (double) k).otherwise(label);
    }
    d.withColumn(LABEL, label)
        .drop(scores.toArray(String[]::new))
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .save(path);
    return path;
  }

  /** The two-layer network every contender starts from (ReLU hidden layer, softmax, Adam). */
  static MultiLayerNetwork network(int in, int hidden, int out) {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .updater(new Adam(LEARNING_RATE))
                .list()
                .layer(
                    new DenseLayer.Builder()
                        .nIn(in)
                        .nOut(hidden)
                        .activation(Activation.RELU)
                        .build())
                .layer(
                    new OutputLayer.Builder()
                        .lossFunction(new LossMCXENT())
                        .nIn(hidden)
                        .nOut(out)
                        .activation(Activation.SOFTMAX)
                        .build())
                .build());
    net.init();
    return net;
  }

  static String run(SparkSession spark, Options o) throws Exception {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ModelSpec model = spec(o);
    Phase generate = Phase.run(spark, "generate the table (if not reused)", () -> table(spark, o));
    Dataset<Row> all = spark.read().format("delta").load((String) generate.result());
    Dataset<Row> train = all.where(col(FOLD).lt(VALIDATION_FOLD));
    Dataset<Row> validation = all.where(col(FOLD).equalTo(VALIDATION_FOLD));
    Dataset<Row> heldOut = all.where(col(FOLD).equalTo(HELD_OUT_FOLD));
    LongAccumulator invalid = spark.sparkContext().longAccumulator("invalid labels");

    List<Phase> prep = new ArrayList<>();
    Phase fit =
        Phase.run(
            spark, "fit the feature encoding on the training rows", () -> encoding(train, model));
    prep.add(fit);
    FeatureEncoding encoding = (FeatureEncoding) fit.result();
    MultiLayerNetwork initial = network(encoding.width(), o.hidden(), o.classes());

    // The plain baseline trains in one JVM by definition, so its minibatches (and the validation
    // and held-out ones both contenders are scored on, by the same local code) are collected here
    // once, before any timing: built by TrainingData.dataSets exactly as Spark's are.
    Map<Integer, List<DataSet>> plainBatches = new LinkedHashMap<>();
    for (Setting s : o.settings()) {
      if (!plainBatches.containsKey(s.batch())) {
        Phase p =
            Phase.run(
                spark,
                "plain: collect the training minibatches of " + s.batch(),
                () -> TrainingData.dataSets(train, model, encoding, s.batch(), invalid).collect());
        prep.add(p);
        @SuppressWarnings("unchecked")
        List<DataSet> batches = (List<DataSet>) p.result();
        plainBatches.put(s.batch(), batches);
      }
    }
    Phase collectEval =
        Phase.run(
            spark,
            "collect the validation and held-out minibatches",
            () ->
                List.of(
                    TrainingData.dataSets(validation, model, encoding, EVAL_BATCH, invalid)
                        .collect(),
                    TrainingData.dataSets(heldOut, model, encoding, EVAL_BATCH, invalid)
                        .collect()));
    prep.add(collectEval);
    @SuppressWarnings("unchecked")
    List<List<DataSet>> eval = (List<List<DataSet>>) collectEval.result();
    List<DataSet> validationLocal = eval.get(0);
    List<DataSet> heldOutLocal = eval.get(1);
    long examples = count(plainBatches.values().iterator().next());
    long validationExamples = count(validationLocal);
    long heldOutExamples = count(heldOutLocal);

    Phase.log("warm-up: one plain epoch on a tenth of the batches (JIT, ND4J), not reported");
    List<DataSet> first = plainBatches.values().iterator().next();
    initial.clone().fit(new ExistingDataSetIterator(first.subList(0, first.size() / 10)));

    List<Run> runs = new ArrayList<>();
    for (int rep = 1; rep <= o.repeats(); rep++) {
      List<Integer> plainDone = new ArrayList<>();
      for (Setting s : o.settings()) {
        if (!plainDone.contains(s.batch())) {
          plainDone.add(s.batch());
          runs.add(
              plain(
                  spark,
                  initial,
                  plainBatches.get(s.batch()),
                  validationLocal,
                  heldOutLocal,
                  s,
                  rep,
                  o.epochs()));
        }
        Phase cache =
            Phase.run(
                spark,
                "spark: cache the training minibatches of "
                    + s.batch()
                    + " (repetition "
                    + rep
                    + ")",
                () -> {
                  JavaRDD<DataSet> rdd =
                      TrainingData.dataSets(train, model, encoding, s.batch(), invalid);
                  rdd.persist(StorageLevel.MEMORY_AND_DISK());
                  rdd.count();
                  return rdd;
                });
        prep.add(cache);
        @SuppressWarnings("unchecked")
        JavaRDD<DataSet> cached = (JavaRDD<DataSet>) cache.result();
        runs.add(
            spark(
                spark,
                sc,
                initial,
                cached,
                TrainingData.dataSets(validation, model, encoding, EVAL_BATCH, invalid),
                heldOutLocal,
                examples,
                s,
                rep,
                o.epochs()));
      }
    }
    return report(
        o,
        spark,
        examples,
        validationExamples,
        heldOutExamples,
        encoding,
        initial,
        generate,
        prep,
        runs,
        invalid.value());
  }

  static FeatureEncoding encoding(Dataset<Row> train, ModelSpec model) {
    return TrainingData.fit(train, model, 10);
  }

  static long count(List<DataSet> batches) {
    return batches.stream().mapToLong(DataSet::numExamples).sum();
  }

  static double accuracy(MultiLayerNetwork net, List<DataSet> batches) {
    Evaluation e = new Evaluation(batches.get(0).getLabels().columns());
    batches.forEach(b -> e.eval(b.getLabels(), net.output(b.getFeatures(), false)));
    return e.accuracy();
  }

  static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /**
   * Plain DL4J: {@code fit} over the minibatches, epoch by epoch; after each epoch (not timed) the
   * validation accuracy, keeping the best epoch's parameters — the rule {@link SparkTrainer} uses.
   */
  static Run plain(
      SparkSession spark,
      MultiLayerNetwork initial,
      List<DataSet> batches,
      List<DataSet> validation,
      List<DataSet> heldOut,
      Setting s,
      int rep,
      int epochs)
      throws Exception {
    Phase.log("plain, batch " + s.batch() + ", repetition " + rep);
    double load = load();
    double[] fitSeconds = new double[epochs];
    int[] bestEpoch = {0};
    Phase p =
        Phase.run(
            spark,
            "plain fit, batch " + s.batch(),
            () -> {
              MultiLayerNetwork net = initial.clone();
              MultiLayerNetwork best = net;
              double bestAccuracy = Double.NEGATIVE_INFINITY;
              for (int e = 0; e < epochs; e++) {
                long started = System.nanoTime();
                net.fit(new ExistingDataSetIterator(batches));
                fitSeconds[e] = (System.nanoTime() - started) / 1e9;
                double accuracy = accuracy(net, validation);
                if (accuracy > bestAccuracy) {
                  bestAccuracy = accuracy;
                  bestEpoch[0] = e + 1;
                  best = net.clone();
                }
              }
              return best;
            });
    double held = accuracy((MultiLayerNetwork) p.result(), heldOut);
    return new Run("plain", s, rep, fitSeconds, bestEpoch[0], held, p, load);
  }

  /** {@link SparkTrainer} as the train job uses it; patience = epochs, so every epoch runs. */
  static Run spark(
      SparkSession spark,
      JavaSparkContext sc,
      MultiLayerNetwork initial,
      JavaRDD<DataSet> train,
      JavaRDD<DataSet> validation,
      List<DataSet> heldOut,
      long examples,
      Setting s,
      int rep,
      int epochs)
      throws Exception {
    Phase.log("spark, setting " + s + ", repetition " + rep);
    double load = load();
    SparkTrainer.Settings settings =
        new SparkTrainer.Settings(s.batch(), s.averagingFrequency(), epochs, epochs, SEED);
    Phase p =
        Phase.run(
            spark,
            "spark " + s,
            () -> SparkTrainer.train(sc, initial, train, validation, examples, settings));
    SparkTrainer.Result result = (SparkTrainer.Result) p.result();
    // SparkTrainer times each epoch's fit alone (examples / seconds); its validation pass is not in
    double[] fitSeconds =
        result.epochs().stream().mapToDouble(e -> examples / e.examplesPerSecond()).toArray();
    double held = accuracy(result.network(), heldOut);
    return new Run("spark", s, rep, fitSeconds, result.bestEpoch(), held, p, load);
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static String report(
      Options o,
      SparkSession spark,
      long examples,
      long validationExamples,
      long heldOutExamples,
      FeatureEncoding encoding,
      MultiLayerNetwork initial,
      Phase generate,
      List<Phase> prep,
      List<Run> runs,
      long invalid) {
    StringBuilder md = new StringBuilder();
    String command = System.getProperty("lakeloop.bench.command", "bench/train");
    md.append(
        String.format(
            Locale.ROOT,
            "%n## train — %s, commit %s%n%n",
            LocalDate.now(),
            System.getProperty("lakeloop.bench.commit", "?")));
    md.append("`").append(command).append("`");
    md.append(
        String.format(
            Locale.ROOT,
            " — Spark master %s (%d cores for Spark, %d visible to the JVM); %,d training"
                + " examples (%d features → %d inputs, %d classes), %,d validation (epoch"
                + " selection), %,d held out; network %d → %d (ReLU) → %d (softmax), %,d"
                + " parameters, Adam %.3g, seed %d; %d epochs, %d interleaved repetitions.%n%n",
            spark.sparkContext().master(),
            spark.sparkContext().defaultParallelism(),
            Runtime.getRuntime().availableProcessors(),
            examples,
            o.features(),
            encoding.width(),
            o.classes(),
            validationExamples,
            heldOutExamples,
            encoding.width(),
            o.hidden(),
            o.classes(),
            initial.numParams(),
            LEARNING_RATE,
            SEED,
            o.epochs(),
            o.repeats()));

    md.append(
        "| contender | batch (per worker) | averaging frequency | fit s, best | fit s, median |"
            + " examples/s (best) | spark / plain | held-out accuracy | gap (points) |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    List<Integer> plainReported = new ArrayList<>();
    List<String> verdicts = new ArrayList<>();
    Function<List<Run>, double[]> fits = rs -> rs.stream().mapToDouble(Run::fitSeconds).toArray();
    for (Setting s : o.settings()) {
      List<Run> plain =
          runs.stream()
              .filter(r -> r.contender().equals("plain") && r.setting().batch() == s.batch())
              .toList();
      List<Run> spark2 =
          runs.stream()
              .filter(r -> r.contender().equals("spark") && r.setting().equals(s))
              .toList();
      double[] pf = fits.apply(plain);
      double[] sf = fits.apply(spark2);
      double pBest = Arrays.stream(pf).min().orElseThrow();
      double sBest = Arrays.stream(sf).min().orElseThrow();
      double pAcc = plain.get(0).heldOutAccuracy();
      double worstGap = 0;
      for (Run r : spark2) {
        worstGap = Math.max(worstGap, Math.abs(r.heldOutAccuracy() - pAcc) * 100);
      }
      for (Run r : plain) {
        worstGap = Math.max(worstGap, Math.abs(r.heldOutAccuracy() - pAcc) * 100);
      }
      if (!plainReported.contains(s.batch())) {
        plainReported.add(s.batch());
        md.append(
            String.format(
                Locale.ROOT,
                "| plain `MultiLayerNetwork.fit` | %d | — | %.1f | %.1f | %,.0f | | %s | |%n",
                s.batch(),
                pBest,
                median(pf),
                examples * o.epochs() / pBest,
                accuracies(plain)));
      }
      double ratio = pBest / sBest;
      md.append(
          String.format(
              Locale.ROOT,
              "| spark `SparkTrainer` local[2] | %d | %d | %.1f | %.1f | %,.0f | **%.2f** | %s |"
                  + " %.1f |%n",
              s.batch(),
              s.averagingFrequency(),
              sBest,
              median(sf),
              examples * o.epochs() / sBest,
              ratio,
              accuracies(spark2),
              worstGap));
      verdicts.add(
          String.format(
              Locale.ROOT,
              "- %s (batch %d, averaging every %d): throughput ratio **%.2f** (target ≥ 0.7:"
                  + " **%s**; median/median %.2f); held-out accuracy gap at most **%.1f** points"
                  + " over every run (target ≤ 1: **%s**)%n",
              "spark " + s,
              s.batch(),
              s.averagingFrequency(),
              ratio,
              ratio >= 0.7 ? "met" : "not met",
              median(pf) / median(sf),
              worstGap,
              worstGap <= 1.0 ? "met" : "not met"));
    }
    md.append("\n");
    verdicts.forEach(md::append);
    md.append(
        String.format(
            Locale.ROOT,
            "%nexamples/s = %,d examples x %d epochs / the fit seconds (the sum of the epochs'"
                + " `fit` calls; best of %d runs). spark / plain = plain's best fit time / spark's"
                + " best, both at the same batch size. Invalid labels skipped: %d.%n",
            examples,
            o.epochs(),
            o.repeats(),
            invalid));

    md.append("\nEvery run, in the order they ran:\n\n");
    md.append(
        "| # | contender | setting | epoch fit seconds | fit s | wall s (with validation) |"
            + " Spark jobs | best epoch | held-out accuracy | load avg before |\n");
    md.append("|---:|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    int i = 1;
    for (Run r : runs) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %s | %s | %.1f | %.1f | %d | %d | %.4f | %.2f |%n",
              i++,
              r.contender(),
              r.contender().equals("plain") ? "batch " + r.setting().batch() : r.setting(),
              Arrays.stream(r.epochFitSeconds())
                  .mapToObj(v -> String.format(Locale.ROOT, "%.1f", v))
                  .toList(),
              r.fitSeconds(),
              r.phase().seconds(),
              r.phase().jobs(),
              r.bestEpoch(),
              r.heldOutAccuracy(),
              r.loadBefore()));
    }
    md.append("\nNot timed in the fit seconds (done once, or before each run):\n\n");
    md.append("| step | seconds | Spark jobs |\n|---|---:|---:|\n");
    md.append(
        String.format(
            Locale.ROOT,
            "| %s | %.1f | %d |%n",
            generate.name(),
            generate.seconds(),
            generate.jobs()));
    for (Phase p : prep) {
      md.append(
          String.format(Locale.ROOT, "| %s | %.1f | %d |%n", p.name(), p.seconds(), p.jobs()));
    }
    return md.toString();
  }

  static String accuracies(List<Run> runs) {
    double min = runs.stream().mapToDouble(Run::heldOutAccuracy).min().orElseThrow();
    double max = runs.stream().mapToDouble(Run::heldOutAccuracy).max().orElseThrow();
    return min == max
        ? String.format(Locale.ROOT, "%.4f", min)
        : String.format(Locale.ROOT, "%.4f–%.4f", min, max);
  }
}
