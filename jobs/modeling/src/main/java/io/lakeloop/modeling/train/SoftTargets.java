package io.lakeloop.modeling.train;

import io.lakeloop.modeling.model.BroadcastNetwork;
import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The teacher's softened predictions for distillation, computed where the data is: the teacher's
 * configuration (as JSON) and parameters are broadcast once, each partition rebuilds the network
 * and scores its minibatches, and every label row becomes {@code [hard one-hot | p_T]} — the layout
 * {@link DistillationLoss} reads.
 *
 * <p>The teacher ends in a softmax, so its output p is softmax(z); at temperature T the softened
 * distribution softmax(z / T) equals p^(1/T) renormalised (log p differs from z by a constant per
 * row), which is how it is computed here — no access to the teacher's logits needed.
 *
 * <p>For a regression the targets are blended instead ({@link #blend}): the student learns {@code
 * (1 − α)·y + α·t(x)} with the mean squared error, t the teacher's (standardised) prediction. Its
 * loss {@code (f − (1 − α)y − αt)²} differs from {@code (1 − α)(f − y)² + α(f − t)²} — the
 * regression form of the distillation loss — by a term that does not depend on the student's output
 * f, so both have the same gradient and minimiser, and the blended targets need no custom loss.
 */
public final class SoftTargets {
  private SoftTargets() {}

  /** {@code data} with the teacher's softened probabilities appended to every label row. */
  public static JavaRDD<DataSet> attach(
      JavaSparkContext sc, MultiLayerNetwork teacher, JavaRDD<DataSet> data, double temperature) {
    if (!(temperature > 0) || !Double.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0; got " + temperature);
    }
    return relabel(
        sc,
        teacher,
        data,
        (labels, p) -> {
          INDArray soft = Transforms.pow(p, 1.0 / temperature, true);
          soft.diviColumnVector(soft.sum(1).reshape(soft.rows(), 1));
          return Nd4j.hstack(labels, soft.castTo(labels.dataType()));
        });
  }

  /**
   * {@code data} (a regression's standardised labels) with every label replaced by {@code (1 −
   * alpha)·y + alpha·teacher(x)}.
   */
  public static JavaRDD<DataSet> blend(
      JavaSparkContext sc, MultiLayerNetwork teacher, JavaRDD<DataSet> data, double alpha) {
    if (!(alpha >= 0 && alpha <= 1)) {
      throw new IllegalArgumentException("alpha must be in [0, 1]; got " + alpha);
    }
    return relabel(
        sc,
        teacher,
        data,
        (labels, t) -> labels.mul(1 - alpha).addi(t.castTo(labels.dataType()).muli(alpha)));
  }

  /** New labels from a batch's labels and the teacher's output for its features. */
  interface Relabel extends Serializable {
    INDArray apply(INDArray labels, INDArray teacherOutput);
  }

  /**
   * Every batch with its labels replaced by {@code f}, computed where the data is: the teacher is
   * broadcast once and each partition rebuilds it.
   */
  private static JavaRDD<DataSet> relabel(
      JavaSparkContext sc, MultiLayerNetwork teacher, JavaRDD<DataSet> data, Relabel f) {
    BroadcastNetwork shipped = BroadcastNetwork.of(sc, teacher);
    return data.mapPartitions(
        batches -> {
          MultiLayerNetwork net = shipped.network();
          return new Iterator<DataSet>() {
            @Override
            public boolean hasNext() {
              return batches.hasNext();
            }

            @Override
            public DataSet next() {
              DataSet b = batches.next();
              INDArray out = net.output(b.getFeatures(), false);
              return new DataSet(b.getFeatures(), f.apply(b.getLabels(), out));
            }
          };
        });
  }
}
