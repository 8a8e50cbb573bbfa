package io.lakeloop.monitoring.evaluate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.ingest.Ingestion;
import java.time.LocalDate;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The days whose labels changed since a model was last evaluated, from the ledger alone: the labels
 * version the latest succeeded evaluate of the model read ({@code job_runs.inputs['labels']}), and
 * the event dates every succeeded load of labels written after that version touched ({@code
 * summary['labeled_dates']}, written by ingest). A superset of the days whose metrics can differ (a
 * label equal to the stored one counts too); labels written by anything else than ingest are not
 * seen. Cost: one read of job_runs; no data scan.
 */
final class LabelChanges {
  private static final Logger LOG = LoggerFactory.getLogger(LabelChanges.class);

  private LabelChanges() {}

  /** The changed days, oldest first; empty without job_runs or an earlier evaluate. */
  static TreeSet<LocalDate> since(Lakehouse lh, String model) {
    TreeSet<LocalDate> out = new TreeSet<>();
    if (lh.latestVersion(Tables.JOB_RUNS).isEmpty()) {
      return out;
    }
    Dataset<Row> runs =
        JobRuns.latest(lh.read(Tables.JOB_RUNS).data())
            .where(col(STATUS).equalTo(JobRuns.SUCCEEDED))
            .cache();
    try {
      List<Row> last =
          runs.where(
                  col(JOB)
                      .equalTo("evaluate")
                      // the model evaluated, whether or not --model named it
                      .and(col(SUMMARY).getItem("model").equalTo(model))
                      .and(col(INPUTS).getItem(Tables.LABELS_TABLE).isNotNull()))
              .orderBy(col(FINISHED_AT).desc())
              .select(col(INPUTS).getItem(Tables.LABELS_TABLE))
              .limit(1)
              .collectAsList();
      if (last.isEmpty()) {
        return out;
      }
      long seen = last.get(0).getLong(0);
      LOG.info("evaluate: the last evaluate of model {} read labels v{}", model, seen);
      for (Row r :
          runs.where(
                  col(OUTPUTS)
                      .getItem(Tables.LABELS_TABLE)
                      .gt(seen)
                      .and(col(SUMMARY).getItem(Ingestion.LABELED_DATES).isNotNull()))
              .select(col(SUMMARY).getItem(Ingestion.LABELED_DATES))
              .collectAsList()) {
        for (String d : r.getString(0).split(",")) {
          if (!d.isBlank()) {
            out.add(LocalDate.parse(d.trim()));
          }
        }
      }
      LOG.info("evaluate: days whose labels were loaded since: {}", out);
      return out;
    } finally {
      runs.unpersist();
    }
  }
}
