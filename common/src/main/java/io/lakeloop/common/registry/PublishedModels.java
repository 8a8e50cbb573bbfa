package io.lakeloop.common.registry;

import static io.lakeloop.common.schema.Columns.*;

import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.table.Tables;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;

/**
 * The model consumer's API — no Spark: resolves {@code name@alias} or {@code name/version} in the
 * registry tables (read with Delta Kernel, each call from the latest snapshot), fetches the
 * artifact through Hadoop {@code FileSystem} ({@code file:} or {@code s3a:}), verifies its SHA-256
 * against the registry (a changed file is refused and never used) and loads it for prediction in
 * plain Java ({@link CompactModel}).
 *
 * <pre>{@code
 * PublishedModels registry = new PublishedModels(new Configuration(), "s3a://lake/warehouse");
 * PublishedModels.Model m = registry.load(ModelRef.parse("churn@champion"), Path.of("/tmp/models"));
 * PublishedModels.Prediction p = m.predict(Map.of("tenure_months", 14, "plan", "pro"));
 * }</pre>
 *
 * A consumer needs this library, Delta Kernel, Hadoop's client jars and parquet-hadoop (plus
 * hadoop-aws for {@code s3a:}); not Spark, Scala or DL4J.
 */
public final class PublishedModels {
  /** A registry row as a consumer needs it ({@code createdAt}: when it was registered). */
  public record Published(
      String modelName,
      int version,
      String artifactUri,
      String sha256,
      long sizeBytes,
      String format,
      String status,
      Map<String, Double> metrics,
      java.time.Instant createdAt) {
    public String ref() {
      return modelName + "/" + version;
    }
  }

  /**
   * A prediction. A classifier's: {@code label} the most probable class (ties to the lower index),
   * every class probability, and {@code value} the class index; a regressor's: {@code value} in the
   * label's units, no probabilities and {@code label} -1.
   */
  public record Prediction(int label, double[] probabilities, double value) {
    static Prediction of(FeatureEncoding encoding, double[] output) {
      if (encoding.target().isPresent()) {
        return new Prediction(-1, new double[0], encoding.prediction(output[0]));
      }
      int best = CompactModel.mostProbable(output);
      return new Prediction(best, output, best);
    }

    /** Whether this is a regressor's prediction (a value, no classes). */
    public boolean regression() {
      return label < 0;
    }
  }

  /** A loaded model: its registry row and its network. */
  public record Model(Published entry, CompactModel network) {
    /**
     * Predicts from raw feature values by column name: numbers (or numeric text) for numeric
     * features, any value (as text) for categorical ones; a missing or null value is encoded as
     * missing, the same as in training. Other keys are ignored.
     *
     * @throws IllegalArgumentException naming the feature when a numeric value is not a number
     */
    public Prediction predict(Map<String, ?> features) {
      FeatureEncoding enc = network.encoding();
      Double[] num = new Double[enc.numeric().size()];
      for (int i = 0; i < num.length; i++) {
        String name = enc.numeric().get(i).name();
        num[i] = number(name, features.get(name));
      }
      String[] cat = new String[enc.categorical().size()];
      for (int j = 0; j < cat.length; j++) {
        Object v = features.get(enc.categorical().get(j).name());
        cat[j] = v == null ? null : v.toString();
      }
      return Prediction.of(enc, network.output(enc.encode(num, cat)));
    }

    private static Double number(String name, Object v) {
      if (v == null) {
        return null;
      }
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      try {
        return Double.valueOf(v.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "feature " + name + " is numeric; got '" + v + "', which is not a number", e);
      }
    }
  }

  private static final StructType REGISTRY_READ =
      new StructType()
          .add(MODEL_NAME, StringType.STRING)
          .add(VERSION, IntegerType.INTEGER)
          .add(ARTIFACT_URI, StringType.STRING)
          .add(SHA256, StringType.STRING)
          .add(SIZE_BYTES, LongType.LONG)
          .add(FORMAT, StringType.STRING)
          .add(STATUS, StringType.STRING)
          .add(METRICS, new MapType(StringType.STRING, DoubleType.DOUBLE, true))
          .add(CREATED_AT, TimestampType.TIMESTAMP);

  private static final StructType ALIASES_READ =
      new StructType()
          .add(MODEL_NAME, StringType.STRING)
          .add(ALIAS, StringType.STRING)
          .add(VERSION, IntegerType.INTEGER);

  private final Configuration hadoop;
  private final String warehouse;
  private final ArtifactStore store;

  /**
   * @param hadoop the Hadoop configuration for the warehouse's file system (s3a credentials and
   *     endpoint for {@code s3a:})
   * @param warehouse the lakehouse root, as in lakeloop's configuration
   */
  public PublishedModels(Configuration hadoop, String warehouse) {
    this.hadoop = hadoop;
    this.warehouse = warehouse.replaceAll("/+$", "");
    this.store = new ArtifactStore(hadoop, this.warehouse);
  }

