package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;

import io.lakeloop.common.table.Tables;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * Converts column profiles to and from rows of the {@code profiles} table (one row per column and
 * window), so that longer windows and later runs merge stored profiles instead of rescanning. Pure;
 * no Spark job.
 */
final class ProfileRows {
  private ProfileRows() {}

  /** Profile kinds (profiles.profile_kind). */
  static final String BASELINE = "BASELINE";

  static final String WINDOW = "WINDOW";

  /** Where and what a profile row describes, apart from the profile itself. */
  record Meta(
      String model,
      String version,
      String kind,
      String granularity,
      Instant windowStart,
      Instant windowEnd,
      String sourceTable,
      Long sourceVersion,
      String baselineId,
      String runId,
      LocalDate windowDate,
      Slice slice) {}

  static Row numeric(Meta m, String column, NumericProfile p, double[] psiEdges) {
    Map<String, Object> v = common(m, column, DriftColumns.NUMERIC);
    v.put(COUNT, p.count());
    v.put(NULL_COUNT, p.nullCount());
    v.put(NAN_COUNT, p.nanCount());
    v.put(POS_INF_COUNT, p.posInfCount());
    v.put(NEG_INF_COUNT, p.negInfCount());
    boolean any = p.finiteCount() > 0;
    v.put(SUM, p.sum());
    v.put(SUM_SQUARES, p.sumSquares());
    v.put(MIN, any ? p.min() : null);
    v.put(MAX, any ? p.max() : null);
    v.put(BIN_EDGES, seq(Arrays.stream(p.edges()).boxed().toList()));
    v.put(BIN_COUNTS, seq(Arrays.stream(p.binCounts()).boxed().toList()));
    v.put(BIN_SUMS, seq(Arrays.stream(p.binSums()).boxed().toList()));
    v.put(PSI_EDGES, psiEdges == null ? null : seq(Arrays.stream(psiEdges).boxed().toList()));
    return row(v);
  }

  static Row categorical(Meta m, String column, CategoricalProfile p) {
    Map<String, Object> v = common(m, column, DriftColumns.CATEGORICAL);
    v.put(COUNT, p.count());
    v.put(NULL_COUNT, p.nullCount());
    v.put(NAN_COUNT, 0L);
    v.put(
        CATEGORY_COUNTS,
        JavaConverters.mapAsScalaMapConverter(new HashMap<>(p.counts()))
            .asScala()
            .toMap(scala.Predef.$conforms()));
    return row(v);
  }

