package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.delta.tables.DeltaTable;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.spark.TopValues;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.LabeledPredictions;
import io.lakeloop.monitoring.evaluate.Evaluator;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's drift baseline: per numeric column the quantile edges (the fine grid for KS and
 * Wasserstein, and the PSI edges among them) and its profile on them; per categorical column its
 * value counts and the top-K values that are bins of their own. Built once ({@link #build}: three
 * Spark jobs — the quantiles of every numeric column in one aggregation, the top values of every
 * categorical column in one, then the profile pass), stored in {@code profiles} and read back by
 * later runs ({@link #load}), so every window of a model is binned on the same edges.
 *
 * @param id the run id that built it (window profiles name it in profiles.baseline_id)
 * @param numeric the numeric columns present in the baseline data, in {@link DriftColumns} order
 * @param categorical the categorical columns present, in order
 * @param slices per slice of the baseline rows (lakeloop.models.&lt;name&gt;.drift-slices), its
 *     profiles in {@link ColumnProfiles} order; empty when the baseline was built without slices
 */
public record Baseline(
    String id,
    String description,
    String sourceTable,
    Long sourceVersion,
    LocalDate date,
    List<String> numeric,
    List<String> categorical,
    Map<String, double[]> psiEdges,
    Map<String, NumericProfile> numericProfiles,
    Map<String, CategoricalProfile> categoricalProfiles,
    Multivariate multivariate,
    Map<Slice, ColumnProfiles> slices) {
  private static final Logger LOG = LoggerFactory.getLogger(Baseline.class);

  /**
   * The numeric features' joint moments over the baseline rows (null when the baseline has none:
   * built before they existed, with lakeloop.drift.multivariate off, or with fewer than two numeric
   * features): the features in order, the pivot subtracted from each, the moments per chunk.
   */
  public record Multivariate(List<String> columns, double[] pivots, Moments moments) {
    /** The profiler's setting for windows judged against this baseline (one chunk). */
    Profiler.Multivariate forWindows(List<DriftColumns.Spec> numeric) {
      List<String> names = numeric.stream().map(DriftColumns.Spec::name).toList();
      if (!names.containsAll(columns)) {
        return null; // a feature missing from the data: no moments
      }
      return new Profiler.Multivariate(
          columns.stream().mapToInt(names::indexOf).toArray(), pivots, 1);
    }
  }

  /** The PCA of the baseline's features, when it has their moments and they allow one. */
  Optional<MultivariateDrift> multivariateDrift(double varianceShare) {
    return multivariate == null
        ? Optional.empty()
        : MultivariateDrift.fit(multivariate.moments(), varianceShare);
  }

  /** The rows a baseline is profiled from, with where they come from. */
  record Source(Dataset<Row> data, String table, Long version) {}

  /** Reads the configured baseline data (pinned; its version is recorded as a run input). */
  static Source read(RunTables tables, ModelSpec model, BaselineSpec spec) {
    if (spec.source() == BaselineSpec.Source.WINDOW) {
      Dataset<Row> rows =
          LabeledPredictions.read(tables, model, spec.from(), spec.until().minusDays(1));
      return new Source(rows, Tables.PREDICTION_LOG, tables.inputs().get(Tables.PREDICTION_LOG));
    }
    Lakehouse lh = tables.lakehouse();
    String table = spec.table();
    boolean named = !table.contains("/") && !table.contains(":");
    String path = named ? lh.path(table) : table;
    long version;
    try {
      version =
          spec.version()
              .orElseGet(
                  () ->
                      DeltaTable.forPath(tables.spark(), path)
                          .history(1)
                          .select("version")
                          .head()
                          .getLong(0));
    } catch (RuntimeException e) {
      throw new LakeloopException(
          "baseline table '"
              + table
              + "' ("
              + path
              + ") cannot be read as a Delta table: "
              + e.getMessage()
              + "; fix lakeloop.models."
              + model.name()
              + ".baseline.table",
          e);
    }
    tables.input(table, version);
    Dataset<Row> rows =
        tables.spark().read().format("delta").option("versionAsOf", version).load(path);
    return new Source(rows, table, version);
  }

  public Baseline {
    slices = Map.copyOf(slices);
  }

  /**
   * Builds the baseline from its data (see the class comment; with slices the top values of the
   * slice columns are one more job, and the profile pass profiles each slice too).
   */
  static Baseline build(
      Source source,
      DriftColumns columns,
      DriftSettings s,
      DriftSlices sliced,
      String description,
      String runId,
      LocalDate date) {
    Dataset<Row> data = source.data();
    List<DriftColumns.Spec> numeric =
        columns.numeric().stream().filter(c -> DriftColumns.available(c, data)).toList();
    List<DriftColumns.Spec> categorical =
        columns.categorical().stream().filter(c -> DriftColumns.available(c, data)).toList();
    if (numeric.isEmpty() && categorical.isEmpty()) {
      throw new LakeloopException(
          "baseline "
              + description
              + " has none of the model's drift columns "
              + columns.all().stream().map(DriftColumns.Spec::name).toList()
              + " (it has "
              + Arrays.toString(data.columns())
              + ")");
    }
    // job 1: every numeric column's quantiles in one aggregation, over its finite values
    Map<String, double[]> fine = new LinkedHashMap<>();
    Map<String, double[]> psi = new LinkedHashMap<>();
    if (!numeric.isEmpty()) {
      Column probabilities =
          array(
              IntStream.range(1, s.fineQuantiles())
                  .mapToObj(i -> lit((double) i / s.fineQuantiles()))
                  .toArray(Column[]::new));
      Column[] aggs =
          numeric.stream()
              .map(
                  c ->
                      percentile_approx(
                              finite(c.expression()), probabilities, lit(s.quantileAccuracy()))
                          .as(c.name()))
              .toArray(Column[]::new);
      Row q = data.agg(aggs[0], Arrays.copyOfRange(aggs, 1, aggs.length)).head();
      int step = s.fineQuantiles() / s.psiBins();
      for (int j = 0; j < numeric.size(); j++) {
        String name = numeric.get(j).name();
        if (q.isNullAt(j)) { // no finite value: no edges, one bin
          fine.put(name, new double[0]);
          psi.put(name, new double[0]);
          continue;
        }
        List<Double> quantiles = q.getList(j);
        fine.put(name, distinct(quantiles));
        List<Double> coarse = new ArrayList<>();
        for (int i = step; i < s.fineQuantiles(); i += step) {
          coarse.add(quantiles.get(i - 1));
        }
        psi.put(name, distinct(coarse));
      }
    }
    // job 2, with slices: the K most frequent values of each slice column the data has
    List<String> sliceColumns =
        sliced.columns().stream().filter(c -> List.of(data.columns()).contains(c)).toList();
    if (sliceColumns.size() < sliced.columns().size()) {
      LOG.warn(
          "drift baseline {}: it lacks the slice columns {}; drift is not computed per their"
              + " values",
          description,
          sliced.columns().stream().filter(c -> !sliceColumns.contains(c)).toList());
    }
    Map<String, List<String>> kept = new LinkedHashMap<>();
    TopValues.ranked(data, sliceColumns, sliced.topK(), Evaluator.NULL_VALUE)
        .forEach((c, values) -> kept.put(c, List.copyOf(values)));
    LOG.info(
        "drift baseline {}: edges for {} numeric columns; slices {}",
        description,
        numeric.size(),
        kept);
    // job 3: the profile pass on those edges (and the features' joint moments, in chunks)
    List<Integer> features =
        IntStream.range(0, numeric.size())
            .filter(j -> numeric.get(j).isNumericFeature())
            .boxed()
            .toList();
    Profiler.Multivariate joint = null;
    if (s.multivariate().enabled() && features.size() >= 2) {
      joint =
          new Profiler.Multivariate(
              features.stream().mapToInt(Integer::intValue).toArray(),
              features.stream().mapToDouble(j -> pivot(fine.get(numeric.get(j).name()))).toArray(),
              s.multivariate().baselineChunks());
    }
    Profiler profiler =
        new Profiler(
            numeric.stream().map(c -> fine.get(c.name())).toList(),
            categorical.size(),
            s.maxCategories(),
            joint,
            Profiler.RowCheckColumns.NONE,
            sliceColumns);
    Map<Profiler.Key, ColumnProfiles> all =
        profiler.profile(
            data,
            lit(null),
            lit(0),
            numeric.stream().map(DriftColumns.Spec::expression).toList(),
            categorical.stream().map(DriftColumns.Spec::expression).toList(),
            List.of(),
            sliceValues(sliceColumns, kept));
    ColumnProfiles merged = all.get(new Profiler.Key(null, 0));
    Map<Slice, ColumnProfiles> slices = new LinkedHashMap<>();
    all.forEach(
        (k, p) -> {
          if (!k.slice().all()) {
            slices.put(k.slice(), p);
          }
        });
    Map<String, NumericProfile> np = new LinkedHashMap<>();
    Map<String, CategoricalProfile> cp = new LinkedHashMap<>();
    for (int j = 0; j < numeric.size(); j++) {
      String name = numeric.get(j).name();
      np.put(name, merged == null ? new NumericProfile(fine.get(name)) : merged.numeric[j]);
    }
    for (int j = 0; j < categorical.size(); j++) {
      String name = categorical.get(j).name();
      cp.put(name, merged == null ? new CategoricalProfile(0, 0, Map.of()) : merged.categorical[j]);
    }
    return new Baseline(
        runId,
        description,
        source.table(),
        source.version(),
        date,
        numeric.stream().map(DriftColumns.Spec::name).toList(),
        categorical.stream().map(DriftColumns.Spec::name).toList(),
        psi,
        np,
        cp,
        joint == null || merged == null
            ? null
            : new Multivariate(
                features.stream().map(j -> numeric.get(j).name()).toList(),
                joint.pivots(),
                merged.moments),
        slices);
  }

  /**
   * Each slice column's value as a slice (null as {@link Evaluator#NULL_VALUE}), folded to the kept
   * values: any other value is {@link Evaluator#OTHER}.
   */
  static List<Column> sliceValues(List<String> columns, Map<String, List<String>> kept) {
    return columns.stream().map(c -> Evaluator.sliceValue(c, Map.of(c, kept.get(c)))).toList();
  }

  /** The slice columns of the baseline's slices, in order. */
  List<String> sliceColumns() {
    return slices.keySet().stream().map(Slice::key).distinct().sorted().toList();
  }

  /** Per slice column of the baseline, its values that are slices of their own. */
  Map<String, List<String>> sliceValues() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    slices.keySet().stream()
        .sorted()
        .filter(sl -> !sl.value().equals(Evaluator.OTHER))
        .forEach(sl -> out.computeIfAbsent(sl.key(), k -> new ArrayList<>()).add(sl.value()));
    return out;
  }

  /** A column's middle fine edge (its median, near enough), or 0 without edges. */
  private static double pivot(double[] edges) {
    return edges.length == 0 ? 0 : edges[edges.length / 2];
  }

  /** The value, or null when it is null, NaN or infinite (quantiles use finite values only). */
  private static Column finite(Column c) {
    Column d = c.cast("double");
    return when(
            d.isNaN()
                .or(d.equalTo(lit(Double.POSITIVE_INFINITY)))
                .or(d.equalTo(lit(Double.NEGATIVE_INFINITY))),
            lit(null).cast("double"))
        .otherwise(d);
  }

  private static double[] distinct(List<Double> sorted) {
    return sorted.stream().mapToDouble(Double::doubleValue).distinct().sorted().toArray();
  }

  /** A numeric column's fine edges and where its PSI edges are among them. */
  record Edges(double[] fine, int[] psiIndex) {}

  /**
   * The edges the baseline build takes, computed exactly from values in memory (inverted-CDF
   * quantiles i/fineQuantiles of the finite values, duplicates dropped; the PSI edges are those at
   * multiples of fineQuantiles/psiBins): for tests and benchmarks that profile generated data
   * without Spark. The build itself uses {@code percentile_approx}, exact on small baselines.
   */
  static Edges exactEdges(double[] values, int fineQuantiles, int psiBins) {
    double[] finite = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
    TreeMap<Double, Integer> fine = new TreeMap<>();
    for (int q = 1; q < fineQuantiles; q++) {
      fine.putIfAbsent(finite[(int) Math.ceil((double) q * finite.length / fineQuantiles) - 1], q);
    }
    int step = fineQuantiles / psiBins;
    List<Integer> psi = new ArrayList<>();
    int index = 0;
    for (int q : fine.values()) {
      if (q % step == 0) {
        psi.add(index);
      }
      index++;
    }
    return new Edges(
        fine.keySet().stream().mapToDouble(Double::doubleValue).toArray(),
        psi.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The fine edges of a numeric column. */
  double[] fineEdges(String column) {
    return numericProfiles.get(column).edges();
  }

  /** The baseline's K most frequent values of a categorical column (ties by value). */
  List<String> topCategories(String column, int k) {
    return categoricalProfiles.get(column).top(k);
  }

  /** The baseline's rows for the profiles table (each slice's after all rows'). */
  List<Row> rows(String model, String runId) {
    ProfileRows.Meta m = meta(model, runId, Slice.ALL);
    List<Row> out = new ArrayList<>();
    numeric.forEach(
        c -> out.add(ProfileRows.numeric(m, c, numericProfiles.get(c), psiEdges.get(c))));
    categorical.forEach(c -> out.add(ProfileRows.categorical(m, c, categoricalProfiles.get(c))));
    slices.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              ProfileRows.Meta sm = meta(model, runId, e.getKey());
              for (int j = 0; j < numeric.size(); j++) {
                out.add(ProfileRows.numeric(sm, numeric.get(j), e.getValue().numeric[j], null));
              }
              for (int j = 0; j < categorical.size(); j++) {
                out.add(
                    ProfileRows.categorical(sm, categorical.get(j), e.getValue().categorical[j]));
              }
            });
    if (multivariate != null) {
      out.add(
          ProfileRows.multivariate(
              m, multivariate.columns(), multivariate.pivots(), multivariate.moments()));
    }
    return out;
  }

  private ProfileRows.Meta meta(String model, String runId, Slice slice) {
    return new ProfileRows.Meta(
        model,
        null,
        ProfileRows.BASELINE,
        null,
        null,
        null,
        sourceTable,
        sourceVersion,
        id,
        runId,
        date,
        slice);
  }

  /**
   * The model's stored baseline, if a drift run built one: one read of its BASELINE rows of
   * profiles, no scan of data.
   */
  public static Optional<Baseline> stored(Lakehouse lh, ModelSpec model) {
    return load(
        WindowProfiles.baselineRows(WindowProfiles.read(lh, model.name(), lit(false))),
        DriftColumns.forModel(model));
  }

  /** The model's stored baseline from its BASELINE rows of profiles, if one was built. */
  static Optional<Baseline> load(List<Row> rows, DriftColumns columns) {
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Row> byColumn = new LinkedHashMap<>();
    Map<Slice, Map<String, Row>> bySlice = new TreeMap<>();
    Multivariate multivariate = null;
    for (Row r : rows) {
      Slice slice = Slice.of(r);
      if (!slice.all()) {
        bySlice
            .computeIfAbsent(slice, x -> new LinkedHashMap<>())
            .put(r.getString(r.fieldIndex(COLUMN)), r);
      } else if (ProfileRows.isMultivariate(r)) {
        multivariate =
            new Multivariate(
                ProfileRows.multivariateColumnsOf(r),
                ProfileRows.pivotsOf(r),
                ProfileRows.momentsOf(r));
      } else {
        byColumn.put(r.getString(r.fieldIndex(COLUMN)), r);
      }
    }
    Row any = rows.get(0);
    List<String> numeric = new ArrayList<>();
    List<String> categorical = new ArrayList<>();
    Map<String, double[]> psi = new LinkedHashMap<>();
    Map<String, NumericProfile> np = new LinkedHashMap<>();
    Map<String, CategoricalProfile> cp = new LinkedHashMap<>();
    for (DriftColumns.Spec c : columns.numeric()) {
      Row r = byColumn.get(c.name());
      if (r != null) {
        numeric.add(c.name());
        psi.put(c.name(), ProfileRows.psiEdgesOf(r));
        np.put(c.name(), ProfileRows.numericOf(r));
      }
    }
    for (DriftColumns.Spec c : columns.categorical()) {
      Row r = byColumn.get(c.name());
      if (r != null) {
        categorical.add(c.name());
        cp.put(c.name(), ProfileRows.categoricalOf(r));
      }
    }
    Map<Slice, ColumnProfiles> slices = new LinkedHashMap<>();
    bySlice.forEach(
        (slice, cols) ->
            slices.put(
                slice,
                new ColumnProfiles(
                    numeric.stream()
                        .map(
                            c ->
                                cols.containsKey(c)
                                    ? ProfileRows.numericOf(cols.get(c))
                                    : new NumericProfile(np.get(c).edges()))
                        .toArray(NumericProfile[]::new),
                    categorical.stream()
                        .map(
                            c ->
                                cols.containsKey(c)
                                    ? ProfileRows.categoricalOf(cols.get(c))
                                    : new CategoricalProfile(0, 0, Map.of()))
                        .toArray(CategoricalProfile[]::new))));
    return Optional.of(
        new Baseline(
            any.getString(any.fieldIndex(BASELINE_ID)),
            any.isNullAt(any.fieldIndex(SOURCE_TABLE))
                ? "?"
                : any.getString(any.fieldIndex(SOURCE_TABLE)),
            any.isNullAt(any.fieldIndex(SOURCE_TABLE))
                ? null
                : any.getString(any.fieldIndex(SOURCE_TABLE)),
            any.isNullAt(any.fieldIndex(SOURCE_VERSION))
                ? null
                : any.getLong(any.fieldIndex(SOURCE_VERSION)),
            any.getDate(any.fieldIndex(WINDOW_DATE)).toLocalDate(),
            numeric,
            categorical,
            psi,
            np,
            cp,
            multivariate,
            slices));
  }

  /**
   * The profiles of one slice of the baseline rows (all rows for {@link Slice#ALL}), or null when
   * the baseline has no such slice.
   */
  ColumnProfiles profiles(Slice slice) {
    return slice.all() ? profiles() : slices.get(slice);
  }

  /** The baseline's profiles in {@link ColumnProfiles} order (numeric, then categorical). */
  ColumnProfiles profiles() {
    return new ColumnProfiles(
        numeric.stream().map(numericProfiles::get).toArray(NumericProfile[]::new),
        categorical.stream().map(categoricalProfiles::get).toArray(CategoricalProfile[]::new));
  }

  /** Where the PSI edges of a numeric column are among its fine edges. */
  int[] psiIndex(String column) {
    double[] fine = fineEdges(column);
    return Arrays.stream(psiEdges.get(column))
        .mapToInt(
            e -> {
              int i = Arrays.binarySearch(fine, e);
              if (i < 0) {
                throw new IllegalStateException(
                    "baseline of " + column + ": PSI edge " + e + " is not a fine edge");
              }
              return i;
            })
        .toArray();
  }

  /** The baseline std (ddof = 1) of a numeric column, NaN with fewer than two finite values. */
  double std(String column) {
    return numericProfiles.get(column).std();
  }

  static Instant startOf(LocalDate d) {
    return d.atStartOfDay(ZoneOffset.UTC).toInstant();
  }
}
