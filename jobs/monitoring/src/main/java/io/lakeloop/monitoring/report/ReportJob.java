package io.lakeloop.monitoring.report;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.table.WarehouseFiles;
import io.lakeloop.monitoring.evaluate.CustomMetric;
import io.lakeloop.monitoring.evaluate.Measures;
import io.lakeloop.monitoring.quality.QualitySettings;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lakeloop report --model NAME [--date D]}: one self-contained HTML report and a PNG
 * summary of a model's health as of a date, written to {@code
 * <warehouse>/reports/<model>/<date>/<run id>/} through Hadoop's FileSystem (local disk or s3a).
 * Reads the monitoring tables once each at a pinned version (see {@link ReportReader}); the page is
 * a pure function of what was read, so rerunning a run rewrites identical files. Without {@code
 * --date} the report is as of the model's latest evaluated or drift window.
 */
public final class ReportJob
    implements StagedJob<ReportJob.Planned, ReportJob.Computed, ReportJob.Outcome> {
  private static final Logger LOG = LoggerFactory.getLogger(ReportJob.class);
  public static final String HTML = "report.html";
  public static final String PNG = "summary.png";

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new ReportJob(), args));
  }

  @Override
  public String name() {
    return "report";
  }

  @Override
  public String description() {
    return "Write an HTML report (quality over time, curves, drift, training, lineage) and a PNG"
        + " summary of one model under <warehouse>/reports/. --date picks the day (default: the"
        + " latest evaluated window); output: the report's path.";
  }

  /** The model, the report's settings and the model's quality rules (their bounds are drawn). */
  public record Planned(ModelSpec model, ReportSettings settings, QualitySettings quality) {}

  /** What was read and the two files rendered from it. */
  public record Computed(ReportData data, byte[] html, byte[] png) {}

  /** Where the files were written. */
  public record Outcome(ModelSpec model, Computed computed, Path html, Path png) {}

  @Override
  public Planned plan(JobContext ctx) {
    // the model's custom metrics are charted with the configured ones
    return new Planned(
        ctx.model(),
        ReportSettings.from(ctx.config())
            .withMetrics(
                Measures.of(ctx.config(), ctx.model()).customMetrics().stream()
                    .map(CustomMetric::name)
                    .toList()),
        QualitySettings.of(ctx.config(), ctx.model().name()));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    long t0 = System.nanoTime();
    ReportData data =
        ReportReader.read(ctx.tables(), p.model(), ctx.logicalDate(), p.settings(), p.quality());
    LOG.info(
        "report: read {} metric values, {} drift statistics, {} versions in {} s",
        data.metrics().size(),
        data.drift().size(),
        data.registry().size(),
        String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    return new Computed(
        data,
        ReportPage.render(data, p.settings()).getBytes(StandardCharsets.UTF_8),
        SummaryImage.render(data));
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    Path dir =
        new Path(
            ctx.lakehouse().root()
                + "/reports/"
                + p.model().name()
                + "/"
                + c.data().asOf()
                + "/"
                + safe(ctx.runId()));
    Configuration hadoop = ctx.spark().sparkContext().hadoopConfiguration();
    return new Outcome(
        p.model(),
        c,
        WarehouseFiles.write(hadoop, new Path(dir, HTML), c.html(), "report file"),
        WarehouseFiles.write(hadoop, new Path(dir, PNG), c.png(), "report file"));
  }

  @Override
  public JobResult render(Outcome o) {
    ReportData data = o.computed().data();
    int htmlBytes = o.computed().html().length;
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("report", o.html().toString());
    summary.put("summary", o.png().toString());
    summary.put("as_of", data.asOf().toString());
    summary.put("html_bytes", Integer.toString(htmlBytes));
    summary.put("open_alerts", Integer.toString(data.alerts().size()));
    return new JobResult(
        "report of "
            + o.model().name()
            + " as of "
            + data.asOf()
            + ": "
            + o.html()
            + " ("
            + Html.bytes(htmlBytes)
            + "), summary "
            + o.png(),
        summary);
  }

  /** A run id as one path segment: anything but letters, digits, '.', '_' and '-' becomes '_'. */
  static String safe(String runId) {
    String s = runId.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.startsWith(".") ? "_" + s.substring(1) : s;
  }
}
