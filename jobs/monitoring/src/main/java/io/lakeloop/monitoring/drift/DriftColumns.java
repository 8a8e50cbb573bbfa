package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The columns whose distributions drift is measured on, for one model: its numeric and categorical
 * features, its predictions (the positive-class score of a binary model, each class's score of a
 * multiclass one, the predicted class; the prediction itself for regression) and its labels.
 * Numeric columns come first, then categorical ones — the order of {@link ColumnProfiles}; within
 * each kind the label column comes last (it is profiled apart, from a join with the labels).
 */
public final class DriftColumns {
  /** A column kind as written to profiles.column_kind and drift_metrics.column_kind. */
  public static final String NUMERIC = "numeric";

  public static final String CATEGORICAL = "categorical";

  /**
   * One drift column: its name in profiles/drift_metrics, its kind, the source columns it needs and
   * how it is computed from them. {@code nullIsUnknown}: a null means "not known yet" (a label that
   * has not arrived), so comparisons use the non-null values only — otherwise label delay would
   * look like drift.
   */
  public record Spec(
      String name, String kind, List<String> sources, Column expression, boolean nullIsUnknown) {
    Spec(String name, String kind, List<String> sources, Column expression) {
      this(name, kind, sources, expression, false);
    }

    /** Whether the column is one of the model's numeric features (as logged, not derived). */
    boolean isNumericFeature() {
      return kind.equals(NUMERIC)
          && sources.size() == 1
          && sources.get(0).equals(name)
          && !name.equals(PREDICTION)
          && !isLabel();
    }

    /** Whether the column comes from the labels table (joined), not from prediction_log. */
    boolean isLabel() {
      return sources.contains(LABEL);
    }
  }

  private final List<Spec> numeric = new ArrayList<>();
  private final List<Spec> categorical = new ArrayList<>();

  private DriftColumns() {}

  public static DriftColumns forModel(ModelSpec model) {
    DriftColumns c = new DriftColumns();
    for (String f : model.numericFeatures()) {
      c.numeric.add(new Spec(f, NUMERIC, List.of(f), col(f).cast("double")));
    }
    List<String> labels = model.classLabels();
    if (model.task().isClassification()) {
      if (labels.size() == 2) {
        c.numeric.add(
            new Spec("score", NUMERIC, List.of(SCORES), element_at(col(SCORES), 2).cast("double")));
      } else {
        for (int i = 0; i < labels.size(); i++) {
          c.numeric.add(
              new Spec(
                  "score_" + labels.get(i),
                  NUMERIC,
                  List.of(SCORES),
                  element_at(col(SCORES), i + 1).cast("double")));
        }
      }
    } else {
      c.numeric.add(new Spec(PREDICTION, NUMERIC, List.of(PREDICTION), col(PREDICTION)));
      c.numeric.add(new Spec(LABEL, NUMERIC, List.of(LABEL), col(LABEL).cast("double"), true));
    }
    for (String f : model.categoricalFeatures()) {
      c.categorical.add(new Spec(f, CATEGORICAL, List.of(f), col(f).cast("string")));
    }
    if (model.task().isClassification()) {
      c.categorical.add(
          new Spec(
              PREDICTION, CATEGORICAL, List.of(PREDICTION), className(col(PREDICTION), labels)));
      c.categorical.add(
          new Spec(LABEL, CATEGORICAL, List.of(LABEL), className(col(LABEL), labels), true));
    }
    return c;
  }

  /** The class name of a class index; an index that is not a class keeps its number as text. */
  private static Column className(Column index, List<String> labels) {
    Column out = index.cast("string");
    for (int i = labels.size() - 1; i >= 0; i--) {
      out = when(index.equalTo(lit((double) i)), lit(labels.get(i))).otherwise(out);
    }
    return out;
  }

  public List<Spec> numeric() {
    return List.copyOf(numeric);
  }

  public List<Spec> categorical() {
    return List.copyOf(categorical);
  }

  /** All columns: numeric first, then categorical. */
  public List<Spec> all() {
    List<Spec> all = new ArrayList<>(numeric);
    all.addAll(categorical);
    return all;
  }

  /** Whether every source column of a drift column is in the data. */
  public static boolean available(Spec spec, Dataset<Row> data) {
    Set<String> have = Set.copyOf(Arrays.asList(data.columns()));
    return have.containsAll(spec.sources());
  }

  /** The column's values in the data, or typed nulls when a source column is missing. */
  static Column valueOrNull(Spec spec, Dataset<Row> data) {
    return available(spec, data)
        ? spec.expression()
        : lit(null).cast(spec.kind().equals(NUMERIC) ? "double" : "string");
  }
}
