package io.lakeloop.monitoring.generate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Synthetic prediction traffic for a model spec, as pure Spark column expressions: every value of
 * row {@code id} is a function of (seed, id) through {@code xxhash64}, so the data is deterministic
 * for a seed, independent of partitioning, and generated on the executors (no driver-side loop).
 * Cost: no shuffle; one narrow pass per write.
 *
 * <h2>The data</h2>
 *
 * <ul>
 *   <li>Numeric feature i follows, by {@code i mod 4}: normal(50, 15); log-normal(1.5, 0.8);
 *       bounded {@code 72·u^0.8} on [0, 72]; counts {@code floor(2·Exp(1))}. 0.5 % are null.
 *   <li>String columns draw from their configured values with Zipf frequencies (1, 1/2, 1/3...).
 *   <li>Event times: uniform over the days, with a daily cycle peaking at {@code peak-hour}.
 *   <li>Ground truth: class logits {@code b_c + Σ w_ci·z_i + Σ e_cj[value]} over standardised
 *       features z (nulls count as 0), weights drawn from the seed; binary uses logit 0 for class
 *       0, regression {@code y = 100 + 10·(Σ w_i·z_i + Σ e_j) + N(0, 5)}.
 *   <li>The deployed model (the documented scoring rule) uses the same form with every weight
 *       perturbed by 25 % noise: good, not perfect. Scores are the softmax of its logits and the
 *       prediction their arg-max (the value itself for regression).
 *   <li>Labels are drawn from the true distribution; they arrive after {@code min-label-delay +
 *       Exp(mean-label-delay)}, and a {@code never-labeled-share} never arrive.
 *   <li>Covariate drift from its start day: numeric feature 0 shifts by {@code strength} standard
 *       deviations and categorical feature 0's mix tilts towards its rare values.
 *   <li>Concept drift from its start day: the true weight of numeric feature 0 becomes {@code w·(1
 *       − strength)} (1 removes it, 2 reverses it) while the deployed model keeps the old rule.
 *   <li>A data-quality break ({@code quality-break}): on its day a {@code share} of rows log the
 *       last categorical feature as {@value #BROKEN_VALUE}, a value it never takes (the model
 *       scored the real one).
 *   <li>A {@code malformed-share} of rows is broken on purpose, one defect each: null request id
 *       (with an orphan label), scores of the wrong length, scores that do not sum to 1, a NaN
 *       score, a duplicated request id, a prediction outside the classes (regression: NaN or
 *       infinite prediction, null event time, null model name). Malformed rows get no label.
 * </ul>
 */
public final class SyntheticTraffic {
  /** Hidden columns of {@link #traffic}: the label and when it arrives (null: never). */
  public static final String TRUE_LABEL = "_true_label";

  public static final String TRUE_LABEL_TIME = "_true_label_time";
  public static final String MALFORMED_KIND = "_malformed_kind";
  public static final String DAY = "_day";

  /** The value a quality break logs in place of the real one. */
  public static final String BROKEN_VALUE = "unknown";

  static final int MALFORMED_KINDS = 6;

  /** The second numeric feature of one slice's rows, shifted from the drift's start day. */
  private static Dataset<Row> sliceDrift(
      Dataset<Row> features, ModelSpec spec, GenerateSettings.SliceDrift d, Column day) {
    if (!spec.stringColumns().contains(d.column())) {
      throw new ConfigError(
          "lakeloop.generate.slice-drift.column '"
              + d.column()
              + "' is not a string column of model "
              + spec.name()
              + " "
              + spec.stringColumns()
              + "; name one of them, or set slice-drift.start-day = -1");
    }
    if (spec.numericFeatures().size() < 2) {
      throw new ConfigError(
          "lakeloop.generate.slice-drift shifts the second numeric feature; model "
              + spec.name()
              + " has fewer than two: set slice-drift.start-day = -1");
    }
    String x = spec.numericFeatures().get(1);
    double sd = NUMERIC_STATS[1][1];
    return features.withColumn(
        x,
        when(
                day.geq(d.startDay()).and(col(d.column()).equalTo(d.value())),
                round3(col(x).plus(d.strength() * sd)))
            .otherwise(col(x)));
  }

  private static final double[][] NUMERIC_STATS = {
    {50, 15}, {6.17, 5.84}, {40, 19.8}, {1.54, 1.98}
  };

  // Independent random streams, one per use: u(stream) is uniform on [0, 1).
  private static final int S_DAY = 1;
  private static final int S_HOUR = 2;
  private static final int S_LABEL = 3;
  private static final int S_DELAY = 4;
  private static final int S_NEVER = 5;
  private static final int S_BAD = 6;
  private static final int S_BAD_KIND = 7;
  private static final int S_NOISE = 8;
  private static final int S_BREAK = 9;
  private static final int S_NUMERIC = 100; // + 3 * feature index (+0, +1 normal pair, +2 null)
  private static final int S_STRING = 400; // + column index