  /**
   * The multivariate features' moments as one row: column {@link MultivariateDrift#COLUMN}, kind
   * {@link MultivariateDrift#KIND}; count = complete rows, null_count = rows left out (a null or
   * non-finite feature); bin_edges = the pivots; bin_counts = rows per chunk; bin_sums = per chunk
   * the sums then the packed products ({@link Moments}); category_counts = each feature's position.
   */
  static Row multivariate(Meta m, List<String> columns, double[] pivots, Moments moments) {
    Map<String, Object> v = common(m, MultivariateDrift.COLUMN, MultivariateDrift.KIND);
    v.put(COUNT, moments.rows());
    v.put(NULL_COUNT, moments.incomplete());
    v.put(NAN_COUNT, 0L);
    v.put(BIN_EDGES, seq(Arrays.stream(pivots).boxed().toList()));
    v.put(BIN_COUNTS, seq(Arrays.stream(moments.rowCounts()).boxed().toList()));
    v.put(BIN_SUMS, seq(Arrays.stream(moments.sums()).boxed().toList()));
    Map<String, Long> positions = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      positions.put(columns.get(i), (long) i);
    }
    v.put(
        CATEGORY_COUNTS,
        JavaConverters.mapAsScalaMapConverter(positions).asScala().toMap(scala.Predef.$conforms()));
    return row(v);
  }

  /** The column and kind of a window's row-level counts ({@link RowChecks}) in profiles. */
  static final String ROW_CHECKS_COLUMN = "rows";

  static final String ROW_CHECKS_KIND = "row_checks";

  static final String INVALID_SCORES = "invalid_scores";

  static final String REPEATS = "repeats";

  /**
   * A window's row-level counts as one row: column {@link #ROW_CHECKS_COLUMN}, kind {@link
   * #ROW_CHECKS_KIND}; count = rows whose score vector was checked, null_count = invalid ones;
   * category_counts = {@code invalid_scores}, {@code repeats} (the window's rows whose request_id
   * an earlier row of it has) and per day and gap the repeats a later window merges exactly, e.g.
   * {@code "repeats 2026-01-05 gap 1"}.
   */
  static Row rowChecks(Meta m, RowChecks checks, int startDay) {
    Map<String, Object> v = common(m, ROW_CHECKS_COLUMN, ROW_CHECKS_KIND);
    v.put(COUNT, checks.rows());
    v.put(NULL_COUNT, checks.invalidScores());
    v.put(NAN_COUNT, 0L);
    Map<String, Long> counts = new HashMap<>();
    counts.put(INVALID_SCORES, checks.invalidScores());
    long repeats = checks.repeats(startDay);
    if (repeats >= 0) { // absent: the request ids were not looked at
      counts.put(REPEATS, repeats);
    }
    checks
        .repeatsByDay()
        .forEach(
            (day, byGap) -> {
              for (int g = 0; g < byGap.length; g++) {
                if (byGap[g] > 0) {
                  counts.put(repeatKey(day, g), byGap[g]);
                }
              }
            });
    v.put(
        CATEGORY_COUNTS,
        JavaConverters.mapAsScalaMapConverter(counts).asScala().toMap(scala.Predef.$conforms()));
    return row(v);
  }

  private static String repeatKey(int day, int gap) {
    return REPEATS + " " + LocalDate.ofEpochDay(day) + " gap " + gap;
  }

  /** Whether a profiles row holds a window's row-level counts. */
  static boolean isRowChecks(Row r) {
    return ROW_CHECKS_KIND.equals(r.getString(r.fieldIndex(COLUMN_KIND)));
  }

  /** The row-level counts back from their row (as written by {@link #rowChecks}). */
  static RowChecks rowChecksOf(Row r) {
    Map<String, Long> counts = r.getJavaMap(r.fieldIndex(CATEGORY_COUNTS));
    Map<Integer, long[]> byDay = new java.util.TreeMap<>();
    counts.forEach(
        (k, n) -> {
          String[] parts = k.split(" ");
          if (parts.length == 4 && parts[0].equals(REPEATS) && parts[2].equals("gap")) {
            int day = (int) LocalDate.parse(parts[1]).toEpochDay();
            int gap = Integer.parseInt(parts[3]);
            long[] g = byDay.get(day);
            if (g == null || g.length <= gap) {
              g = g == null ? new long[gap + 1] : Arrays.copyOf(g, gap + 1);
              byDay.put(day, g);
            }
            g[gap] += n;
          }
        });
    return RowChecks.of(
        r.getLong(r.fieldIndex(COUNT)),
        r.getLong(r.fieldIndex(NULL_COUNT)),
        counts.containsKey(REPEATS),
        byDay);
  }

  /** Whether a profiles row is the multivariate features' moments. */
  static boolean isMultivariate(Row r) {
    return MultivariateDrift.KIND.equals(r.getString(r.fieldIndex(COLUMN_KIND)));
  }

  /** The moments back from their row (as written by {@link #multivariate}). */
  static Moments momentsOf(Row r) {
    long[] rows =
        r.<Long>getList(r.fieldIndex(BIN_COUNTS)).stream().mapToLong(Long::longValue).toArray();
    return new Moments(
        r.getJavaMap(r.fieldIndex(CATEGORY_COUNTS)).size(),
        rows,
        doubles(r.getList(r.fieldIndex(BIN_SUMS))),
        r.getLong(r.fieldIndex(NULL_COUNT)));
  }

  /** The features of a moments row, in their order. */
  static List<String> multivariateColumnsOf(Row r) {
    Map<String, Long> positions = r.getJavaMap(r.fieldIndex(CATEGORY_COUNTS));
    String[] out = new String[positions.size()];
    positions.forEach((c, i) -> out[i.intValue()] = c);
    return List.of(out);
  }

  /** The pivots of a moments row. */
  static double[] pivotsOf(Row r) {
    return doubles(r.getList(r.fieldIndex(BIN_EDGES)));
  }

  private static Map<String, Object> common(Meta m, String column, String kind) {
    Map<String, Object> v = new HashMap<>();
    v.put(MODEL_NAME, m.model());
    v.put(MODEL_VERSION, m.version());
    v.put(PROFILE_KIND, m.kind());
    v.put(GRANULARITY, m.granularity());
    v.put(WINDOW_START, m.windowStart() == null ? null : Timestamp.from(m.windowStart()));
    v.put(WINDOW_END, m.windowEnd() == null ? null : Timestamp.from(m.windowEnd()));
    v.put(COLUMN, column);
    v.put(COLUMN_KIND, kind);
    v.put(SOURCE_TABLE, m.sourceTable());
    v.put(SOURCE_VERSION, m.sourceVersion());
    v.put(BASELINE_ID, m.baselineId());
    v.put(RUN_ID, m.runId());
    v.put(WINDOW_DATE, Date.valueOf(m.windowDate()));
    m.slice().into(v);
    return v;
  }

  private static Row row(Map<String, Object> values) {
    return Tables.PROFILES_SPEC.row(values);
  }

  static <T> Seq<T> seq(List<T> list) {
    return JavaConverters.asScalaBuffer(list).toList();
  }

  /** A numeric profile back from its row (columns as written by {@link #numeric}). */
  static NumericProfile numericOf(Row r) {
    double[] edges = doubles(r.getList(r.fieldIndex(BIN_EDGES)));
    long[] counts =
        r.<Long>getList(r.fieldIndex(BIN_COUNTS)).stream().mapToLong(Long::longValue).toArray();
    double[] sums = doubles(r.getList(r.fieldIndex(BIN_SUMS)));
    long finite = Arrays.stream(counts).sum();
    return new NumericProfile(
        edges,
        r.getLong(r.fieldIndex(COUNT)),
        r.getLong(r.fieldIndex(NULL_COUNT)),
        r.getLong(r.fieldIndex(NAN_COUNT)),
        r.getLong(r.fieldIndex(POS_INF_COUNT)),
        r.getLong(r.fieldIndex(NEG_INF_COUNT)),
        finite,
        r.getDouble(r.fieldIndex(SUM)),
        r.getDouble(r.fieldIndex(SUM_SQUARES)),
        r.isNullAt(r.fieldIndex(MIN)) ? Double.POSITIVE_INFINITY : r.getDouble(r.fieldIndex(MIN)),
        r.isNullAt(r.fieldIndex(MAX)) ? Double.NEGATIVE_INFINITY : r.getDouble(r.fieldIndex(MAX)),
        counts,
        sums);
  }

  /** The PSI edges a baseline row records. */
  static double[] psiEdgesOf(Row r) {
    return doubles(r.getList(r.fieldIndex(PSI_EDGES)));
  }

  static CategoricalProfile categoricalOf(Row r) {
    Map<String, Long> counts = new HashMap<>(r.getJavaMap(r.fieldIndex(CATEGORY_COUNTS)));
    return new CategoricalProfile(
        r.getLong(r.fieldIndex(COUNT)), r.getLong(r.fieldIndex(NULL_COUNT)), counts);
  }

  private static double[] doubles(List<Double> l) {
    return l.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
