package io.lakeloop.modeling.compress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keeps pruned weights at exactly zero while a network trains: a 0/1 vector over the network's
 * flattened parameters, multiplied into them after every update. It is both a Spark {@link
 * TrainingHook} (DL4J's parameter averaging calls it on the workers after each minibatch) and a
 * training listener for single-JVM fitting. Averaging keeps zeros zero (every worker's copy is zero
 * there), so the mask holds through the whole Spark fit.
 */
public final class PruningMask extends BaseTrainingListener implements TrainingHook {
  private static final long serialVersionUID = 1L;

  /** 1 where a parameter is kept, 0 where it is pruned; flattened like the network's params(). */
  private final float[] keep;

  private PruningMask(float[] keep) {
    this.keep = keep;
  }

  /**
   * Magnitude-prunes the weight matrices ({@code W}) of {@code net} to {@code sparsity} — biases
   * never; the output layer only if {@code includeOutputLayer} — zeroes them in {@code net} and
   * returns the mask that keeps them zero.
   *
   * @param global rank all covered weights together (true) or each layer on its own
   */
  public static PruningMask prune(
      MultiLayerNetwork net, double sparsity, boolean global, boolean includeOutputLayer) {
    List<INDArray> weights = new ArrayList<>();
    int layers = net.getnLayers();
    for (int i = 0; i < layers; i++) {
      if (i == layers - 1 && !includeOutputLayer) {
        continue;
      }
      Map<String, INDArray> table = net.getLayer(i).paramTable();
      if (table.containsKey("W")) {
        weights.add(table.get("W"));
      }
    }
    List<float[]> values = new ArrayList<>();
    for (INDArray w : weights) {
      values.add(w.dup('c').data().asFloat());
    }
    List<boolean[]> masks =
        global
            ? MagnitudePruning.global(values, sparsity)
            : MagnitudePruning.layerWise(values, sparsity);
    // A copy of the network whose parameters are all 1 gives the flattened positions: zero the
    // pruned entries through its per-layer views, then read its flat parameter vector.
    MultiLayerNetwork shape = net.clone();
    shape.params().assign(1);
    int k = 0;
    for (int i = 0; i < layers; i++) {
      if (i == layers - 1 && !includeOutputLayer) {
        continue;
      }
      Map<String, INDArray> table = shape.getLayer(i).paramTable();
      if (!table.containsKey("W")) {
        continue;
      }
      INDArray w = table.get("W");
      boolean[] m = masks.get(k++);
      long cols = w.columns();
      for (int j = 0; j < m.length; j++) {
        if (!m[j]) {
          w.putScalar(j / cols, j % cols, 0);
        }
      }
    }
    PruningMask mask = new PruningMask(shape.params().dup().data().asFloat());
    mask.applyTo(net);
    return mask;
  }

  /** Zeroes the pruned parameters of {@code model} in place. */
  public void applyTo(Model model) {
    INDArray p = model.params();
    if (p.length() != keep.length) {
      throw new IllegalStateException(
          "the pruning mask covers " + keep.length + " parameters, the model has " + p.length());
    }
    p.muli(Nd4j.createFromArray(keep).castTo(p.dataType()).reshape(p.shape()));
  }

  /** The share of the network's parameters this mask holds at zero. */
  public double prunedShare() {
    int zeros = 0;
    for (float v : keep) {
      zeros += v == 0f ? 1 : 0;
    }
    return (double) zeros / keep.length;
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    applyTo(model);
  }

  @Override
  public void preUpdate(DataSet minibatch, Model model) {}

  @Override
  public void postUpdate(DataSet minibatch, Model model) {
    applyTo(model);
  }

  @Override
  public void preUpdate(MultiDataSet minibatch, Model model) {}

  @Override
  public void postUpdate(MultiDataSet minibatch, Model model) {
    applyTo(model);
  }
}
