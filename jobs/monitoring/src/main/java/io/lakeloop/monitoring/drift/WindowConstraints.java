package io.lakeloop.monitoring.drift;

import io.lakeloop.common.LakeloopException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * A drift run's data-quality checks: the model's constraints file against the window profiles the
 * run computed anyway — no scan of its own. Pure; runs on the driver over aggregates.
 *
 * @param checks rows of constraint_checks, one per constraint, model version and window
 * @param alerts rows of alerts (kind data_quality), one per failed check
 * @param failed the failed checks in words, for the run's output
 * @param unchecked row-level constraints a window could not be checked on, in words: its days were
 *     profiled before their counts were kept (repeats are counted only while a unique constraint
 *     exists)
 */
record WindowConstraints(
    List<Row> checks, List<Row> alerts, List<String> failed, List<String> unchecked) {
  static final WindowConstraints NONE =
      new WindowConstraints(List.of(), List.of(), List.of(), List.of());

  /**
   * Refuses a file of another model, or whose constraints name a column the model's drift does not
   * profile, or put a kind on a column of the other kind, naming the constraint and the fix.
   */
  static void validate(
      ConstraintFile file,
      String model,
      DriftColumns columns,
      boolean classification,
      String path) {
    if (!file.model().equals(model)) {
      throw new LakeloopException(
          path
              + " holds the constraints of model '"
              + file.model()
              + "', not of "
              + model
              + "; fix its model line or write it anew with bin/lakeloop constraints suggest"
              + " --replace");
    }
    Map<String, Boolean> numeric = new LinkedHashMap<>();
    columns.numeric().forEach(c -> numeric.put(c.name(), true));
    columns.categorical().forEach(c -> numeric.put(c.name(), false));
    for (Constraint c : file.constraints()) {
      String rowColumn = c.kind().rowColumn();
      String problem = null;
      if (rowColumn != null) {
        if (!rowColumn.equals(c.column())) {
          problem =
              "is of kind "
                  + c.kind().label()
                  + ", which is stated on column '"
                  + rowColumn
                  + "', not '"
                  + c.column()
                  + "'; set its column to "
                  + rowColumn;
        } else if (c.kind() == Constraint.Kind.VALID_SCORES && !classification) {
          problem = "checks score vectors, which only classification models log; delete it";
        }
      } else {
        Boolean isNumeric = numeric.get(c.column());
        if (isNumeric == null) {
          problem =
              "names column '"
                  + c.column()
                  + "', which drift does not profile for this model; use one of "
                  + numeric.keySet()
                  + " or delete the constraint";
        } else if (!c.kind().appliesTo(isNumeric)) {
          problem =
              "is of kind "
                  + c.kind().label()
                  + ", which does not apply to the "
                  + (isNumeric ? "numeric" : "categorical")
                  + " column "
                  + c.column();
        }
      }
      if (problem != null) {
        throw new LakeloopException(path + ": constraint " + c.name() + " " + problem);
      }
    }
  }

  /** The checks of every window and model version of the run. */
  static WindowConstraints check(
      ConstraintFile file,
      Map<DriftJob.Window, Map<String, ColumnProfiles>> current,
      List<DriftColumns.Spec> numeric,
      List<DriftColumns.Spec> categorical,
      Baseline baseline,
      String runId) {
    List<Row> checks = new ArrayList<>();
    List<Row> alerts = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    List<String> unchecked = new ArrayList<>();
    current.forEach(
        (w, byVersion) ->
            byVersion.forEach(
                (version, p) -> {
                  Map<String, NumericProfile> n = new LinkedHashMap<>();
                  for (int j = 0; j < numeric.size(); j++) {
                    n.put(numeric.get(j).name(), p.numeric[j]);
                  }
                  Map<String, CategoricalProfile> k = new LinkedHashMap<>();
                  for (int j = 0; j < categorical.size(); j++) {
                    k.put(categorical.get(j).name(), p.categorical[j]);
                  }
                  ConstraintChecks.Window where =
                      new ConstraintChecks.Window(
                          file.model(),
                          version,
                          w.granularity().label(),
                          w.start(),
                          w.end(),
                          w.startDate(),
                          runId);
                  ConstraintChecks.Rows rows =
                      new ConstraintChecks.Rows(
                          p.rows(), p.checks, (int) w.startDate().toEpochDay());
                  List<ConstraintChecks.Check> made =
                      ConstraintChecks.check(
                          file.constraints(), n, k, baseline.categoricalProfiles(), rows);
                  for (Constraint c : file.constraints()) {
                    if (c.kind().rowColumn() != null
                        && p.rows() > 0
                        && made.stream().noneMatch(m -> m.constraint().equals(c))) {
                      unchecked.add(
                          c.name()
                              + " on "
                              + w.granularity().label()
                              + " from "
                              + w.startDate()
                              + " (version "
                              + version
                              + ")");
                    }
                  }
                  for (ConstraintChecks.Check c : made) {
                    checks.add(c.row(where));
                    if (!c.passed()) {
                      alerts.add(c.alertRow(where));
                      failed.add(
                          w.granularity().label()
                              + " from "
                              + w.startDate()
                              + " (version "
                              + version
                              + "): "
                              + c.constraint().name()
                              + " — "
                              + c.reason());
                    }
                  }
                }));
    return new WindowConstraints(checks, alerts, failed, unchecked);
  }
}
