package io.lakeloop.bench;

import static org.apache.spark.sql.functions.col;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.modeling.artifact.CompactArtifact;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.compress.MagnitudePruning;
import io.lakeloop.modeling.compress.PruningMask;
import io.lakeloop.modeling.model.Networks;
import io.lakeloop.modeling.train.TrainingData;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The compression benchmark of bench/README.md: the size/accuracy curve of a trained classifier at
 * sparsity 0, 50, 80 and 90 % × float32 / int8, on scikit-learn's digits and on the demo model
 * (churn, generated traffic). For each sparsity the teacher is pruned gradually (Zhu & Gupta's
 * cubic schedule, {@code --steps} steps, one fine-tuning epoch each with the mask held), then
 *
 * <ul>
 *   <li><b>float32</b>: the pruned network in DL4J's own model file (lakeloop's uncompressed
 *       artifact, zip-deflated: zeros compress somewhat);
 *   <li><b>int8</b>: the same network in lakeloop's compact artifact (per-channel int8, sparse
 *       layouts) and its accuracy after the int8 round trip;
 * </ul>
 *
 * both against the unpruned teacher's DL4J file and accuracy on the same held-out rows. Fine-tuning
 * here is plain DL4J in one JVM (the job does it on Spark; the curve is about size and accuracy,
 * not speed).
 */
public final class CompressBench {
  private CompressBench() {}

  record Data(
      String name,
      FeatureEncoding encoding,
      int classes,
      List<Integer> hidden,
      List<DataSet> train,
      DataSet test) {}

