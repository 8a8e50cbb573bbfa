package io.lakeloop.common.registry;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

import io.delta.tables.DeltaTable;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.fault.Faults;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * The {@code model_registry} and {@code model_aliases} tables. Registry rows are only ever
 * inserted: a model's versions are 1, 2, 3… assigned at insert time by an insert-only MERGE that
 * takes max + 1 and is retried when another writer committed first (Delta's conflict detection
 * rejects the second of two concurrent inserts, so no two rows share a version). Aliases change
 * only by compare-and-set. Reads are of a handful of metadata rows per model.
 */
public final class ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  /** Status of a trained model not yet through the quality gate. */
  public static final String CANDIDATE = "candidate";

  /** The alias of the model that serves. */
  public static final String CHAMPION = "champion";

  /** The alias of the gate's winner, waiting to be compressed and published. */
  public static final String CHALLENGER = "challenger";

  private static final int MAX_ATTEMPTS = 20;

  /** A Delta version range of one table that a model was trained on. */
  public record Lineage(String table, long versionFrom, long versionTo) {}

  /** How a model was compressed (null for an uncompressed model). */
  public record Compression(Double sparsity, Integer bits, Double sizeRatio) {}

  /** One registry row. {@code version} is 0 in a row not registered yet. */
  public record Entry(
      String modelName,
      int version,
      String artifactUri,
      String sha256,
      long sizeBytes,
      String format,
      Integer parentVersion,
      List<Lineage> trainingData,
      Map<String, Double> metrics,
      Compression compression,
      String status,
      Instant createdAt,
      String runId) {
    public Entry {
      trainingData = List.copyOf(trainingData);
      metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /**
     * A row not registered yet for an artifact already in the store, created now: where it is, its
     * hash and size come from {@code stored}.
     */
    public static Entry of(
        String modelName,
        ArtifactStore.Stored stored,
        String format,
        Integer parentVersion,
        List<Lineage> trainingData,
        Map<String, Double> metrics,
        Compression compression,
        String status,
        String runId) {
      return new Entry(
          modelName,
          0,
          stored.uri(),
          stored.sha256(),
          stored.sizeBytes(),
          format,
          parentVersion,
          trainingData,
          metrics,
          compression,
          status,
          Instant.now(),
          runId);
    }

    /** {@code name/version}, as the CLI prints it. */
    public String ref() {
      return modelName + "/" + version;
    }

    Entry withVersion(int v) {
      return new Entry(
          modelName,
          v,
          artifactUri,
          sha256,
          sizeBytes,
          format,
          parentVersion,
          trainingData,
          metrics,
          compression,
          status,
          createdAt,
          runId);
    }
  }

  private final Lakehouse lakehouse;
  private final SparkSession spark;

  public ModelRegistry(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
    this.spark = lakehouse.spark();
    lakehouse.ensure(Tables.MODEL_REGISTRY_SPEC);
    lakehouse.ensure(Tables.MODEL_ALIASES_SPEC);
  }

  /**
   * Inserts {@code entry} as the next version of its model and returns it with that version. An
   * entry with the same model, SHA-256 and run id that is already registered is returned as it is
   * (a retried run registers nothing twice).
   */
  public Entry register(Entry entry) {
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      int n = attempt;
      Optional<Entry> registered =
          lakehouse.committing(Tables.MODEL_REGISTRY, () -> tryRegister(entry, n));
      if (registered.isPresent()) {
        return registered.get();
      }
    }
    throw new LakeloopException(
        "could not register a version of model "
            + entry.modelName()
            + " after "
            + MAX_ATTEMPTS
            + " attempts: other writers kept committing first; retry the run");
  }

  /** One attempt at {@link #register}: the entry registered, or empty when another won. */
  private Optional<Entry> tryRegister(Entry entry, int attempt) {
    // one read of the model's versions answers both: registered already, and the next number
    List<Entry> versions = versions(entry.modelName());
    Optional<Entry> existing = sameRun(versions, entry);
    if (existing.isPresent()) {
      return existing;
    }
    int next = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
    Entry candidate = entry.withVersion(next);
    Faults.point("registry.before-commit");
    try {
      DeltaTable.forPath(spark, lakehouse.path(Tables.MODEL_REGISTRY))
          .as("t")
          .merge(
              spark
                  .createDataFrame(List.of(row(candidate)), Tables.MODEL_REGISTRY_SPEC.schema())
                  .as("s"),
              "t.model_name = s.model_name AND (t.version = s.version"
                  + " OR (t.sha256 = s.sha256 AND t.run_id = s.run_id))")
          .whenNotMatched()
          .insertAll()
          .execute();
    } catch (ConcurrentModificationException raced) {
      LOG.info(
          "registry: another writer committed to {} first (attempt {}); retrying",
          entry.modelName(),
          attempt);
      return Optional.empty();
    }
    Faults.point("registry.after-commit");
    Optional<Entry> mine = sameRun(versions(entry.modelName()), entry);
    mine.ifPresent(m -> LOG.info("registry: registered {} ({})", m.ref(), m.status()));
    // empty: version `next` went to another writer between our read and our commit
    return mine;
  }

  /** Every version of every model, by model name then version. */
  public List<Entry> all() {
    List<Entry> out = new ArrayList<>();
    for (Row r : table().orderBy(MODEL_NAME, VERSION).collectAsList()) {
      out.add(entry(r));
    }
    return out;
  }

  /** The aliases of a model and the versions they point at, by alias name. */
  public Map<String, Integer> aliases(String model) {
    Map<String, Integer> out = new TreeMap<>();
    aliases()
        .where(col(MODEL_NAME).equalTo(model))
        .select(ALIAS, VERSION)
        .collectAsList()
        .forEach(r -> out.put(r.getString(0), r.getInt(1)));
    return out;
  }

  /**
   * The entry a reference names.
   *
   * @throws LakeloopException naming the reference when the version or alias does not exist
   */
  public Entry resolve(ModelRef ref) {
    Optional<Entry> e =
        ref.version().isPresent()
            ? get(ref.model(), ref.version().get())
            : resolve(ref.model(), ref.alias().orElseThrow());
    return e.orElseThrow(
        () ->
            new LakeloopException(
                "the registry has no "
                    + ref
                    + (ref.alias().isPresent() ? " (the alias is not set)" : "")
                    + "; see bin/lakeloop registry list "
                    + ref.model()));
  }

  /** Every version of a model, oldest first. */
  public List<Entry> versions(String model) {
    return entries(col(MODEL_NAME).equalTo(model));
  }

  public Optional<Entry> get(String model, int version) {
    List<Entry> e = entries(col(MODEL_NAME).equalTo(model).and(col(VERSION).equalTo(version)));
    return e.isEmpty() ? Optional.empty() : Optional.of(e.get(0));
  }

  /** The highest version of a model, if it has any. */
  public Optional<Integer> latestVersion(String model) {
    Row r =
        table().where(col(MODEL_NAME).equalTo(model)).agg(max(col(VERSION))).collectAsList().get(0);
    return r.isNullAt(0) ? Optional.empty() : Optional.of(r.getInt(0));
  }

  /** The version an alias points at, if it is set. */
  public Optional<Integer> alias(String model, String alias) {
    List<Row> rows =
        aliases()
            .where(col(MODEL_NAME).equalTo(model).and(col(ALIAS).equalTo(alias)))
            .select(VERSION)
            .collectAsList();
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0).getInt(0));
  }

  /** The entry an alias points at, if it is set. */
  public Optional<Entry> resolve(String model, String alias) {
    return alias(model, alias).flatMap(v -> get(model, v));
  }

  /**
   * Points {@code alias} at {@code version} if it currently points at {@code expected} (empty: if
   * it is not set). A MERGE conditioned on the expected version: of two concurrent changes from the
   * same state, Delta commits one and rejects the other. Returns whether this change won.
   */
  public boolean setAlias(
      String model, String alias, Optional<Integer> expected, int version, String runId) {
    if (get(model, version).isEmpty()) {
      throw new LakeloopException(
          "cannot point alias "
              + alias
              + " of model "
              + model
              + " at version "
              + version
              + ": the registry has no such version (see bin/lakeloop registry list)");
    }
    Dataset<Row> source =
        spark.createDataFrame(
            List.of(RowFactory.create(model, alias, version, Timestamp.from(Instant.now()), runId)),
            Tables.MODEL_ALIASES_SPEC.schema());
    String expectedClause =
        expected.map(v -> "t.version = " + v).orElse("false"); // unset: only an insert may win
    boolean won =
        lakehouse.committing(
            Tables.MODEL_ALIASES,
            () -> {
              try {
                DeltaTable.forPath(spark, lakehouse.path(Tables.MODEL_ALIASES))
                    .as("t")
                    .merge(source.as("s"), "t.model_name = s.model_name AND t.alias = s.alias")
                    .whenMatched(expectedClause)
                    .updateAll()
                    .whenNotMatched(expected.isPresent() ? "false" : "true")
                    .insertAll()
                    .execute();
              } catch (ConcurrentModificationException raced) {
                LOG.info(
                    "registry: alias {}@{} changed concurrently; this change lost", model, alias);
                return false;
              }
              return alias(model, alias).equals(Optional.of(version))
                  && lastAliasRun(model, alias, runId);
            });
    LOG.info(
        "registry: alias {}@{} {} {} (expected {})",
        model,
        alias,
        won ? "now points at" : "was not moved to",
        version,
        expected.map(String::valueOf).orElse("unset"));
    return won;
  }

  private boolean lastAliasRun(String model, String alias, String runId) {
    return !aliases()
        .where(
            col(MODEL_NAME)
                .equalTo(model)
                .and(col(ALIAS).equalTo(alias))
                .and(col(RUN_ID).equalTo(runId)))
        .isEmpty();
  }

  /** The version of {@code versions} that holds the same artifact from the same run, if any. */
  private static Optional<Entry> sameRun(List<Entry> versions, Entry entry) {
    return versions.stream()
        .filter(e -> entry.sha256().equals(e.sha256()) && entry.runId().equals(e.runId()))
        .findFirst();
  }

  private Dataset<Row> table() {
    return lakehouse.read(Tables.MODEL_REGISTRY).data();
  }

  private Dataset<Row> aliases() {
    return lakehouse.read(Tables.MODEL_ALIASES).data();
  }

  private List<Entry> entries(Column where) {
    List<Entry> out = new ArrayList<>();
    for (Row r : table().where(where).orderBy(VERSION).collectAsList()) {
      out.add(entry(r));
    }
    return out;
  }

  private static Entry entry(Row r) {
    List<Lineage> lineage = new ArrayList<>();
    if (!r.isNullAt(r.fieldIndex(TRAINING_DATA))) {
      for (Row l : r.<Row>getList(r.fieldIndex(TRAINING_DATA))) {
        lineage.add(new Lineage(l.getString(0), l.getLong(1), l.getLong(2)));
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (!r.isNullAt(r.fieldIndex(METRICS))) {
      new TreeMap<>(JavaConverters.mapAsJavaMap(r.<String, Double>getMap(r.fieldIndex(METRICS))))
          .forEach(metrics::put);
    }
    Compression compression = null;
    if (!r.isNullAt(r.fieldIndex(COMPRESSION))) {
      Row c = r.getStruct(r.fieldIndex(COMPRESSION));
      compression =
          new Compression(
              c.isNullAt(0) ? null : c.getDouble(0),
              c.isNullAt(1) ? null : c.getInt(1),
              c.isNullAt(2) ? null : c.getDouble(2));
    }
    return new Entry(
        r.getAs(MODEL_NAME),
        r.<Integer>getAs(VERSION),
        r.getAs(ARTIFACT_URI),
        r.getAs(SHA256),
        r.<Long>getAs(SIZE_BYTES),
        r.getAs(FORMAT),
        r.isNullAt(r.fieldIndex(PARENT_VERSION)) ? null : r.<Integer>getAs(PARENT_VERSION),
        lineage,
        metrics,
        compression,
        r.getAs(STATUS),
        r.<Timestamp>getAs(CREATED_AT).toInstant(),
        r.getAs(RUN_ID));
  }

  private static Row row(Entry e) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put(MODEL_NAME, e.modelName());
    v.put(VERSION, e.version());
    v.put(ARTIFACT_URI, e.artifactUri());
    v.put(SHA256, e.sha256());
    v.put(SIZE_BYTES, e.sizeBytes());
    v.put(FORMAT, e.format());
    v.put(PARENT_VERSION, e.parentVersion());
    List<Row> lineage = new ArrayList<>();
    e.trainingData()
        .forEach(l -> lineage.add(RowFactory.create(l.table(), l.versionFrom(), l.versionTo())));
    v.put(TRAINING_DATA, lineage);
    v.put(METRICS, new LinkedHashMap<>(e.metrics()));
    Compression c = e.compression();
    v.put(COMPRESSION, c == null ? null : RowFactory.create(c.sparsity(), c.bits(), c.sizeRatio()));
    v.put(STATUS, e.status());
    v.put(CREATED_AT, Timestamp.from(e.createdAt()));
    v.put(RUN_ID, e.runId());
    return Tables.MODEL_REGISTRY_SPEC.row(v);
  }
}