  private SyntheticTraffic() {}

  /**
   * All generated rows with the prediction_log columns (no event_date: the logging side does not
   * know partitions) plus the hidden columns above. Malformed rows are included.
   */
  public static Dataset<Row> traffic(SparkSession spark, ModelSpec spec, GenerateSettings s) {
    Truth truth = Truth.draw(spec, s.worldSeed());
    Gen g = new Gen(s.seed());
    Dataset<Row> base = spark.range(0, s.rows(), 1, s.partitions()).toDF();
    base = base.withColumn(DAY, floor(g.u(S_DAY).multiply(s.days())).cast("int"));
    Column day = col(DAY);

    // Event time with a daily cycle: warping u by h = u - a·sin(2πu)/(2π) concentrates mass near
    // u = 0, which is then moved to the peak hour.
    Column u = g.u(S_HOUR);
    Column h = u.minus(sin(u.multiply(2 * Math.PI)).multiply(s.dailyCycle() / (2 * Math.PI)));
    Column dayFraction = pmod(h.plus(s.peakHour() / 24.0), lit(1.0));
    long startEpoch = s.startDate().atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    Column eventSeconds =
        floor(
                lit(startEpoch)
                    .plus(day.multiply(86400))
                    .plus(dayFraction.multiply(86400))
                    .multiply(1000))
            .divide(1000.0);

    List<Column> cols = new ArrayList<>();
    cols.add(col("id"));
    cols.add(day);
    cols.add(concat(lit("req-" + s.seed() + "-"), col("id").cast("string")).as(REQUEST_ID));
    cols.add(timestamp_seconds(eventSeconds).as(EVENT_TIME));
    cols.add(lit(spec.name()).as(MODEL_NAME));
    cols.add(lit(s.modelVersion()).as(MODEL_VERSION));

    // Numeric features and their standardised values (for the truth and the model).
    List<Column> z = new ArrayList<>();
    for (int i = 0; i < spec.numericFeatures().size(); i++) {
      String name = spec.numericFeatures().get(i);
      double[] st = NUMERIC_STATS[i % 4];
      Column x = g.numeric(i);
      if (i == 0 && s.hasCovariateDrift()) {
        x =
            when(day.geq(s.covariateDriftStartDay()), x.plus(s.covariateDriftStrength() * st[1]))
                .otherwise(x);
      }
      x = when(g.u(S_NUMERIC + 3 * i + 2).lt(0.005), lit(null).cast("double")).otherwise(round3(x));
      cols.add(x.as(name));
      z.add(coalesce(col(name).minus(st[0]).divide(st[1]), lit(0.0)));
    }
    // String columns: categorical features (which matter to the truth) then other slices.
    List<String> strings = spec.stringColumns();
    for (int j = 0; j < strings.size(); j++) {
      String name = strings.get(j);
      List<String> values = s.categories().getOrDefault(name, defaultValues(name));
      Column uj = g.u(S_STRING + j);
      Column v = pick(uj, values, zipf(values.size(), 0));
      if (j == 0 && s.hasCovariateDrift() && spec.categoricalFeatures().contains(name)) {
        double tilt = Math.min(1.0, 0.5 * s.covariateDriftStrength());
        v =
            when(day.geq(s.covariateDriftStartDay()), pick(uj, values, zipf(values.size(), tilt)))
                .otherwise(v);
      }
      cols.add(v.as(name));
    }
    Dataset<Row> features = base.select(cols.toArray(new Column[0]));
    if (s.hasSliceDrift()) {
      features = sliceDrift(features, spec, s.sliceDrift(), day);
    }

    // Truth and model logits need the feature columns by name, so they come in a second select.
    List<Column> trueLogits = new ArrayList<>();
    List<Column> modelLogits = new ArrayList<>();
    for (int c = 0; c < truth.classes(); c++) {
      trueLogits.add(truth.logit(c, z, spec, day, s, false));
      modelLogits.add(truth.logit(c, z, spec, day, s, true));
    }
    List<Column> out = new ArrayList<>();
    List<String> categorical = spec.categoricalFeatures();
    String broken = categorical.isEmpty() ? null : categorical.get(categorical.size() - 1);
    for (String name : features.columns()) {
      if (name.equals(broken) && s.hasQualityBreak()) {
        // a logging break: the model scored the real value, the log holds another
        out.add(
            when(
                    day.equalTo(s.qualityBreakDay()).and(g.u(S_BREAK).lt(s.qualityBreakShare())),
                    lit(BROKEN_VALUE))
                .otherwise(col(name))
                .as(name));
      } else {
        out.add(col(name));
      }
    }
    Column bad = g.u(S_BAD).lt(s.malformedShare());
    Column kind = when(bad, floor(g.u(S_BAD_KIND).multiply(MALFORMED_KINDS)).cast("int"));
    out.add(kind.as(MALFORMED_KIND));
    Column trueLabel;
    if (spec.task().isClassification()) {
      Column modelScores = softmax(modelLogits);
      Column trueProbs = softmax(trueLogits);
      out.add(modelScores.as(SCORES));
      out.add(
          array_position(modelScores, array_max(modelScores))
              .minus(1)
              .cast("double")
              .as(PREDICTION));
      trueLabel = sampleClass(trueProbs, g.u(S_LABEL), truth.classes());
    } else {
      out.add(lit(null).cast(DataTypes.createArrayType(DataTypes.DoubleType)).as(SCORES));
      out.add(round3(modelLogits.get(0)).as(PREDICTION));
      trueLabel = round3(trueLogits.get(0).plus(g.normal(S_NOISE).multiply(5)));
    }
    Column never = g.u(S_NEVER).lt(s.neverLabeledShare());
    double meanDelay = s.meanLabelDelay().toMillis() / 1000.0;
    double minDelay = s.minLabelDelay().toMillis() / 1000.0;
    Column delay = lit(minDelay).minus(log(lit(1.0).minus(g.u(S_DELAY))).multiply(meanDelay));
    out.add(
        when(never.or(bad.and(kind.notEqual(4))), lit(null).cast("double"))
            .otherwise(trueLabel)
            .as(TRUE_LABEL));
    out.add(
        timestamp_seconds(floor(eventSeconds.plus(delay).multiply(1000)).divide(1000.0))
            .as(TRUE_LABEL_TIME));
    Dataset<Row> clean = features.select(out.toArray(new Column[0]));
    return Malformations.apply(clean, spec, s.seed());
  }