  /**
   * The registry row a reference names.
   *
   * @throws LakeloopException naming the reference when the alias is not set or the version does
   *     not exist, or the warehouse when it has no registry
   */
  public Published resolve(ModelRef ref) {
    int version =
        ref.version().isPresent()
            ? ref.version().get()
            : alias(ref.model(), ref.alias().orElseThrow())
                .orElseThrow(
                    () ->
                        new LakeloopException(
                            "the registry at "
                                + warehouse
                                + " has no "
                                + ref
                                + " (the alias is not set); bin/lakeloop registry list "
                                + ref.model()
                                + " shows what is there"));
    List<Published> found = new ArrayList<>();
    scan(
        Tables.MODEL_REGISTRY,
        REGISTRY_READ,
        r -> {
          if (r.getString(0).equals(ref.model()) && r.getInt(1) == version) {
            found.add(published(r));
          }
        });
    if (found.isEmpty()) {
      throw new LakeloopException(
          "the registry at "
              + warehouse
              + " has no "
              + ref.model()
              + "/"
              + version
              + "; bin/lakeloop registry list "
              + ref.model()
              + " shows what is there");
    }
    return found.get(0);
  }

  /**
   * Resolves, fetches into {@code dir} (SHA-256 verified) and loads a published model.
   *
   * @throws LakeloopException when the artifact is missing, changed since it was registered, or not
   *     in the compact format that this API predicts with
   */
  public Model load(ModelRef ref, Path dir) {
    return load(resolve(ref), dir);
  }

  /**
   * Fetches into {@code dir} (SHA-256 verified) and loads a registry row already resolved (a caller
   * that resolved it to see whether it changed need not read the registry again).
   *
   * @throws LakeloopException as {@link #load(ModelRef, Path)}
   */
  public Model load(Published p, Path dir) {
    if (!CompactModel.FORMAT.equals(p.format())) {
      throw new LakeloopException(
          p.ref()
              + " is stored as '"
              + p.format()
              + "', not as a published "
              + CompactModel.FORMAT
              + " artifact: this API loads only models published by bin/lakeloop compress (see"
              + " bin/lakeloop registry list "
              + p.modelName()
              + "; load other models with DL4J via bin/lakeloop registry load)");
    }
    Path local = dir.resolve(p.modelName() + "-" + p.version() + "-" + p.sha256() + ".llc");
    return new Model(p, CompactModel.read(store.fetch(p.artifactUri(), p.sha256(), local)));
  }

  private Optional<Integer> alias(String model, String alias) {
    List<Integer> found = new ArrayList<>();
    scan(
        Tables.MODEL_ALIASES,
        ALIASES_READ,
        r -> {
          if (r.getString(0).equals(model) && r.getString(1).equals(alias)) {
            found.add(r.getInt(2));
          }
        });
    return found.stream().findFirst();
  }

  private static java.time.Instant micros(long us) {
    return java.time.Instant.ofEpochSecond(
        Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1_000L);
  }

  private static Published published(Row r) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (!r.isNullAt(7)) {
      MapValue m = r.getMap(7);
      for (int i = 0; i < m.getSize(); i++) {
        if (!m.getValues().isNullAt(i)) {
          metrics.put(m.getKeys().getString(i), m.getValues().getDouble(i));
        }
      }
    }
    return new Published(
        r.getString(0),
        r.getInt(1),
        r.getString(2),
        r.getString(3),
        r.getLong(4),
        r.getString(5),
        r.getString(6),
        Collections.unmodifiableMap(metrics),
        r.isNullAt(8) ? null : micros(r.getLong(8)));
  }

  /** Every row of a table's latest snapshot, the columns of {@code schema}, to {@code sink}. */
  private void scan(String table, StructType schema, Consumer<Row> sink) {
    String path = warehouse + "/" + table;
    Engine engine = DefaultEngine.create(hadoop);
    Snapshot snapshot;
    try {
      snapshot = Table.forPath(engine, path).getLatestSnapshot(engine);
    } catch (TableNotFoundException e) {
      throw new LakeloopException(
          "there is no Delta table "
              + path
              + ": the warehouse has no model registry yet (nothing was trained or published"
              + " there) or the warehouse path is wrong",
          e);
    }
    Scan scan = snapshot.getScanBuilder(engine).withReadSchema(engine, schema).build();
    Row state = scan.getScanState(engine);
    StructType physical = ScanStateRow.getPhysicalDataReadSchema(engine, state);
    try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine)) {
      while (files.hasNext()) {
        try (CloseableIterator<Row> fileRows = files.next().getRows()) {
          while (fileRows.hasNext()) {
            Row file = fileRows.next();
            FileStatus status = InternalScanFileUtils.getAddFileStatus(file);
            CloseableIterator<ColumnarBatch> data =
                engine
                    .getParquetHandler()
                    .readParquetFiles(
                        Utils.singletonCloseableIterator(status), physical, Optional.empty());
            try (CloseableIterator<FilteredColumnarBatch> rows =
                Scan.transformPhysicalData(engine, state, file, data)) {
              while (rows.hasNext()) {
                try (CloseableIterator<Row> it = rows.next().getRows()) {
                  while (it.hasNext()) {
                    sink.accept(it.next());
                  }
                }
              }
            }
          }
        }
      }
    } catch (IOException e) {
      throw new LakeloopException("cannot read the Delta table " + path + ": " + e, e);
    }
  }
}
