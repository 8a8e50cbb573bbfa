package io.lakeloop.modeling.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.testing.Nets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Real data (scikit-learn's digits, test resource): the encoding, parameter-averaging training and
 * distillation reach the targets on a fixed held-out split — every fifth image, never used
 * for training or early stopping — teacher accuracy ≥ 0.95 and a student with at most a quarter of
 * its parameters within 3 points. (The full check goes through ingest and the train job,
 * which do not exist yet.)
 */
class DigitsTest extends SparkTestBase {
  private static final int PIXELS = 64;

  private static ModelSpec model() {
    List<String> pixels = new ArrayList<>();
    for (int i = 0; i < PIXELS; i++) {
      pixels.add("p" + i);
    }
    List<String> classes = new ArrayList<>();
    for (int d = 0; d < 10; d++) {
      classes.add("d" + d);
    }
    return new ModelSpec(
        "digits", Task.MULTICLASS, classes, pixels, List.of(), List.of(), Duration.ofDays(1));
  }

  /**
   * The images as rows (64 pixels, label): held out every fifth (i % 5 == 4), for early stopping
   * the ones before them (i % 5 == 3), the rest for training — the held-out images choose nothing.
   */
  private static List<List<Row>> split() throws Exception {
    List<Row> train = new ArrayList<>();
    List<Row> validation = new ArrayList<>();
    List<Row> held = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(DigitsTest.class.getResourceAsStream("/digits.csv.gz")),
                StandardCharsets.US_ASCII))) {
      String line;
      int i = 0;
      while ((line = r.readLine()) != null) {
        String[] f = line.split(",");
        Object[] values = new Object[PIXELS + 1];
        for (int k = 0; k <= PIXELS; k++) {
          values[k] = Double.parseDouble(f[k]);
        }
        int fold = i++ % 5;
        (fold == 4 ? held : fold == 3 ? validation : train).add(RowFactory.create(values));
      }
    }
    return List.of(train, validation, held);
  }

  private static MultiLayerNetwork mlp(int hidden, Activation out, ILossFunction loss, long seed) {
    return Nets.mlp(2 * PIXELS, hidden, 10, out, loss, 0.005, seed);
  }

  private static double accuracy(MultiLayerNetwork net, List<DataSet> batches) {
    Evaluation e = new Evaluation(10);
    batches.forEach(b -> e.eval(b.getLabels(), net.output(b.getFeatures(), false)));
    return e.accuracy();
  }

  @Test
  void teacherAndQuarterSizedStudentReachTheTargets() throws Exception {
    StructType schema = new StructType();
    for (int k = 0; k < PIXELS; k++) {
      schema = schema.add("p" + k, DataTypes.DoubleType);
    }
    schema = schema.add("label", DataTypes.DoubleType);
    List<List<Row>> split = split();
    assertThat(split.stream().mapToInt(List::size).sum()).isEqualTo(1797);
    Dataset<Row> train = spark().createDataFrame(split.get(0), schema).repartition(2);
    Dataset<Row> validation = spark().createDataFrame(split.get(1), schema);
    Dataset<Row> held = spark().createDataFrame(split.get(2), schema);
    ModelSpec model = model();
    FeatureEncoding encoding = TrainingData.fit(train, model, 10);
    var invalid = spark().sparkContext().longAccumulator();
    JavaRDD<DataSet> trainSets = TrainingData.dataSets(train, model, encoding, 32, invalid);
    JavaRDD<DataSet> validationSets =
        TrainingData.dataSets(validation, model, encoding, 128, invalid);
    List<DataSet> heldLocal = TrainingData.dataSets(held, model, encoding, 128, invalid).collect();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
    SparkTrainer.Settings settings = new SparkTrainer.Settings(32, 5, 20, 4, 17);
    long examples = split.get(0).size();

    MultiLayerNetwork teacher =
        SparkTrainer.train(
                sc,
                mlp(128, Activation.SOFTMAX, new LossMCXENT(), 1),
                trainSets,
                validationSets,
                examples,
                settings)
            .network();
    MultiLayerNetwork student =
        SparkTrainer.train(
                sc,
                mlp(31, Activation.IDENTITY, new DistillationLoss(0.7, 3), 2),
                SoftTargets.attach(sc, teacher, trainSets, 3),
                validationSets,
                examples,
                new SparkTrainer.Settings(32, 5, 40, 8, 17)) // a small net learns slower
            .network();

    double teacherAccuracy = accuracy(teacher, heldLocal);
    double studentAccuracy = accuracy(student, heldLocal);
    System.out.printf(
        "digits: teacher %d parameters, accuracy %.4f; student %d parameters, accuracy %.4f%n",
        teacher.numParams(), teacherAccuracy, student.numParams(), studentAccuracy);
    assertThat(student.numParams() * 4).isLessThanOrEqualTo(teacher.numParams());
    assertThat(teacherAccuracy).isGreaterThanOrEqualTo(0.95);
    assertThat(studentAccuracy).isGreaterThanOrEqualTo(teacherAccuracy - 0.03);
    assertThat(invalid.value()).isZero();
  }
}
