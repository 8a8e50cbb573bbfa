package io.lakeloop.modeling.score;

import static org.apache.spark.sql.functions.col;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.modeling.model.BroadcastNetwork;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scores rows with a model, distributed: the network is broadcast once, each partition rebuilds it
 * and scores its rows in minibatches, encoding the features exactly as the model was trained
 * ({@link FeatureEncoding} from the artifact). Every input column is kept and {@code prediction}
 * and {@code scores} are appended — for a classifier the most probable class index (ties to the
 * lower index) and the class probabilities, for a regressor its output in the label's units (the
 * encoding's target standardisation undone) and null — the prediction_log's shape, so the
 * evaluation engine takes the result as it is.
 */
public final class ModelScorer {
  private static final int BATCH = 1024;

  private ModelScorer() {}

  /** {@code rows} (with the model's feature columns) plus {@code prediction} and {@code scores}. */
  public static Dataset<Row> score(
      JavaSparkContext sc, ModelArtifact artifact, ModelSpec model, Dataset<Row> rows) {
    FeatureEncoding encoding = artifact.encoding();
    boolean regression = !model.task().isClassification();
    if (regression && encoding.target().isEmpty()) {
      throw new LakeloopException(
          "model "
              + model.name()
              + " is a regression model but the artifact's encoding has no target"
              + " standardisation: it was not trained by lakeloop's train for this task");
    }
    BroadcastNetwork shipped = BroadcastNetwork.of(sc, artifact.network());
    StructType in = rows.schema();
    StructType out =
        in.add("prediction", DataTypes.DoubleType, false)
            .add("scores", DataTypes.createArrayType(DataTypes.DoubleType, false), regression);
    List<Column> features = new ArrayList<>();
    encoding.numeric().forEach(n -> features.add(col(n.name()).cast("double")));
    encoding.categorical().forEach(c -> features.add(col(c.name()).cast("string")));
    // the feature values ride along in one extra struct column, dropped before the output
    Dataset<Row> withFeatures =
        rows.withColumn(
            "_features", org.apache.spark.sql.functions.struct(features.toArray(Column[]::new)));
    int width = in.size();
    return withFeatures.mapPartitions(
        (MapPartitionsFunction<Row, Row>)
            it -> scored(shipped.network(), encoding, regression, it, width),
        Encoders.row(out));
  }

  private static Iterator<Row> scored(
      MultiLayerNetwork net,
      FeatureEncoding encoding,
      boolean regression,
      Iterator<Row> rows,
      int width) {
    int numeric = encoding.numeric().size();
    int categorical = encoding.categorical().size();
    return new Iterator<>() {
      private final List<Row> batch = new ArrayList<>(BATCH);
      private float[] probabilities; // the batch's outputs, row-major, copied once per batch
      // (a regressor's: one value per row)
      private int classes;
      private int next;

      @Override
      public boolean hasNext() {
        if (next < batch.size()) {
          return true;
        }
        batch.clear();
        next = 0;
        while (batch.size() < BATCH && rows.hasNext()) {
          batch.add(rows.next());
        }
        if (batch.isEmpty()) {
          return false;
        }
        float[] x = new float[batch.size() * encoding.width()];
        Double[] num = new Double[numeric];
        String[] cat = new String[categorical];
        for (int r = 0; r < batch.size(); r++) {
          Row f = batch.get(r).getStruct(width);
          for (int i = 0; i < numeric; i++) {
            num[i] = f.isNullAt(i) ? null : f.getDouble(i);
          }
          for (int j = 0; j < categorical; j++) {
            cat[j] = f.isNullAt(numeric + j) ? null : f.getString(numeric + j);
          }
          encoding.encode(num, cat, x, r * encoding.width());
        }
        INDArray out =
            net.output(Nd4j.create(x, new long[] {batch.size(), encoding.width()}, 'c'), false);
        classes = (int) out.columns();
        // one copy per batch: a per-row getRow() is an ND4J op per row and costs more than the
        // network itself
        probabilities = out.dup('c').data().asFloat();
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Row r = batch.get(next);
        Object[] values = new Object[width + 2];
        for (int i = 0; i < width; i++) {
          values[i] = r.get(i);
        }
        if (regression) {
          values[width] = encoding.prediction(probabilities[next]);
          values[width + 1] = null;
        } else {
          double[] p = new double[classes];
          for (int k = 0; k < classes; k++) {
            p[k] = probabilities[next * classes + k];
          }
          values[width] = (double) CompactModel.mostProbable(p);
          values[width + 1] = p;
        }
        next++;
        return RowFactory.create(values);
      }
    };
  }
}