  /** The rows a logging system would have written to the prediction log (raw, unvalidated). */
  public static Dataset<Row> predictionRows(Dataset<Row> traffic, ModelSpec spec) {
    List<Column> cols = new ArrayList<>();
    for (String c :
        List.of(REQUEST_ID, EVENT_TIME, MODEL_NAME, MODEL_VERSION, PREDICTION, SCORES)) {
      cols.add(col(c));
    }
    spec.numericFeatures().forEach(f -> cols.add(col(f)));
    spec.stringColumns().forEach(f -> cols.add(col(f)));
    return traffic.select(cols.toArray(new Column[0]));
  }

  /**
   * Labels as the feedback system delivers them: one per labeled prediction, plus an orphan label
   * (unknown request id) for each prediction whose request id was lost.
   */
  public static Dataset<Row> labelRows(Dataset<Row> traffic) {
    Column orphan = col(MALFORMED_KIND).equalTo(0);
    return traffic
        .where(col(TRUE_LABEL).isNotNull().or(orphan))
        .select(
            when(orphan, concat(lit("orphan-"), col("id").cast("string")))
                .otherwise(col(REQUEST_ID))
                .as(REQUEST_ID),
            coalesce(col(TRUE_LABEL), lit(0.0)).as(LABEL),
            col(TRUE_LABEL_TIME).as(LABEL_TIME));
  }

  /** Rounds to 3 decimals with rint (Spark's round() goes through BigDecimal, 10x slower). */
  private static Column round3(Column x) {
    return rint(x.multiply(1000.0)).divide(1000.0);
  }

  static List<String> defaultValues(String column) {
    return List.of(column + "_0", column + "_1", column + "_2", column + "_3");
  }

  /** Zipf weights 1/(k+1), mixed with their reverse by {@code tilt} (0 = plain Zipf). */
  static double[] zipf(int n, double tilt) {
    double[] w = new double[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      w[k] = (1 - tilt) / (k + 1) + tilt / (n - k);
      sum += w[k];
    }
    for (int k = 0; k < n; k++) {
      w[k] /= sum;
    }
    return w;
  }

  private static Column pick(Column u, List<String> values, double[] weights) {
    Column v = lit(values.get(values.size() - 1));
    double cum = 1.0;
    for (int k = values.size() - 2; k >= 0; k--) {
      cum -= weights[k + 1];
      v = when(u.lt(cum), lit(values.get(k))).otherwise(v);
    }
    return v;
  }

  private static Column softmax(List<Column> logits) {
    Column max = greatest(logits.toArray(new Column[0]));
    if (logits.size() == 1) {
      return array(lit(1.0));
    }
    List<Column> exps = new ArrayList<>();
    for (Column l : logits) {
      exps.add(exp(l.minus(max)));
    }
    Column sum = exps.get(0);
    for (int i = 1; i < exps.size(); i++) {
      sum = sum.plus(exps.get(i));
    }
    Column[] probs = new Column[exps.size()];
    for (int i = 0; i < exps.size(); i++) {
      probs[i] = exps.get(i).divide(sum);
    }
    return array(probs);
  }

