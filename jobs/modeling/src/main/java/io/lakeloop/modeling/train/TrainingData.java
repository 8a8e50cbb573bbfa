package io.lakeloop.modeling.train;

import static io.lakeloop.common.schema.Columns.LABEL;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.when;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.model.FeatureEncoding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Labeled predictions become DL4J training examples: the feature encoding fitted on them (a few
 * small aggregations; only statistics and vocabularies reach the driver) and a {@code
 * JavaRDD<DataSet>} of minibatches built inside each partition of the scan — no row is collected.
 */
public final class TrainingData {
  private TrainingData() {}

  /**
   * The encoding fitted on {@code examples}: per numeric feature the mean and sample standard
   * deviation of its finite values (0 and 0 when it has none); per categorical feature its {@code
   * maxCategories} most frequent non-null values (ties by value), most frequent first; for a
   * regression model the label's mean and standard deviation as the target's standardisation. One
   * Spark job for the numeric features and the label and one per categorical feature.
   */
  public static FeatureEncoding fit(Dataset<Row> examples, ModelSpec model, int maxCategories) {
    List<String> names = new ArrayList<>(model.numericFeatures());
    boolean regression = !model.task().isClassification();
    if (regression) {
      names.add(LABEL); // the target's standardisation, from the same aggregation
    }
    List<FeatureEncoding.Numeric> stats = new ArrayList<>();
    if (!names.isEmpty()) {
      List<Column> aggs = new ArrayList<>();
      for (String n : names) {
        Column finite = finite(col(n).cast("double"));
        aggs.add(avg(finite));
        aggs.add(stddev_samp(finite));
      }
      Row row =
          examples.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).head();
      for (int i = 0; i < names.size(); i++) {
        double mean = row.isNullAt(2 * i) ? 0 : row.getDouble(2 * i);
        double std = row.isNullAt(2 * i + 1) ? 0 : row.getDouble(2 * i + 1);
        stats.add(new FeatureEncoding.Numeric(names.get(i), mean, Double.isFinite(std) ? std : 0));
      }
    }
    List<FeatureEncoding.Numeric> numeric = regression ? stats.subList(0, stats.size() - 1) : stats;
    List<FeatureEncoding.Categorical> categorical = new ArrayList<>();
    for (String c : model.categoricalFeatures()) {
      List<String> vocabulary = new ArrayList<>();
      examples
          .select(col(c).cast("string").as(c))
          .where(col(c).isNotNull())
          .groupBy(c)
          .agg(count("*").as("n"))
          .orderBy(desc("n"), col(c))
          .limit(maxCategories)
          .collectAsList()
          .forEach(r -> vocabulary.add(r.getString(0)));
      categorical.add(new FeatureEncoding.Categorical(c, vocabulary));
    }
    FeatureEncoding encoding = new FeatureEncoding(numeric, categorical);
    return regression ? encoding.withTarget(stats.get(stats.size() - 1)) : encoding;
  }

  private static Column finite(Column x) {
    return when(
        x.isNotNull()
            .and(org.apache.spark.sql.functions.not(x.isNaN()))
            .and(x.between(-Double.MAX_VALUE, Double.MAX_VALUE)),
        x);
  }

  /**
   * Minibatches of at most {@code batchSize} labeled rows, in the order of each partition: features
   * by {@code encoding}; labels one-hot over the model's classes (classification) or the value
   * standardised by the encoding's target (regression). Rows without a label are left out; a
   * classification label that is not a class index (not a whole number in [0, classes)) and a
   * regression label that is not finite are left out and counted in {@code invalid}.
   */
  public static JavaRDD<DataSet> dataSets(
      Dataset<Row> examples,
      ModelSpec model,
      FeatureEncoding encoding,
      int batchSize,
      LongAccumulator invalid) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be ≥ 1; got " + batchSize);
    }
    List<Column> cols = new ArrayList<>();
    encoding.numeric().forEach(n -> cols.add(col(n.name()).cast("double")));
    encoding.categorical().forEach(c -> cols.add(col(c.name()).cast("string")));
    cols.add(col(LABEL).cast("double"));
    int classes = model.task().isClassification() ? model.numClasses() : 0;
    return examples
        .where(col(LABEL).isNotNull())
        .select(cols.toArray(Column[]::new))
        .toJavaRDD()
        .mapPartitions(rows -> batches(rows, encoding, classes, batchSize, invalid));
  }

  /** One partition's rows as minibatches (classes 0: regression). */
  static Iterator<DataSet> batches(
      Iterator<Row> rows,
      FeatureEncoding encoding,
      int classes,
      int batchSize,
      LongAccumulator invalid) {
    int numeric = encoding.numeric().size();
    int categorical = encoding.categorical().size();
    int labelWidth = classes > 0 ? classes : 1;
    return new Iterator<>() {
      private DataSet ready;

      @Override
      public boolean hasNext() {
        if (ready == null) {
          ready = fill();
        }
        return ready != null;
      }

      @Override
      public DataSet next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        DataSet out = ready;
        ready = null;
        return out;
      }

      /** The next batch of valid rows, or null when the partition has none left. */
      private DataSet fill() {
        float[][] features = new float[batchSize][];
        float[][] labels = new float[batchSize][];
        int n = 0;
        Double[] num = new Double[numeric];
        String[] cat = new String[categorical];
        while (n < batchSize && rows.hasNext()) {
          Row r = rows.next();
          double label = r.getDouble(numeric + categorical);
          float[] y = new float[labelWidth];
          if (classes > 0) {
            if (label < 0 || label >= classes || label != Math.floor(label)) {
              invalid.add(1);
              continue;
            }
            y[(int) label] = 1f;
          } else if (Double.isFinite(label)) {
            y[0] = (float) encoding.standardisedTarget(label);
          } else {
            invalid.add(1);
            continue;
          }
          for (int i = 0; i < numeric; i++) {
            num[i] = r.isNullAt(i) ? null : r.getDouble(i);
          }
          for (int j = 0; j < categorical; j++) {
            cat[j] = r.isNullAt(numeric + j) ? null : r.getString(numeric + j);
          }
          features[n] = encoding.encode(num, cat);
          labels[n] = y;
          n++;
        }
        if (n == 0) {
          return null;
        }
        return new DataSet(
            Nd4j.create(Arrays.copyOf(features, n)), Nd4j.create(Arrays.copyOf(labels, n)));
      }
    };
  }
}
