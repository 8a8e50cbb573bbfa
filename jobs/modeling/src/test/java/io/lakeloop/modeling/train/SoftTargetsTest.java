package io.lakeloop.modeling.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.model.Networks;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Soft targets computed on the workers equal softmax(z / T) of the teacher's logits, computed here
 * on the driver from the teacher's last pre-activation; the hard labels are kept as they were. A
 * regression's blended targets are (1 − α)·y + α·t(x), t computed here from the layers' weights.
 */
class SoftTargetsTest extends SparkTestBase {
  @Test
  void workersAppendSoftmaxOfTheTeachersLogitsAtTemperature() {
    MultiLayerNetwork teacher =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .seed(21)
                .list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.TANH).build())
                .layer(
                    new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(6)
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .build())
                .build());
    teacher.init();
    List<DataSet> batches = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      INDArray x = Nd4j.rand(DataType.FLOAT, 8, 4).muli(4).subi(2);
      INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 3);
      for (int r = 0; r < 8; r++) {
        y.putScalar(r, (r + i) % 3, 1f);
      }
      batches.add(new DataSet(x, y));
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
    JavaRDD<DataSet> data = sc.parallelize(batches, 3);
    double t = 2.5;
    List<DataSet> out = SoftTargets.attach(sc, teacher, data, t).collect();

    assertThat(out).hasSize(batches.size());
    for (int i = 0; i < out.size(); i++) {
      DataSet in = batches.get(i);
      DataSet got = out.get(i);
      assertThat(got.getFeatures()).isEqualTo(in.getFeatures());
      assertThat(got.getLabels().columns()).isEqualTo(6);
      // logits: the output layer's pre-activation, W·h + b, from the hidden layer's activations
      INDArray hidden = teacher.feedForwardToLayer(1, in.getFeatures()).get(1);
      INDArray logits =
          hidden
              .mmul(teacher.getLayer(1).getParam("W"))
              .addiRowVector(teacher.getLayer(1).getParam("b"));
      for (int r = 0; r < 8; r++) {
        double[] z = logits.getRow(r).toDoubleVector();
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
          max = Math.max(max, v / t);
        }
        double sum = 0;
        double[] e = new double[3];
        for (int k = 0; k < 3; k++) {
          e[k] = Math.exp(z[k] / t - max);
          sum += e[k];
        }
        for (int k = 0; k < 3; k++) {
          assertThat(got.getLabels().getDouble(r, k)).isEqualTo(in.getLabels().getDouble(r, k));
          assertThat(got.getLabels().getDouble(r, 3 + k)).isCloseTo(e[k] / sum, within(1e-5));
        }
      }
    }
  }

  @Test
  void workersBlendARegressionsLabelsWithTheTeachersPredictions() {
    MultiLayerNetwork teacher = Networks.regressor(3, List.of(5), 0.01, 0, 0, 4);
    List<DataSet> batches = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      batches.add(
          new DataSet(
              Nd4j.rand(DataType.FLOAT, 6, 3).muli(4).subi(2),
              Nd4j.rand(DataType.FLOAT, 6, 1).muli(3)));
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
    double alpha = 0.7;
    List<DataSet> out = SoftTargets.blend(sc, teacher, sc.parallelize(batches, 2), alpha).collect();
    assertThat(out).hasSize(batches.size());
    double[][] w0 = teacher.getLayer(0).getParam("W").toDoubleMatrix();
    double[] b0 = teacher.getLayer(0).getParam("b").toDoubleVector();
    double[][] w1 = teacher.getLayer(1).getParam("W").toDoubleMatrix();
    double b1 = teacher.getLayer(1).getParam("b").getDouble(0);
    for (int i = 0; i < out.size(); i++) {
      double[][] x = batches.get(i).getFeatures().toDoubleMatrix();
      assertThat(out.get(i).getFeatures()).isEqualTo(batches.get(i).getFeatures());
      for (int r = 0; r < x.length; r++) {
        double t = b1; // relu hidden layer, identity output, by hand
        for (int h = 0; h < b0.length; h++) {
          double z = b0[h];
          for (int k = 0; k < x[r].length; k++) {
            z += x[r][k] * w0[k][h];
          }
          t += Math.max(0, z) * w1[h][0];
        }
        double y = batches.get(i).getLabels().getDouble(r, 0);
        assertThat(out.get(i).getLabels().getDouble(r, 0))
            .isCloseTo((1 - alpha) * y + alpha * t, within(1e-5));
      }
    }
  }
}
