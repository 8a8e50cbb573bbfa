package io.lakeloop.monitoring.report;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.schema.Metrics;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import io.lakeloop.monitoring.drift.DriftJob;
import io.lakeloop.monitoring.evaluate.EvaluateJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The report on generated churn traffic (6,000 rows over 14 days from 2026-01-01, a feature shifted
 * from day 10) after evaluate and drift: what it draws is what the tables hold, the curves agree
 * with evaluate's ROC-AUC, the histograms show the injected shift, and a rerun writes the same
 * bytes. Rendering in a real browser is tested in tests/test_report.py.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportJobTest extends SparkTestBase {
  private static final String DATE = "2026-01-14";
  private LakeloopConfig config;
  private Lakehouse lh;
  private JobResult result;
  private String html;
  private byte[] png;

  @BeforeAll
  void monitorAndReport() throws Exception {
    String warehouse = newWarehouse("report");
    // drift per region, as the demo measures it
    config = config(warehouse, "lakeloop.models.churn.drift-slices=[region]");
    lh = new Lakehouse(spark(), warehouse);
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "6000", "--run-id", "g1");
    JobRunner.run(
        new EvaluateJob(),
        spark(),
        config,
        "--date",
        DATE,
        "--since",
        "2026-01-01",
        "--run-id",
        "e1");
    JobRunner.run(
        new DriftJob(), spark(), config, "--date", DATE, "--since", "2026-01-08", "--run-id", "d1");
    result = JobRunner.run(new ReportJob(), spark(), config, "--date", DATE, "--run-id", "r1");
    html = Files.readString(Path.of(URI.create(result.summary().get("report"))));
    png = Files.readAllBytes(Path.of(URI.create(result.summary().get("summary"))));
  }

  @Test
  void writesBothFilesUnderReportsModelDateRunAndRecordsWhatItRead() {
    assertThat(result.summary().get("report"))
        .endsWith("/reports/churn/" + DATE + "/r1/" + ReportJob.HTML)
        .startsWith("file:");
    assertThat(result.output()).contains(result.summary().get("report"));
    assertThat(html).startsWith("<!DOCTYPE html>").doesNotContain("http://", "https://");
    Row run =
        JobRuns.latest(lh.read(Tables.JOB_RUNS).data())
            .where(col("job").equalTo("report").and(col("run_id").equalTo("r1")))
            .first();
    assertThat(run.getString(run.fieldIndex("status"))).isEqualTo("SUCCEEDED");
    assertThat(run.<String, Long>getJavaMap(run.fieldIndex("inputs")))
        .containsEntry(Tables.EVAL_METRICS, lh.latestVersion(Tables.EVAL_METRICS).orElseThrow())
        .containsEntry(Tables.DRIFT_METRICS, lh.latestVersion(Tables.DRIFT_METRICS).orElseThrow())
        .containsKeys(Tables.PREDICTION_LOG, Tables.LABELS_TABLE, Tables.PROFILES);
    // the lineage section names the runs that produced the numbers, with their versions
    assertThat(section("lineage")).contains(">e1<", ">d1<", "eval_metrics@v", "drift_metrics@v");
  }

  @Test
  void qualityChartsDrawEvaluatesValuesDayByDay() {
    String view = between(html, "data-view=\"1 day|*|*\"", "data-view-group=\"quality\"");
    String figure = between(view, "data-metric=\"accuracy\"", "</figure>");
    // the solid lines are the realized values, the dashed ones the estimates (CBPE): each drawn
    // point is the value evaluate stored for that day, and no day is left out
    for (boolean estimated : new boolean[] {false, true}) {
      String metric = estimated ? Metrics.estimated("accuracy") : "accuracy";
      List<double[]> drawn = values(figure, estimated);
      TreeMap<Long, Double> stored = new TreeMap<>();
      for (Row r :
          lh.read(Tables.EVAL_METRICS)
              .data()
              .where("granularity = '1 day' and slice_key = '*' and metric = '" + metric + "'")
              .select("window_date", "value")
              .collectAsList()) {
        if (!r.isNullAt(1)) {
          stored.put(r.getDate(0).toLocalDate().toEpochDay(), r.getDouble(1));
        }
      }
      assertThat(drawn).as(metric).hasSize(stored.size()).hasSizeGreaterThan(10);
      for (double[] p : drawn) {
        assertThat(stored).containsKey((long) p[0]);
        assertThat(p[1]).isEqualTo(stored.get((long) p[0]));
      }
    }
    // one selectable view per granularity and slice value evaluate wrote; the fairness grouping's
    // disparities are tables of their own section (one per granularity x version), not views
    long views =
        lh.read(Tables.EVAL_METRICS)
            .data()
            .where("slice_key not like 'fairness:%'")
            .select("granularity", "slice_key", "slice_value")
            .distinct()
            .count();
    assertThat(count(between(html, "data-views=\"quality\"", "</select>"), "<option value="))
        .isEqualTo(views);
    long fairnessTables =
        lh.read(Tables.EVAL_METRICS)
            .data()
            .where("slice_key = 'fairness:region'")
            .select("granularity", "model_version")
            .distinct()
            .count();
    assertThat(fairnessTables).isPositive();
    assertThat(count(between(html, "<section id=\"fairness\">", "</section>"), "<table"))
        .isEqualTo(fairnessTables);
  }

  /**
   * The caption under the daily all-rows accuracy chart names exactly the windows where the
   * realized accuracy lies outside its estimate's range, as eval_metrics holds them (the concept
   * drift's days among them), and none when there are none.
   */
  @Test
  void theCaptionNamesTheWindowsWhereTheRealizedValueLeftTheEstimate() {
    List<String> outside = new ArrayList<>();
    for (Row r :
        lh.read(Tables.EVAL_METRICS)
            .data()
            .where("granularity = '1 day' and slice_key = '*'")
            .groupBy("model_version", "window_date")
            .pivot("metric", List.of("accuracy", "estimated_accuracy"))
            .agg(
                org.apache.spark.sql.functions.first("value"),
                org.apache.spark.sql.functions.first("ci_low"),
                org.apache.spark.sql.functions.first("ci_high"))
            .orderBy("model_version", "window_date")
            .collectAsList()) {
      // columns: version, date, then per metric value, ci_low, ci_high
      if (r.isNullAt(2) || r.isNullAt(6) || r.isNullAt(7)) {
        continue;
      }
      double realized = r.getDouble(2);
      if (realized < r.getDouble(6) || realized > r.getDouble(7)) {
        outside.add("v" + r.getString(0) + " " + r.getDate(1));
      }
    }
    assertThat(outside).contains("v1 " + DATE, "v1 2026-01-13");
    String view = between(html, "data-view=\"1 day|*|*\"", "data-view-group=\"quality\"");
    String accuracy = between(view, "data-metric=\"accuracy\"", "</figure>");
    assertThat(accuracy)
        .contains(
            "The realized value left the estimate&#39;s range on "
                + String.join(", ", outside)
                + ":");
  }

  /**
   * The demo model's rule (daily accuracy at most 0.05 below the reference period's, all rows) is
   * drawn as a level line at the bound evaluate judged with: the bound of its alert, whose
   * reference M172 checks against a direct computation. No other view has a rule line.
   */
  @Test
  void aRulesBoundIsDrawnAtTheBoundEvaluateJudgedWith() {
    Row alert =
        lh.read(Tables.ALERTS)
            .data()
            .where(
                "kind = 'quality' and metric = 'accuracy' and granularity = '1 day'"
                    + " and slice_key = '*'")
            .select("rule", "bound")
            .first();
    String view = between(html, "data-view=\"1 day|*|*\"", "data-view-group=\"quality\"");
    String accuracy = between(view, "data-metric=\"accuracy\"", "</figure>");
    List<double[]> line =
        values(accuracy, n -> n.equals(Html.escape("bound: " + alert.getString(0))));
    assertThat(line).hasSize(2);
    assertThat(line).allSatisfy(p -> assertThat(p[1]).isEqualTo(alert.getDouble(1)));
    // it spans the drawn days: from the first to the last point of the versions' lines
    List<double[]> drawn = values(accuracy, n -> n.startsWith("v"));
    assertThat(line.get(0)[0]).isEqualTo(drawn.stream().mapToDouble(p -> p[0]).min().orElseThrow());
    assertThat(line.get(1)[0]).isEqualTo(drawn.stream().mapToDouble(p -> p[0]).max().orElseThrow());
    // the rule judges accuracy of daily windows on all rows only
    assertThat(count(html, "data-series=\"bound: ")).isEqualTo(1);
  }

  @Test
  void curvesAgreeWithEvaluatesRocAucOfTheLatestLabeledDay() {
    Matcher m =
        Pattern.compile("data-version=\"([^\"]+)\" data-roc-auc=\"([^\"]+)\"")
            .matcher(section("curves"));
    assertThat(m.find()).isTrue();
    Row stored =
        lh.read(Tables.EVAL_METRICS)
            .data()
            .where(
                "granularity = '1 day' and slice_key = '*' and metric = 'roc_auc' and window_date"
                    + " = '"
                    + DATE
                    + "' and model_version = '"
                    + m.group(1)
                    + "'")
            .first();
    // two histogram implementations (1,000 and evaluate's 10,000 bins), each within 1e-3 of exact
    assertThat(Double.parseDouble(m.group(2)))
        .isCloseTo(stored.getDouble(stored.fieldIndex("value")), within(2e-3));
    assertThat(section("curves")).contains("Labeled predictions of " + DATE);
    List<double[]> roc = values(between(section("curves"), "id=\"roc\"", "</figure>"));
    assertThat(roc.get(0)).containsExactly(0.0, 0.0);
    assertThat(roc.get(roc.size() - 1)).containsExactly(1.0, 1.0);
  }

  @Test
  void theQualityAlertsCardListsEveryQualityAndAnomalyAlertOfTheAlertDays() {
    // the demo model's rule (configs/models/churn.conf: daily accuracy at most 0.05 below the
    // first week's) breaks on the concept drift's first day; anomalies are listed too
    List<Row> stored =
        lh.read(Tables.ALERTS)
            .data()
            .where(
                "kind in ('quality', 'anomaly') and window_date between '2026-01-08' and '"
                    + DATE
                    + "'")
            .orderBy(col("window_date").desc())
            .collectAsList();
    assertThat(stored).isNotEmpty();
    String card = between(html, "id=\"quality-alerts\"", "</ul>");
    assertThat(count(card, "<li>")).isEqualTo(stored.size());
    assertThat(card).contains("<div class=\"big bad\">" + stored.size() + "</div>");
    for (Row r : stored) {
      assertThat(card).contains(Html.escape(r.<String>getAs("reason")));
    }
  }

  @Test
  void driftTableHasEveryStatisticOfTheWindowAndHistogramsShowTheShift() {
    List<Row> stored =
        lh.read(Tables.DRIFT_METRICS)
            .data()
            .where("granularity = '1 day' and window_date = '" + DATE + "' and slice_key = '*'")
            .collectAsList();
    String table = between(html, "id=\"drift-table\"", "</table>");
    assertThat(count(table, "<tr")).isEqualTo(stored.size() + 1); // + the header row
    long drifted =
        stored.stream()
            .filter(
                r -> !r.isNullAt(r.fieldIndex("drifted")) && r.getBoolean(r.fieldIndex("drifted")))
            .count();
    assertThat(drifted).isPositive();
    assertThat(count(table, "<tr class=\"drifted\"")).isEqualTo(drifted);
    // every column's baseline shares add up to 1; the shifted feature moved mass to its top bin
    String hist = section("drift");
    Matcher fig = Pattern.compile("<figure data-column=\"([^\"]+)\">(.*?)</figure>").matcher(hist);
    Set<String> columns = new HashSet<>();
    while (fig.find()) {
      columns.add(fig.group(1));
      double[] base = bars(fig.group(2), "baseline");
      double[] cur = bars(fig.group(2), "current " + DATE);
      assertThat(base.length).isEqualTo(cur.length).isGreaterThan(1);
      assertThat(sum(base)).isCloseTo(1.0, within(1e-9));
      assertThat(sum(cur)).isCloseTo(1.0, within(1e-9));
      if (fig.group(1).equals("monthly_charges")) {
        assertThat(cur[cur.length - 2]).isGreaterThan(2 * base[base.length - 2]); // ≥ top edge
      }
    }
    assertThat(columns).contains("monthly_charges", "plan");
  }

  @Test
  void eachSliceHasATableOfItsStatisticsBehindTheSelector() {
    // drift per region: one table per slice of the day, each holding the slice's
    // statistics, drifted rows marked; the selector lists every slice
    List<Row> stored =
        lh.read(Tables.DRIFT_METRICS)
            .data()
            .where("granularity = '1 day' and window_date = '" + DATE + "' and slice_key <> '*'")
            .collectAsList();
    java.util.Map<String, List<Row>> bySlice = new java.util.TreeMap<>();
    stored.forEach(
        r ->
            bySlice
                .computeIfAbsent(
                    r.getAs("slice_key") + "=" + r.getAs("slice_value"),
                    k -> new java.util.ArrayList<>())
                .add(r));
    assertThat(bySlice).hasSize(5);
    String select = between(html, "<select id=\"drift-slice\"", "</select>");
    assertThat(count(select, "<option")).isEqualTo(1 + bySlice.size());
    int i = 0;
    for (java.util.Map.Entry<String, List<Row>> e : bySlice.entrySet()) {
      assertThat(select).contains("value=\"" + e.getKey() + "\"");
      String view =
          between(
              html,
              "data-view-group=\"drift-slice\" data-view=\"" + e.getKey() + "\">",
              "</table>");
      assertThat(view).contains("id=\"drift-table-" + (++i) + "\"");
      assertThat(count(view, "<tr")).as(e.getKey()).isEqualTo(e.getValue().size() + 1);
      long drifted =
          e.getValue().stream()
              .filter(r -> !r.isNullAt(r.fieldIndex("drifted")) && r.<Boolean>getAs("drifted"))
              .count();
      assertThat(count(view, "<tr class=\"drifted\"")).as(e.getKey()).isEqualTo(drifted);
    }
  }

  @Test
  void theMultivariateChartDrawsEachDaysErrorAndThreshold() {
    List<Row> stored =
        lh.read(Tables.DRIFT_METRICS)
            .data()
            .where(
                "granularity = '1 day' and comparison = 'BASELINE' and column ="
                    + " 'pca_reconstruction' and slice_key = '*' and model_version = '1'")
            .orderBy("window_date")
            .collectAsList();
    assertThat(stored).hasSizeGreaterThan(3);
    String chart = between(html, "data-chart=\"multivariate\"", "</figure>");
    Matcher line = Pattern.compile("data-series=\"v1\" data-values=\"([^\"]*)\"").matcher(chart);
    assertThat(line.find()).isTrue();
    String[] points = line.group(1).split(" ");
    assertThat(points).hasSize(stored.size());
    for (int i = 0; i < points.length; i++) {
      Row r = stored.get(i);
      String[] xy = points[i].split(",");
      assertThat(Double.parseDouble(xy[0]))
          .isEqualTo((double) r.getDate(r.fieldIndex("window_date")).toLocalDate().toEpochDay());
      assertThat(Double.parseDouble(xy[1])).isEqualTo(r.<Double>getAs("value"));
    }
    assertThat(chart).contains("data-series=\"v1 threshold\"");
    // no constraints in this warehouse: the data-quality section says how to get them
    assertThat(section("data-quality")).contains("constraints suggest");
  }

  @Test
  void aRerunOfTheRunWritesTheSameBytesAndThePngIsASummaryImage() throws Exception {
    JobResult again =
        JobRunner.run(new ReportJob(), spark(), config, "--date", DATE, "--run-id", "r1");
    assertThat(Files.readString(Path.of(URI.create(again.summary().get("report")))))
        .isEqualTo(html);
    assertThat(Files.readAllBytes(Path.of(URI.create(again.summary().get("summary")))))
        .isEqualTo(png);
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(img.getWidth()).isEqualTo(SummaryImage.WIDTH);
    assertThat(img.getHeight()).isEqualTo(SummaryImage.HEIGHT);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 3) {
      for (int x = 0; x < img.getWidth(); x += 3) {
        colours.add(img.getRGB(x, y));
      }
    }
    assertThat(colours.size()).isGreaterThan(20); // text and lines drawn, not a blank canvas
  }

  @Test
  void aDateBeforeAnyDataSaysWhatIsMissingAndAnEmptyWarehouseSaysWhatToRun() throws Exception {
    JobResult early =
        JobRunner.run(new ReportJob(), spark(), config, "--date", "2025-06-01", "--run-id", "r0");
    String page = Files.readString(Path.of(URI.create(early.summary().get("report"))));
    assertThat(page).contains("No evaluation yet", "No drift statistics yet");
    LakeloopConfig empty = config(newWarehouse("report-empty"));
    assertThatThrownBy(() -> JobRunner.run(new ReportJob(), spark(), empty, "--run-id", "r"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("nothing to report for model churn")
        .hasMessageContaining("bin/lakeloop evaluate");
    assertThat(ReportJob.safe("scheduled__2026-01-13T00:00:00+00:00"))
        .isEqualTo("scheduled__2026-01-13T00_00_00_00_00");
  }

  private String section(String id) {
    return between(html, "<section id=\"" + id + "\">", "</section>");
  }

  private static String between(String s, String from, String to) {
    int i = s.indexOf(from);
    assertThat(i).as("'%s' in the page", from).isNotNegative();
    int j = s.indexOf(to, i + from.length());
    return j < 0 ? s.substring(i) : s.substring(i, j);
  }

  private static long count(String s, String what) {
    long n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /** Every point of every line in a chart, from the raw values kept on the polylines. */
  private static List<double[]> values(String svg) {
    List<double[]> out = new ArrayList<>(values(svg, false));
    out.addAll(values(svg, true));
    return out;
  }

  /** The points of a chart's realized lines, or of its estimated (dashed) ones. */
  private static List<double[]> values(String svg, boolean estimated) {
    return values(svg, name -> name.startsWith("v") && name.endsWith(" estimated") == estimated);
  }

  /** The points of the lines of a chart whose series name {@code named} accepts. */
  private static List<double[]> values(String svg, java.util.function.Predicate<String> named) {
    List<double[]> out = new ArrayList<>();
    Matcher m = Pattern.compile("data-series=\"([^\"]*)\" data-values=\"([^\"]*)\"").matcher(svg);
    while (m.find()) {
      if (!named.test(m.group(1))) {
        continue;
      }
      for (String pair : m.group(2).split(" ")) {
        String[] xy = pair.split(",");
        out.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
      }
    }
    return out;
  }

  private static double[] bars(String svg, String series) {
    List<Double> out = new ArrayList<>();
    Matcher m =
        Pattern.compile(
                "data-series=\""
                    + Pattern.quote(series)
                    + "\" data-category=\"[^\"]*\" data-value=\"([^\"]+)\"")
            .matcher(svg);
    while (m.find()) {
      out.add(Double.parseDouble(m.group(1)));
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double sum(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s;
  }
}
