package io.lakeloop.modeling.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.testing.Nets;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The distillation path end to end on local Spark: a teacher trained with parameter averaging, soft
 * targets scored on the workers, a student with under a quarter of the teacher's parameters trained
 * on them with {@link DistillationLoss} — and it keeps the teacher's accuracy within 3 points on
 * held-out data.
 */
class DistillationTest extends SparkTestBase {
  private static MultiLayerNetwork mlp(
      int in, int hidden, Activation out, ILossFunction loss, long seed) {
    return Nets.mlp(in, hidden, 2, out, loss, 0.01, seed);
  }

  @Test
  void aQuarterSizedStudentKeepsTheTeachersAccuracy() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
    Dataset<Row> train = SparkTrainerTest.data(3000, 5);
    Dataset<Row> validation = SparkTrainerTest.data(1000, 6);
    FeatureEncoding encoding = TrainingData.fit(train, SparkTrainerTest.MODEL, 10);
    var invalid = spark().sparkContext().longAccumulator();
    JavaRDD<DataSet> trainSets =
        TrainingData.dataSets(train, SparkTrainerTest.MODEL, encoding, 32, invalid);
    JavaRDD<DataSet> validationSets =
        TrainingData.dataSets(validation, SparkTrainerTest.MODEL, encoding, 256, invalid);
    List<DataSet> held = validationSets.collect();
    SparkTrainer.Settings settings = new SparkTrainer.Settings(32, 5, 6, 2, 13);

    MultiLayerNetwork teacher =
        SparkTrainer.train(
                sc,
                mlp(encoding.width(), 32, Activation.SOFTMAX, new LossMCXENT(), 1),
                trainSets,
                validationSets,
                3000,
                settings)
            .network();
    MultiLayerNetwork studentInit =
        mlp(encoding.width(), 4, Activation.IDENTITY, new DistillationLoss(0.7, 3), 2);
    assertThat(studentInit.numParams() * 4).isLessThanOrEqualTo(teacher.numParams());
    MultiLayerNetwork student =
        SparkTrainer.train(
                sc,
                studentInit,
                SoftTargets.attach(sc, teacher, trainSets, 3),
                validationSets,
                3000,
                settings)
            .network();

    double teacherAccuracy = SparkTrainerTest.accuracy(teacher, held);
    double studentAccuracy = SparkTrainerTest.accuracy(student, held);
    assertThat(teacherAccuracy).isGreaterThan(0.93);
    assertThat(studentAccuracy).isGreaterThanOrEqualTo(teacherAccuracy - 0.03);
  }
}
