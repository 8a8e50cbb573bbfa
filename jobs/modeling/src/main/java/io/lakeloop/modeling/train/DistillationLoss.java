package io.lakeloop.modeling.train;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Knowledge distillation's loss (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a
 * Neural Network"): {@code (1 − α) · CE(y, softmax(z)) + α · T² · KL(p_T ‖ softmax(z / T))}, where
 * z are the student's logits, y the hard one-hot labels and p_T the teacher's probabilities at
 * temperature T.
 *
 * <p>Contract: the output layer's activation must be the identity (its output are the logits; the
 * loss applies the softmaxes itself), and each label row is the hard one-hot labels followed by the
 * teacher's softened probabilities, {@code [y | p_T]}, 2 × classes wide. The gradient with respect
 * to the logits is {@code (1 − α)(softmax(z) − y) + α · T · (softmax(z / T) − p_T)}. Scores are per
 * example (averaged over the minibatch when asked); masks zero whole examples. Plain fields with a
 * JSON creator: the configuration round-trips through DL4J's JSON, so it survives save/load and
 * travels to Spark workers with the network.
 */
public final class DistillationLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;

  private final double alpha;
  private final double temperature;

  @JsonCreator
  public DistillationLoss(
      @JsonProperty("alpha") double alpha, @JsonProperty("temperature") double temperature) {
    if (!(alpha >= 0 && alpha <= 1) || !(temperature > 0) || !Double.isFinite(temperature)) {
      throw new IllegalArgumentException(
          "distillation needs 0 ≤ alpha ≤ 1 and a finite temperature > 0; got alpha="
              + alpha
              + ", temperature="
              + temperature);
    }
    this.alpha = alpha;
    this.temperature = temperature;
  }

  @JsonProperty("alpha")
  public double alpha() {
    return alpha;
  }

  @JsonProperty("temperature")
  public double temperature() {
    return temperature;
  }

  /** Softmax of each row of x / t, computed stably. */
  private static INDArray softmax(INDArray x, double t) {
    INDArray z = x.div(t);
    z.subiColumnVector(z.max(1).reshape(z.rows(), 1));
    Transforms.exp(z, false);
    return z.diviColumnVector(z.sum(1).reshape(z.rows(), 1));
  }

  /** One minibatch: the student's logits and the label halves. */
  private record Batch(INDArray logits, INDArray hard, INDArray soft) {
    static Batch of(
        INDArray labels, INDArray preOutput, IActivation activationFn, boolean training) {
      INDArray logits = activationFn.getActivation(preOutput.dup(), training);
      int k = logits.columns();
      if (labels.columns() != 2 * k) {
        throw new IllegalArgumentException(
            "distillation labels must be [hard one-hot | teacher probabilities], "
                + 2 * k
                + " columns for "
                + k
                + " classes; got "
                + labels.columns());
      }
      return new Batch(
          logits,
          labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)),
          labels.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k)));
    }
  }

  /** Zeroes the rows of masked-out examples (no mask: unchanged). */
  private static INDArray masked(INDArray perExample, INDArray mask) {
    if (mask != null) {
      perExample.muliColumnVector(mask.reshape(-1, 1).castTo(perExample.dataType()));
    }
    return perExample;
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    Batch b = Batch.of(labels, preOutput, activationFn, false);
    INDArray logits = b.logits();
    INDArray soft = b.soft();
    double tiny = logits.dataType() == DataType.DOUBLE ? 1e-300 : 1e-30;
    INDArray logQ = Transforms.log(softmax(logits, 1).addi(tiny), false);
    INDArray logQt = Transforms.log(softmax(logits, temperature).addi(tiny), false);
    INDArray logP = Transforms.log(soft.add(tiny), false);
    INDArray ce = b.hard().mul(logQ).sum(1).negi();
    INDArray kl = soft.mul(logP.subi(logQt)).sum(1);
    return masked(
        ce.muli(1 - alpha).addi(kl.muli(alpha * temperature * temperature)).reshape(-1, 1), mask);
  }

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? sum / preOutput.rows() : sum;
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    Batch b = Batch.of(labels, preOutput, activationFn, true);
    INDArray dLdz =
        masked(
            softmax(b.logits(), 1)
                .subi(b.hard())
                .muli(1 - alpha)
                .addi(softmax(b.logits(), temperature).subi(b.soft()).muli(alpha * temperature)),
            mask);
    // through the output activation (the identity by contract, but do it properly)
    return activationFn.backprop(preOutput.dup(), dLdz).getFirst();
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return new Pair<>(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DistillationLoss d && d.alpha == alpha && d.temperature == temperature;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(alpha) * 31 + Double.hashCode(temperature);
  }

  @Override
  public String toString() {
    return "DistillationLoss(alpha=" + alpha + ", temperature=" + temperature + ")";
  }
}