  public static void main(String[] args) throws Exception {
    String digits = "jobs/modeling/src/test/resources/digits.csv.gz";
    int churnRows = 100_000;
    int epochs = 10;
    int steps = 4;
    double[] sparsities = {0, 0.5, 0.8, 0.9};
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--digits" -> digits = args[i + 1];
        case "--churn-rows" -> churnRows = Integer.parseInt(args[i + 1]);
        case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
        case "--steps" -> steps = Integer.parseInt(args[i + 1]);
        case "--sparsities" ->
            sparsities =
                Arrays.stream(args[i + 1].split(",")).mapToDouble(Double::parseDouble).toArray();
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    Nd4j.getRandom().setSeed(7);
    List<Data> sets = List.of(digits(Path.of(digits)), churn(churnRows));
    System.out.println("## Compression: size and accuracy (bench/compress)");
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Commit %s, `%s`; teacher trained %d epochs, pruning in %d steps of one fine-tuning epoch"
            + " each; accuracy on held-out rows never trained on.%n%n",
        System.getProperty("lakeloop.bench.commit", "unknown"),
        System.getProperty("lakeloop.bench.command", "bench/compress"),
        epochs,
        steps);
    System.out.println(
        "| data | parameters | sparsity | float32 DL4J file | float32 accuracy | int8 compact file |"
            + " size vs unpruned DL4J file | int8 accuracy | accuracy change |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (Data d : sets) {
      curve(d, epochs, steps, sparsities);
    }
  }

  static void curve(Data d, int epochs, int steps, double[] sparsities) throws Exception {
    int width = d.encoding().width();
    MultiLayerNetwork teacher = Networks.classifier(width, d.hidden(), d.classes(), 0.005, 11);
    List<DataSet> batches = new ArrayList<>(d.train());
    Random shuffle = new Random(3);
    for (int e = 0; e < epochs; e++) {
      Collections.shuffle(batches, shuffle);
      batches.forEach(teacher::fit);
    }
    Path dir = Files.createTempDirectory("lakeloop-compress-bench-");
    long teacherBytes = size(teacher, d.encoding(), dir.resolve("teacher.zip"));
    double teacherAccuracy = accuracy(teacher, d.test());
    for (double s : sparsities) {
      MultiLayerNetwork net = teacher.clone();
      for (int step = 1; step <= steps && s > 0; step++) {
        PruningMask mask =
            PruningMask.prune(net, MagnitudePruning.scheduled(0, s, step, steps), false, false);
        net.setListeners(mask);
        Collections.shuffle(batches, shuffle);
        batches.forEach(net::fit);
        net.setListeners();
      }
      long floatBytes = size(net, d.encoding(), dir.resolve("pruned-" + s + ".zip"));
      double floatAccuracy = accuracy(net, d.test());
      File compact = dir.resolve("compact-" + s + ".llc").toFile();
      CompactArtifact.write(net, d.encoding(), false, compact);
      double int8Accuracy = accuracy(CompactArtifact.read(compact).network(), d.test());
      System.out.printf(
          Locale.ROOT,
          "| %s | %,d | %.0f %% | %,d B | %.4f | %,d B | %.1f× smaller | %.4f | %+.2f points |%n",
          d.name(),
          teacher.numParams(),
          100 * s,
          floatBytes,
          floatAccuracy,
          compact.length(),
          (double) teacherBytes / compact.length(),
          int8Accuracy,
          100 * (int8Accuracy - teacherAccuracy));
    }
    System.out.printf(
        Locale.ROOT,
        "| %s | unpruned teacher | | %,d B | %.4f | | | | |%n",
        d.name(),
        teacherBytes,
        teacherAccuracy);
  }

  private static long size(MultiLayerNetwork net, FeatureEncoding enc, Path file) throws Exception {
    new ModelArtifact(net, enc).write(file.toFile());
    return Files.size(file);
  }

  private static double accuracy(MultiLayerNetwork net, DataSet test) {
    INDArray predicted = net.output(test.getFeatures(), false).argMax(1);
    INDArray actual = test.getLabels().argMax(1);
    return predicted.eq(actual).castTo(DataType.DOUBLE).meanNumber().doubleValue();
  }

  /**
   * configs/local.conf on {@code local[2]} with a new temporary warehouse named by {@code prefix}.
   */
  static LakeloopConfig localConfig(String prefix) throws Exception {
    Path warehouse = Files.createTempDirectory(prefix);
    return ConfigLoader.load(
        Optional.of(Path.of("configs/local.conf")),
        List.of("lakeloop.warehouse=\"" + warehouse + "\"", "lakeloop.spark.master=\"local[2]\""));
  }

  /** scikit-learn's digits: every fifth row held out, pixels standardised on the others. */
  static Data digits(Path csvGz) throws Exception {
    List<double[]> rows = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(csvGz)), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          rows.add(Arrays.stream(line.split(",")).mapToDouble(Double::parseDouble).toArray());
        }
      }
    }
    int pixels = rows.get(0).length - 1;
    List<double[]> train = new ArrayList<>();
    List<double[]> test = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      (i % 5 == 0 ? test : train).add(rows.get(i));
    }
    List<FeatureEncoding.Numeric> numeric = new ArrayList<>();
    for (int p = 0; p < pixels; p++) {
      final int q = p;
      double mean = train.stream().mapToDouble(x -> x[q]).average().orElse(0);
      double var =
          train.stream().mapToDouble(x -> (x[q] - mean) * (x[q] - mean)).average().orElse(0);
      numeric.add(new FeatureEncoding.Numeric("p" + p, mean, Math.sqrt(var)));
    }
    FeatureEncoding enc = new FeatureEncoding(numeric, List.of());
    List<DataSet> batches = new ArrayList<>();
    for (int from = 0; from < train.size(); from += 32) {
      batches.add(dataSet(train.subList(from, Math.min(train.size(), from + 32)), enc, 10));
    }
    return new Data("digits", enc, 10, List.of(128, 64), batches, dataSet(test, enc, 10));
  }

  private static DataSet dataSet(List<double[]> rows, FeatureEncoding enc, int classes) {
    int pixels = enc.numeric().size();
    float[] x = new float[rows.size() * enc.width()];
    float[] y = new float[rows.size() * classes];
    Double[] values = new Double[pixels];
    for (int r = 0; r < rows.size(); r++) {
      for (int p = 0; p < pixels; p++) {
        values[p] = rows.get(r)[p];
      }
      enc.encode(values, new String[0], x, r * enc.width());
      y[r * classes + (int) rows.get(r)[pixels]] = 1;
    }
    return new DataSet(
        Nd4j.create(x, new long[] {rows.size(), enc.width()}, 'c'),
        Nd4j.create(y, new long[] {rows.size(), classes}, 'c'));
  }

  /**
   * The demo model on generated traffic (lakeloop's generator on Spark local[2], the demo's
   * settings): the labeled predictions of the days before the concept drift, one row in five (by
   * request id hash) held out.
   */
  static Data churn(int rows) throws Exception {
    LakeloopConfig config = localConfig("lakeloop-compress-bench-lake-");
    SparkSession spark = Sessions.create(config);
    try {
      GenerateJob generate = new GenerateJob();
      JobLauncher.run(
          generate,
          CliArgs.parse(
              "generate",
              new String[] {"--rows", Integer.toString(rows), "--run-id", "bench"},
              generate.flags(),
              false),
          config,
          spark);
      ModelSpec spec = config.model("churn");
      Dataset<Row> labels =
          spark
              .read()
              .format("delta")
              .load(config.warehouse() + "/labels")
              .dropDuplicates(Columns.REQUEST_ID)
              .select(Columns.REQUEST_ID, Columns.LABEL);
      Dataset<Row> labeled =
          spark
              .read()
              .format("delta")
              .load(config.warehouse() + "/prediction_log")
              .where(col(Columns.EVENT_DATE).lt("2026-01-13"))
              .join(labels, Columns.REQUEST_ID);
      Dataset<Row> test = labeled.where("abs(xxhash64(request_id)) % 5 = 0");
      Dataset<Row> train = labeled.where("abs(xxhash64(request_id)) % 5 != 0");
      FeatureEncoding enc = TrainingData.fit(train, spec, 32);
      var invalid = spark.sparkContext().longAccumulator("invalid");
      List<DataSet> batches = TrainingData.dataSets(train, spec, enc, 256, invalid).collect();
      List<DataSet> held = TrainingData.dataSets(test, spec, enc, 1 << 20, invalid).collect();
      return new Data(
          "churn (demo model)",
          enc,
          spec.numClasses(),
          List.of(64, 32),
          batches,
          DataSet.merge(held));
    } finally {
      spark.stop();
    }
  }
}
