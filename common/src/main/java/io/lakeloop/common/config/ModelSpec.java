package io.lakeloop.common.config;

import io.lakeloop.common.schema.Columns;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What lakeloop knows about one deployed model: its task, class labels, the typed feature columns
 * of its prediction log, the columns that define slices, and how late labels may be. Immutable and
 * validated on construction.
 *
 * @param name model name; letters, digits, {@code _} and {@code -} only (it becomes a path part)
 * @param task binary, multiclass or regression
 * @param classLabels class names in index order (empty for regression)
 * @param numericFeatures DOUBLE feature columns
 * @param categoricalFeatures STRING feature columns
 * @param sliceColumns STRING columns whose values define evaluation slices
 * @param labelDelay how long after a prediction its label may still arrive
 */
public record ModelSpec(
    String name,
    Task task,
    List<String> classLabels,
    List<String> numericFeatures,
    List<String> categoricalFeatures,
    List<String> sliceColumns,
    Duration labelDelay) {

  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,99}");
  private static final Pattern COLUMN = Pattern.compile("[a-z_][a-z0-9_]{0,127}");

  public ModelSpec {
    classLabels = List.copyOf(classLabels);
    numericFeatures = List.copyOf(numericFeatures);
    categoricalFeatures = List.copyOf(categoricalFeatures);
    sliceColumns = List.copyOf(sliceColumns);
    validate(
        name, task, classLabels, numericFeatures, categoricalFeatures, sliceColumns, labelDelay);
  }

  /** Checks a model name before it is used in a path or a query; names the rule on failure. */
  public static String checkName(String name) {
    if (name == null || !MODEL_NAME.matcher(name).matches()) {
      throw new ConfigError(
          "model name '"
              + name
              + "' is not allowed: use 1-100 letters, digits, '_' or '-', starting with a letter"
              + " or digit (no '/', '.', spaces)");
    }
    return name;
  }

  private static void validate(
      String name,
      Task task,
      List<String> classLabels,
      List<String> numeric,
      List<String> categorical,
      List<String> slices,
      Duration labelDelay) {
    checkName(name);
    String key = "lakeloop.models." + name;
    switch (task) {
      case BINARY -> {
        if (classLabels.size() != 2) {
          throw new ConfigError(
              key
                  + ".class-labels must list exactly 2 classes for a binary model, got "
                  + classLabels);
        }
      }
      case MULTICLASS -> {
        if (classLabels.size() < 3) {
          throw new ConfigError(
              key
                  + ".class-labels must list at least 3 classes for a multiclass model (use task ="
                  + " binary for 2), got "
                  + classLabels);
        }
      }
      case REGRESSION -> {
        if (!classLabels.isEmpty()) {
          throw new ConfigError(key + ".class-labels must be empty for a regression model");
        }
      }
    }
    if (new LinkedHashSet<>(classLabels).size() != classLabels.size()) {
      throw new ConfigError(key + ".class-labels has duplicates: " + classLabels);
    }
    if (numeric.isEmpty() && categorical.isEmpty()) {
      throw new ConfigError(
          key + " has no features: set numeric-features and/or categorical-features");
    }
    Set<String> seen = new LinkedHashSet<>();
    List<String> features = new ArrayList<>(numeric);
    features.addAll(categorical);
    for (String column : features) {
      checkColumn(key, column);
      if (!seen.add(column)) {
        throw new ConfigError(key + ": feature column '" + column + "' is listed twice");
      }
    }
    for (String column : slices) {
      checkColumn(key, column);
      if (numeric.contains(column)) {
        throw new ConfigError(
            key
                + ".slice-columns: '"
                + column
                + "' is a numeric feature; slices need a categorical (STRING) column");
      }
    }
    if (labelDelay.isNegative()) {
      throw new ConfigError(key + ".label-delay must not be negative, got " + labelDelay);
    }
  }

  private static void checkColumn(String key, String column) {
    if (!COLUMN.matcher(column).matches()) {
      throw new ConfigError(
          key
              + ": column name '"
              + column
              + "' is not allowed: use lower-case letters, digits and '_', starting with a letter"
              + " or '_'");
    }
    if (Columns.isReservedLogColumn(column)) {
      throw new ConfigError(
          key
              + ": column name '"
              + column
              + "' clashes with a prediction_log column lakeloop defines; rename the feature");
    }
  }

  /** Number of classes (0 for regression). */
  public int numClasses() {
    return classLabels.size();
  }

  /** Every STRING column of the log that this model adds: categorical features, then slices. */
  public List<String> stringColumns() {
    Set<String> out = new LinkedHashSet<>(categoricalFeatures);
    out.addAll(sliceColumns);
    return List.copyOf(out);
  }
}