  private static Column sampleClass(Column probs, Column u, int classes) {
    Column label = lit((double) (classes - 1));
    for (int c = classes - 2; c >= 0; c--) {
      Column cum = element_at(probs, 1);
      for (int k = 1; k <= c; k++) {
        cum = cum.plus(element_at(probs, k + 1));
      }
      label = when(u.lt(cum), lit((double) c)).otherwise(label);
    }
    return label;
  }

  /** Hash-based random streams over the row id. */
  static final class Gen {
    private final long seed;

    Gen(long seed) {
      this.seed = seed;
    }

    /** Uniform on [0, 1): the top 53 bits of xxhash64(seed, stream, id). */
    Column u(int stream) {
      return shiftrightunsigned(xxhash64(lit(seed), lit(stream), col("id")), 11)
          .cast("double")
          .multiply(1.0 / (1L << 53));
    }

    /** Standard normal by Box–Muller from streams (stream, stream + 1). */
    Column normal(int stream) {
      Column r = sqrt(log(lit(1.0).minus(u(stream))).multiply(-2.0));
      return r.multiply(cos(u(stream + 1).multiply(2 * Math.PI)));
    }

    Column numeric(int i) {
      int st = S_NUMERIC + 3 * i;
      return switch (i % 4) {
        case 0 -> normal(st).multiply(15).plus(50);
        case 1 -> exp(normal(st).multiply(0.8).plus(1.5));
        case 2 -> pow(u(st), 0.8).multiply(72);
        default -> floor(log(lit(1.0).minus(u(st))).multiply(-2.0)).cast("double");
      };
    }
  }

  /** The hidden true relation and the deployed model's perturbed copy, drawn from the seed. */
  record Truth(
      int classes,
      double[] bias,
      double[][] weights,
      double[][][] effects,
      double[][] modelWeights,
      double[][][] modelEffects) {
    static Truth draw(ModelSpec spec, long seed) {
      SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
      int classes = spec.task().isClassification() ? spec.numClasses() : 1;
      int p = spec.numericFeatures().size();
      int q = spec.categoricalFeatures().size();
      double[] bias = new double[classes];
      double[][] w = new double[classes][p];
      double[][][] e = new double[classes][q][];
      double[][] mw = new double[classes][p];
      double[][][] me = new double[classes][q][];
      for (int c = 0; c < classes; c++) {
        boolean zeroClass = spec.task() == Task.BINARY && c == 0;
        bias[c] = zeroClass ? 0 : (spec.task() == Task.BINARY ? -1.2 : r.nextDouble(-0.5, 0.5));
        for (int i = 0; i < p; i++) {
          double mag = r.nextDouble(0.5, 1.5) * (r.nextBoolean() ? 1 : -1);
          w[c][i] = zeroClass ? 0 : mag;
          mw[c][i] = w[c][i] * (1 + 0.25 * gaussian(r));
        }
        for (int j = 0; j < q; j++) {
          int n = 8; // enough slots for any configured vocabulary; extra values reuse slot mod n
          e[c][j] = new double[n];
          me[c][j] = new double[n];
          for (int k = 0; k < n; k++) {
            e[c][j][k] = zeroClass ? 0 : 0.6 * gaussian(r);
            me[c][j][k] = e[c][j][k] * (1 + 0.25 * gaussian(r));
          }
        }
      }
      return new Truth(classes, bias, w, e, mw, me);
    }

    private static double gaussian(SplittableRandom r) {
      double u1 = 1 - r.nextDouble();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    Column logit(
        int c, List<Column> z, ModelSpec spec, Column day, GenerateSettings s, boolean model) {
      double[] w = model ? modelWeights[c] : weights[c];
      double[][] e = model ? modelEffects[c] : effects[c];
      Column sum = lit(bias[c]);
      for (int i = 0; i < w.length; i++) {
        Column wi = lit(w[i]);
        if (i == 0 && !model && s.hasConceptDrift()) {
          wi =
              when(day.geq(s.conceptDriftStartDay()), lit(w[i] * (1 - s.conceptDriftStrength())))
                  .otherwise(wi);
        }
        sum = sum.plus(wi.multiply(z.get(i)));
      }
      for (int j = 0; j < e.length; j++) {
        String name = spec.categoricalFeatures().get(j);
        List<String> values = s.categories().getOrDefault(name, defaultValues(name));
        Column eff = lit(0.0);
        for (int k = values.size() - 1; k >= 0; k--) {
          eff = when(col(name).equalTo(values.get(k)), lit(e[j][k % e[j].length])).otherwise(eff);
        }
        sum = sum.plus(eff);
      }
      if (spec.task() == Task.REGRESSION) {
        return sum.multiply(10).plus(100);
      }
      return sum;
    }
  }
}
