package io.lakeloop.monitoring.report;

import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Tables;
import io.lakeloop.monitoring.drift.ColumnHistogram;
import io.lakeloop.monitoring.report.Html.Cell;
import io.lakeloop.monitoring.report.ReportData.MetricPoint;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The report as one self-contained HTML page: headline, quality over time, curves, drift, training
 * and compression, lineage. A pure function of {@link ReportData}: the same data gives the same
 * bytes (no wall-clock time), so a rerun of a report run rewrites an identical file.
 */
final class ReportPage {
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("MMM d", Locale.ROOT);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** People's names and axis labels of the usual metrics; others show their own name. */
  private static final Map<String, String[]> METRICS =
      Map.ofEntries(
          Map.entry("accuracy", new String[] {"Accuracy", "share correct"}),
          Map.entry("roc_auc", new String[] {"ROC-AUC", "area under ROC"}),
          Map.entry("pr_auc", new String[] {"PR-AUC", "average precision"}),
          Map.entry("f1_macro", new String[] {"F1 (macro)", "F1"}),
          Map.entry("f1_weighted", new String[] {"F1 (weighted)", "F1"}),
          Map.entry("log_loss", new String[] {"Log-loss", "nats per row"}),
          Map.entry("brier", new String[] {"Brier score", "mean squared error"}),
          Map.entry("ece", new String[] {"Calibration error (ECE)", "|score - rate|"}),
          Map.entry("labeled_share", new String[] {"Labeled share", "share of predictions"}),
          Map.entry("count", new String[] {"Predictions", "rows"}),
          Map.entry("mae", new String[] {"MAE", "absolute error"}),
          Map.entry("rmse", new String[] {"RMSE", "error"}),
          Map.entry("r2", new String[] {"R²", "R²"}));

  private ReportPage() {}

  static String render(ReportData d, ReportSettings s) {
    StringBuilder sb = new StringBuilder(1 << 16);
    sb.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(Html.escape(d.model() + " — lakeloop report " + d.asOf()))
        .append("</title><style>")
        .append(Html.STYLE)
        .append("</style></head><body>");
    sb.append("<header><h1>")
        .append(Html.escape(d.model()))
        .append(" — model health</h1><div class=\"sub\">as of ")
        .append(d.asOf())
        .append(" · report run <code>")
        .append(Html.escape(d.runId()))
        .append("</code></div><nav>")
        .append("<a href=\"#headline\">Headline</a><a href=\"#quality\">Quality</a>")
        .append("<a href=\"#curves\">Curves</a><a href=\"#drift\">Drift</a>")
        .append(
            "<a href=\"#training\">Training</a><a href=\"#lineage\">Lineage</a></nav></header><main>");
    headline(sb, d);
    quality(sb, d, s);
    curves(sb, d, s);
    drift(sb, d);
    training(sb, d);
    lineage(sb, d);
    sb.append(
            "</main><footer class=\"note\">Written by <code>lakeloop report</code> from the Delta")
        .append(" tables listed under Lineage; self-contained (inline SVG and script, no network).")
        .append("</footer><script>")
        .append(Html.SCRIPT)
        .append("</script></body></html>\n");
    return sb.toString();
  }

  // ---------------------------------------------------------------- headline

  private static void headline(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"headline\"><h2>Headline</h2><div class=\"cards\">");
    sb.append("<div class=\"card\" id=\"champion\"><h3>Champion</h3>");
    Optional<ModelRegistry.Entry> champion = d.champion();
    if (champion.isPresent()) {
      ModelRegistry.Entry c = champion.get();
      sb.append("<div class=\"big\">")
          .append(Html.escape(c.ref()))
          .append("</div><div>")
          .append(Html.escape(c.status()))
          .append(" ")
          .append(TIME.format(c.createdAt()))
          .append(" · ")
          .append(Html.escape(c.format()))
          .append(" · ")
          .append(Html.bytes(c.sizeBytes()))
          .append("</div>");
      if (c.compression() != null && c.compression().bits() != null) {
        sb.append("<div>compressed: ")
            .append(Html.percent(orZero(c.compression().sparsity())))
            .append(" of weights pruned, int")
            .append(c.compression().bits())
            .append(", ")
            .append(String.format(Locale.ROOT, "%.1f×", orZero(c.compression().sizeRatio())))
            .append(" smaller than ")
            .append(c.parentVersion() == null ? "its parent" : "v" + c.parentVersion())
            .append("</div>");
      }
      Double acc = c.metrics().get("holdout.accuracy");
      if (acc != null) {
        sb.append("<div class=\"note\">held-out accuracy ")
            .append(Html.number(acc))
            .append("</div>");
      }
    } else {
      sb.append("<div class=\"big\">none</div><div class=\"note\">no champion alias is set for ")
          .append(Html.escape(d.model()))
          .append(" (bin/lakeloop registry list)</div>");
    }
    sb.append("</div>");

    sb.append("<div class=\"card\" id=\"latest-quality\"><h3>Latest labeled day</h3>");
    List<MetricPoint> overall =
        d.metrics().stream()
            .filter(p -> p.granularity().equals(ReportReader.DAY) && p.sliceKey().equals("*"))
            .toList();
    Optional<LocalDate> day = ReportData.latestLabeledDay(d.metrics());
    if (day.isPresent()) {
      sb.append("<div class=\"big\">").append(day.get()).append("</div><ul class=\"reasons\">");
      for (MetricPoint p : overall) {
        if (p.window().equals(day.get())
            && (p.metric().equals("accuracy") || p.metric().equals("roc_auc"))) {
          sb.append("<li>v")
              .append(Html.escape(p.version()))
              .append(" ")
              .append(Html.escape(name(p.metric())))
              .append(" <b>")
              .append(Html.number(p.value()))
              .append("</b>")
              .append(interval(p))
              .append(", n = ")
              .append(Html.number((double) p.n()))
              .append("</li>");
        }
      }
      sb.append("</ul>");
    } else {
      sb.append(
              "<div class=\"big\">–</div><div class=\"note\">no labeled predictions evaluated yet")
          .append(" (bin/lakeloop evaluate)</div>");
    }
    sb.append("</div>");

    sb.append("<div class=\"card\" id=\"last-gate\"><h3>Last gate decision</h3>");
    if (d.gate().isEmpty()) {
      sb.append("<div class=\"big\">–</div><div class=\"note\">no gate decision yet (bin/lakeloop")
          .append(" train or compress)</div>");
    } else {
      String run = d.gate().get(0).runId();
      List<ReportData.GateCheck> checks =
          d.gate().stream().filter(g -> g.runId().equals(run)).toList();
      Optional<ReportData.GateCheck> winner =
          checks.stream().filter(ReportData.GateCheck::winner).findFirst();
      sb.append("<div class=\"big ")
          .append(winner.isPresent() ? "ok" : "bad")
          .append("\">")
          .append(
              winner
                  .map(
                      w ->
                          "blessed: "
                              + w.candidate()
                              + (w.candidateVersion() == null
                                  ? ""
                                  : " (v" + w.candidateVersion() + ")"))
                  .map(Html::escape)
                  .orElse("nothing blessed"))
          .append("</div><div class=\"note\">run <code>")
          .append(Html.escape(run))
          .append("</code>")
          .append(checks.get(0).date() == null ? "" : " for " + checks.get(0).date())
          .append(", against ")
          .append(Html.escape(checks.get(0).champion()))
          .append("</div><ul class=\"reasons\">");
      int shown = 0;
      for (ReportData.GateCheck g : checks) {
        if (g.reason() == null || shown >= 10) {
          continue;
        }
        shown++;
        sb.append("<li class=\"")
            .append(Boolean.FALSE.equals(g.passed()) ? "bad" : "")
            .append("\">")
            .append(Html.escape(g.candidate()))
            .append(": ")
            .append(Html.escape(g.reason()))
            .append("</li>");
      }
      sb.append("</ul>");
    }
    sb.append("</div>");

    sb.append("<div class=\"card\" id=\"open-alerts\"><h3>Open alerts</h3>");
    sb.append("<div class=\"big ")
        .append(d.alerts().isEmpty() ? "ok" : "bad")
        .append("\">")
        .append(d.alerts().size())
        .append("</div>");
    if (d.alerts().isEmpty()) {
      sb.append("<div class=\"note\">no drift alert in the days before ")
          .append(d.asOf())
          .append("</div>");
    } else {
      sb.append("<ul class=\"reasons\">");
      for (ReportData.Alert a : d.alerts()) {
        sb.append("<li>")
            .append(a.windowStart().format(DAY))
            .append(" · ")
            .append(Html.escape(a.granularity() + " " + a.comparison()))
            .append(a.version() == null ? "" : " · v" + Html.escape(a.version()))
            .append(": <b>")
            .append(Html.escape(String.join(", ", a.columns())))
            .append("</b> (")
            .append(Html.percent(a.share()))
            .append(" of columns")
            .append(a.datasetDrifted() ? ", dataset drifted" : "")
            .append(")</li>");
      }
      sb.append("</ul>");
    }
    sb.append("</div></div></section>");
  }

  // ---------------------------------------------------------------- quality over time

  private static void quality(StringBuilder sb, ReportData d, ReportSettings s) {
    sb.append("<section id=\"quality\"><h2>Quality over time</h2>");
    // views: granularity x slice, in data order ('*' first within a granularity)
    Map<String, List<MetricPoint>> views = new LinkedHashMap<>();
    d.metrics().stream()
        .sorted(
            Comparator.comparing(MetricPoint::granularity, ReportPage::granularityOrder)
                .thenComparing(p -> p.sliceKey().equals("*") ? "" : p.sliceKey())
                .thenComparing(MetricPoint::sliceValue))
        .forEach(p -> views.computeIfAbsent(viewKey(p), k -> new ArrayList<>()).add(p));
    if (views.isEmpty()) {
      sb.append(
          "<p class=\"note\">No evaluation yet: run <code>bin/lakeloop evaluate</code>.</p></section>");
      return;
    }
    sb.append("<div class=\"controls\"><label>Window and slice <select id=\"quality-view\"")
        .append(" data-views=\"quality\">");
    for (String v : views.keySet()) {
      sb.append("<option value=\"")
          .append(Html.escape(v))
          .append("\">")
          .append(Html.escape(viewLabel(views.get(v).get(0))))
          .append("</option>");
    }
    sb.append("</select></label><span class=\"note\">lines: model versions; bands: bootstrap")
        .append(" confidence interval; dashed lines: where a version first served</span></div>");
    boolean first = true;
    for (Map.Entry<String, List<MetricPoint>> v : views.entrySet()) {
      sb.append("<div class=\"grid\" data-view-group=\"quality\" data-view=\"")
          .append(Html.escape(v.getKey()))
          .append('"')
          .append(first ? "" : " hidden")
          .append('>');
      first = false;
      Map<String, Map<String, List<MetricPoint>>> byMetric = new LinkedHashMap<>();
      for (String m : s.metrics()) {
        byMetric.put(m, new TreeMap<>(ReportPage::versionOrder));
      }
      for (MetricPoint p : v.getValue()) {
        if (byMetric.containsKey(p.metric())) {
          byMetric.get(p.metric()).computeIfAbsent(p.version(), k -> new ArrayList<>()).add(p);
        }
      }
      List<Svg.Marker> markers = versionMarkers(v.getValue());
      List<String> versions = new ArrayList<>(new TreeSet<>(allVersions(d)));
      versions.sort(ReportPage::versionOrder);
      for (Map.Entry<String, Map<String, List<MetricPoint>>> m : byMetric.entrySet()) {
        if (m.getValue().isEmpty()) {
          continue;
        }
        List<Svg.Series> series = new ArrayList<>();
        for (Map.Entry<String, List<MetricPoint>> ver : m.getValue().entrySet()) {
          List<double[]> pts = new ArrayList<>();
          List<double[]> band = new ArrayList<>();
          List<String> tips = new ArrayList<>();
          for (MetricPoint p : ver.getValue()) {
            if (p.value() == null || !Double.isFinite(p.value())) {
              continue;
            }
            double x = p.window().toEpochDay();
            pts.add(new double[] {x, p.value()});
            if (p.ciLow() != null && p.ciHigh() != null) {
              band.add(new double[] {x, p.ciLow(), p.ciHigh()});
            }
            tips.add(
                "v"
                    + p.version()
                    + " · "
                    + p.window()
                    + ": "
                    + Html.number(p.value())
                    + intervalText(p)
                    + " · n = "
                    + Html.number((double) p.n()));
          }
          if (band.size() != pts.size()) {
            band = List.of();
          }
          if (!pts.isEmpty()) {
            series.add(
                new Svg.Series(
                    "v" + ver.getKey(), color(versions, ver.getKey()), pts, band, tips, false));
          }
        }
        if (series.isEmpty()) {
          continue;
        }
        sb.append("<figure data-metric=\"")
            .append(Html.escape(m.getKey()))
            .append("\">")
            .append(
                Svg.lineChart(
                    "quality-chart",
                    name(m.getKey()) + " — " + viewLabel(v.getValue().get(0)),
                    "window start (UTC)",
                    axis(m.getKey()),
                    Svg.XAxis.DATE,
                    series,
                    markers,
                    null,
                    false))
            .append("</figure>");
      }
      sb.append("</div>");
    }
    sb.append("</section>");
  }

  /** A dashed line where each version after the first served its first window of the view. */
  private static List<Svg.Marker> versionMarkers(List<MetricPoint> points) {
    Map<String, LocalDate> first = new TreeMap<>(ReportPage::versionOrder);
    for (MetricPoint p : points) {
      first.merge(p.version(), p.window(), (a, b) -> a.isBefore(b) ? a : b);
    }
    LocalDate earliest = first.values().stream().min(LocalDate::compareTo).orElse(null);
    List<Svg.Marker> out = new ArrayList<>();
    first.forEach(
        (v, day) -> {
          if (!day.equals(earliest)) {
            out.add(new Svg.Marker(day.toEpochDay(), "v" + v));
          }
        });
    return out;
  }

  // ---------------------------------------------------------------- curves

  private static void curves(StringBuilder sb, ReportData d, ReportSettings s) {
    sb.append("<section id=\"curves\"><h2>ROC, precision-recall and calibration</h2>");
    if (d.curves().isEmpty() || d.curves().get().versions().isEmpty()) {
      sb.append("<p class=\"note\">")
          .append(
              d.classLabels().size() == 2
                  ? "No labeled predictions in the report's history yet."
                  : "Curves are drawn for binary models.")
          .append("</p></section>");
      return;
    }
    ReportData.Curves c = d.curves().get();
    sb.append("<p class=\"sub\">Labeled predictions of ")
        .append(c.day())
        .append(" (UTC), positive class <b>")
        .append(Html.escape(c.positiveClass()))
        .append("</b>, thresholds every 1/")
        .append(c.bins())
        .append(" of the score.</p><div class=\"grid\">");
    List<String> versions = new ArrayList<>(allVersions(d));
    versions.sort(ReportPage::versionOrder);
    List<Svg.Series> roc = new ArrayList<>();
    List<Svg.Series> pr = new ArrayList<>();
    List<Svg.Series> cal = new ArrayList<>();
    StringBuilder aucs = new StringBuilder();
    for (ReportData.VersionBins v : c.versions()) {
      String color = color(versions, v.version());
      String name = "v" + v.version();
      List<double[]> r = CurveMath.roc(v.positives(), v.negatives());
      List<double[]> p = CurveMath.precisionRecall(v.positives(), v.negatives());
      List<double[]> k =
          CurveMath.calibration(v.positives(), v.negatives(), v.scoreSums(), s.calibrationBins());
      if (!r.isEmpty()) {
        roc.add(new Svg.Series(name + " (AUC " + Html.number(CurveMath.area(r)) + ")", color, r));
      }
      if (!p.isEmpty()) {
        pr.add(
            new Svg.Series(
                name + " (AP " + Html.number(CurveMath.averagePrecision(p)) + ")", color, p));
      }
      List<String> tips =
          k.stream()
              .map(
                  q ->
                      name
                          + ": mean score "
                          + Html.number(q[0])
                          + ", observed "
                          + Html.number(q[1])
                          + ", "
                          + Html.number(q[2])
                          + " rows")
              .toList();
      cal.add(
          new Svg.Series(
              name,
              color,
              k.stream().map(q -> new double[] {q[0], q[1]}).toList(),
              List.of(),
              tips,
              false));
      aucs.append(
          String.format(
              Locale.ROOT,
              "<span class=\"pill\" data-version=\"%s\" data-roc-auc=\"%s\">%s: %s positives, %s negatives</span> ",
              Html.escape(v.version()),
              r.isEmpty() ? "" : Double.toString(CurveMath.area(r)),
              name,
              Html.number(CurveMath.sum(v.positives())),
              Html.number(CurveMath.sum(v.negatives()))));
    }
    double[] unit = {0, 1, 0, 1};
    sb.append("<figure id=\"roc\">")
        .append(
            Svg.lineChart(
                "curve-chart",
                "ROC curve",
                "false positive rate",
                "true positive rate",
                Svg.XAxis.NUMBER,
                roc,
                List.of(),
                unit,
                true))
        .append("</figure><figure id=\"pr\">")
        .append(
            Svg.lineChart(
                "curve-chart",
                "Precision-recall curve",
                "recall",
                "precision",
                Svg.XAxis.NUMBER,
                pr,
                List.of(),
                unit,
                false))
        .append("</figure><figure id=\"calibration\">")
        .append(
            Svg.lineChart(
                "curve-chart",
                "Calibration (" + s.calibrationBins() + " score bins)",
                "mean predicted probability",
                "observed positive rate",
                Svg.XAxis.NUMBER,
                cal,
                List.of(),
                unit,
                true))
        .append("</figure></div><p class=\"note\">")
        .append(aucs)
        .append("</p></section>");
  }

  // ---------------------------------------------------------------- drift

  private static void drift(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"drift\"><h2>Drift</h2>");
    if (d.drift().isEmpty()) {
      sb.append(
          "<p class=\"note\">No drift statistics yet: run <code>bin/lakeloop drift</code>.</p></section>");
      return;
    }
    ReportData.DriftRow w = d.drift().get(0);
    long drifted = d.drift().stream().filter(r -> Boolean.TRUE.equals(r.drifted())).count();
    sb.append("<p class=\"sub\">Window of ")
        .append(Html.escape(w.granularity()))
        .append(" starting ")
        .append(w.windowStart())
        .append(": BASELINE compares it with the baseline profile, CONSECUTIVE with the window")
        .append(" before. ")
        .append(drifted)
        .append(" of ")
        .append(d.drift().size())
        .append(" statistics over their threshold.</p>");
    sb.append("<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-drifted\"> only")
        .append(" drifted</label><span class=\"note\">click a header to sort</span></div>");
    List<List<Cell>> rows = new ArrayList<>();
    // drifted statistics first, so the table answers "what moved" without a click
    List<ReportData.DriftRow> ordered = new ArrayList<>(d.drift());
    ordered.sort(
        Comparator.comparing((ReportData.DriftRow r) -> !Boolean.TRUE.equals(r.drifted())));
    for (ReportData.DriftRow r : ordered) {
      boolean isDrifted = Boolean.TRUE.equals(r.drifted());
      rows.add(
          List.of(
              Cell.text(r.column()).rowClass(isDrifted ? "drifted" : null),
              Cell.text(r.kind()),
              Cell.text(r.statistic()),
              Cell.num(r.value()),
              Cell.num(r.pValue()),
              Cell.num(r.threshold()),
              Cell.html(
                  r.drifted() == null
                      ? "–"
                      : isDrifted ? "<span class=\"pill bad\">drifted</span>" : "no"),
              Cell.text(r.comparison()),
              Cell.text(r.version() == null ? "all" : "v" + r.version())));
    }
    sb.append(
        Html.table(
            "drift-table",
            List.of(
                "column",
                "kind",
                "statistic",
                "value",
                "p-value",
                "threshold",
                "drifted",
                "comparison",
                "version"),
            rows,
            "drifted"));
    if (!d.histograms().isEmpty()) {
      sb.append("<h3>Baseline vs current, on the bins drift compares</h3><div class=\"grid\">");
      for (ColumnHistogram h : d.histograms()) {
        Optional<ReportData.DriftRow> psi =
            d.drift().stream()
                .filter(
                    r ->
                        r.column().equals(h.column())
                            && r.comparison().equals("BASELINE")
                            && r.statistic().equals("psi"))
                .findFirst();
        String title =
            h.column()
                + psi.map(
                        r ->
                            " — PSI "
                                + Html.number(r.value())
                                + (Boolean.TRUE.equals(r.drifted()) ? " (drifted)" : ""))
                    .orElse("");
        sb.append("<figure data-column=\"")
            .append(Html.escape(h.column()))
            .append("\">")
            .append(
                Svg.barChart(
                    "histogram",
                    title,
                    "share of rows",
                    h.bins(),
                    List.of("baseline", "current " + w.windowStart()),
                    new double[][] {shares(h.baseline()), shares(h.current())},
                    true))
            .append("</figure>");
      }
      sb.append("</div>");
    }
    sb.append("</section>");
  }

  private static double[] shares(long[] counts) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    double[] out = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = total == 0 ? 0 : (double) counts[i] / total;
    }
    return out;
  }

  // ---------------------------------------------------------------- training and compression

  private static void training(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"training\"><h2>Training and compression</h2>");
    if (d.registry().isEmpty()) {
      sb.append("<p class=\"note\">No registered version of ")
          .append(Html.escape(d.model()))
          .append(" yet: run <code>bin/lakeloop train</code>.</p></section>");
      return;
    }
    Map<Integer, String> roles = new TreeMap<>();
    for (ReportData.GateCheck g : d.gate()) {
      if (g.candidateVersion() != null) {
        roles.putIfAbsent(g.candidateVersion(), g.candidate());
      }
    }
    Map<Integer, List<String>> aliases = new TreeMap<>();
    d.aliases().forEach((a, v) -> aliases.computeIfAbsent(v, k -> new ArrayList<>()).add(a));
    List<List<Cell>> rows = new ArrayList<>();
    for (ModelRegistry.Entry e : d.registry()) {
      rows.add(
          List.of(
              Cell.text(e.ref()),
              Cell.text(roles.getOrDefault(e.version(), "")),
              Cell.text(e.status()),
              Cell.text(String.join(", ", aliases.getOrDefault(e.version(), List.of()))),
              Cell.text(e.parentVersion() == null ? "" : "v" + e.parentVersion()),
              Cell.text(e.format()),
              Cell.num(e.metrics().get("parameters")),
              new Cell(Html.bytes(e.sizeBytes()), (double) e.sizeBytes(), true, null),
              Cell.num(e.metrics().get("holdout.accuracy")),
              Cell.num(e.metrics().get("holdout.roc_auc")),
              Cell.text(compression(e)),
              Cell.text(TIME.format(e.createdAt())),
              Cell.text(e.runId())));
    }
    sb.append(
        Html.table(
            "versions-table",
            List.of(
                "version",
                "role",
                "status",
                "aliases",
                "parent",
                "format",
                "parameters",
                "size",
                "held-out accuracy",
                "held-out ROC-AUC",
                "compression",
                "created",
                "run"),
            rows,
            null));
    sb.append("<div class=\"grid\">");
    List<Svg.Series> loss = new ArrayList<>();
    List<Svg.Series> val = new ArrayList<>();
    List<String> versions = new ArrayList<>(allVersions(d));
    versions.sort(ReportPage::versionOrder);
    for (ModelRegistry.Entry e : d.registry()) {
      List<double[]> l = epochSeries(e, "loss");
      List<double[]> a = epochSeries(e, "validation_accuracy");
      String name =
          "v" + e.version() + (roles.containsKey(e.version()) ? " " + roles.get(e.version()) : "");
      String color = color(versions, Integer.toString(e.version()));
      if (!l.isEmpty()) {
        loss.add(new Svg.Series(name, color, l));
      }
      if (!a.isEmpty()) {
        val.add(new Svg.Series(name, color, a));
      }
    }
    if (!loss.isEmpty()) {
      sb.append("<figure id=\"loss-curves\">")
          .append(
              Svg.lineChart(
                  "training-chart",
                  "Training loss per epoch",
                  "epoch",
                  "training loss",
                  Svg.XAxis.INTEGER,
                  loss,
                  List.of(),
                  null,
                  false))
          .append("</figure><figure id=\"validation-curves\">")
          .append(
              Svg.lineChart(
                  "training-chart",
                  "Validation accuracy per epoch",
                  "epoch",
                  "validation accuracy",
                  Svg.XAxis.INTEGER,
                  val,
                  List.of(),
                  null,
                  false))
          .append("</figure>");
    }
    List<String> labels = new ArrayList<>();
    double[] acc = new double[d.registry().size()];
    double[] size = new double[d.registry().size()];
    for (int i = 0; i < d.registry().size(); i++) {
      ModelRegistry.Entry e = d.registry().get(i);
      labels.add("v" + e.version() + " " + roles.getOrDefault(e.version(), e.status()));
      acc[i] = e.metrics().getOrDefault("holdout.accuracy", Double.NaN);
      size[i] = e.sizeBytes() / 1024.0;
    }
    sb.append("<figure id=\"accuracy-by-version\">")
        .append(
            Svg.barChart(
                "version-chart",
                "Held-out accuracy by version",
                "accuracy",
                labels,
                List.of("held-out accuracy"),
                new double[][] {acc},
                false))
        .append("</figure><figure id=\"size-by-version\">")
        .append(
            Svg.barChart(
                "version-chart",
                "Artifact size by version",
                "KiB",
                labels,
                List.of("size (KiB)"),
                new double[][] {size},
                false))
        .append("</figure>");
    List<ModelRegistry.Entry> compressed =
        d.registry().stream()
            .filter(
                e ->
                    e.metrics().keySet().stream()
                        .anyMatch(k -> k.startsWith("layer.") && k.endsWith(".sparsity")))
            .toList();
    if (!compressed.isEmpty()) {
      Set<Integer> layers = new TreeSet<>();
      for (ModelRegistry.Entry e : compressed) {
        for (String k : e.metrics().keySet()) {
          if (k.startsWith("layer.") && k.endsWith(".sparsity")) {
            layers.add(Integer.parseInt(k.substring(6, k.length() - 9)));
          }
        }
      }
      List<String> layerNames = layers.stream().map(i -> "layer " + i).toList();
      double[][] values = new double[compressed.size()][layers.size()];
      List<String> names = new ArrayList<>();
      for (int s = 0; s < compressed.size(); s++) {
        ModelRegistry.Entry e = compressed.get(s);
        names.add("v" + e.version());
        int j = 0;
        for (int layer : layers) {
          values[s][j++] = e.metrics().getOrDefault("layer." + layer + ".sparsity", Double.NaN);
        }
      }
      sb.append("<figure id=\"layer-sparsity\">")
          .append(
              Svg.barChart(
                  "sparsity-chart",
                  "Sparsity per layer (share of weights zero)",
                  "sparsity",
                  layerNames,
                  names,
                  values,
                  true))
          .append("</figure>");
    }
    sb.append("</div></section>");
  }

  private static List<double[]> epochSeries(ModelRegistry.Entry e, String what) {
    List<double[]> out = new ArrayList<>();
    for (int n = 1; e.metrics().containsKey("epoch." + n + "." + what); n++) {
      out.add(new double[] {n, e.metrics().get("epoch." + n + "." + what)});
    }
    return out;
  }

  private static String compression(ModelRegistry.Entry e) {
    ModelRegistry.Compression c = e.compression();
    if (c == null || c.bits() == null) {
      return "";
    }
    return String.format(
        Locale.ROOT,
        "%s sparse, int%d, %.1f× smaller",
        Html.percent(orZero(c.sparsity())),
        c.bits(),
        orZero(c.sizeRatio()));
  }

  // ---------------------------------------------------------------- lineage

  private static void lineage(StringBuilder sb, ReportData d) {
    sb.append("<section id=\"lineage\"><h2>Lineage</h2>");
    sb.append("<p class=\"sub\">This report read ")
        .append(
            d.tablesRead().entrySet().stream()
                // job_runs grows with every run, this report's own included: naming its version
                // would make a rerun of the same report differ by that number alone
                .filter(e -> !e.getKey().equals(Tables.JOB_RUNS))
                .map(e -> "<code>" + Html.escape(e.getKey()) + "@v" + e.getValue() + "</code>")
                .collect(Collectors.joining(", ")))
        .append(" (Delta versions; <code>versionAsOf</code> reads them again) and job_runs for")
        .append(" the table below.</p>");
    Map<String, Set<String>> producedBy = new LinkedHashMap<>();
    d.metrics()
        .forEach(
            p ->
                producedBy.computeIfAbsent(p.runId(), k -> new TreeSet<>()).add("quality metrics"));
    d.drift()
        .forEach(
            r ->
                producedBy
                    .computeIfAbsent(r.runId(), k -> new TreeSet<>())
                    .add("drift statistics"));
    d.alerts()
        .forEach(a -> producedBy.computeIfAbsent(a.runId(), k -> new TreeSet<>()).add("alerts"));
    d.registry()
        .forEach(
            e ->
                producedBy
                    .computeIfAbsent(e.runId(), k -> new TreeSet<>())
                    .add("model " + e.ref()));
    d.gate()
        .forEach(
            g -> producedBy.computeIfAbsent(g.runId(), k -> new TreeSet<>()).add("gate decisions"));
    List<List<Cell>> rows = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (ReportData.Run r : d.runs()) {
      seen.add(r.runId());
      rows.add(
          List.of(
              Cell.text(r.runId()),
              Cell.text(r.job()),
              Cell.text(r.date() == null ? "" : r.date().toString()),
              Cell.text(r.status()).rowClass("SUCCEEDED".equals(r.status()) ? null : "drifted"),
              Cell.text(r.finishedAt() == null ? "" : TIME.format(r.finishedAt())),
              Cell.html(versions(r.inputs())),
              Cell.html(versions(r.outputs())),
              Cell.text(String.join(", ", producedBy.getOrDefault(r.runId(), Set.of())))));
    }
    producedBy.forEach(
        (run, what) -> {
          if (!seen.contains(run)) {
            rows.add(
                List.of(
                    Cell.text(run),
                    Cell.text("?"),
                    Cell.text(""),
                    Cell.text("not in job_runs"),
                    Cell.text(""),
                    Cell.text(""),
                    Cell.text(""),
                    Cell.text(String.join(", ", what))));
          }
        });
    sb.append(
        Html.table(
            "lineage-table",
            List.of(
                "run",
                "job",
                "logical date",
                "status",
                "finished",
                "read",
                "wrote",
                "numbers shown here"),
            rows,
            null));
    if (!d.registry().isEmpty()) {
      sb.append("<h3>Training data of each version</h3><ul>");
      for (ModelRegistry.Entry e : d.registry()) {
        sb.append("<li><b>")
            .append(Html.escape(e.ref()))
            .append("</b> (run <code>")
            .append(Html.escape(e.runId()))
            .append("</code>): ")
            .append(
                e.trainingData().isEmpty()
                    ? "–"
                    : e.trainingData().stream()
                        .map(
                            l ->
                                "<code>"
                                    + Html.escape(l.table())
                                    + "@v"
                                    + (l.versionFrom() == l.versionTo()
                                        ? Long.toString(l.versionTo())
                                        : l.versionFrom() + "–" + l.versionTo())
                                    + "</code>")
                        .collect(Collectors.joining(", ")))
            .append("</li>");
      }
      sb.append("</ul>");
    }
    sb.append("</section>");
  }

  private static String versions(Map<String, Long> tables) {
    return tables.entrySet().stream()
        .map(e -> "<code>" + Html.escape(e.getKey()) + "@v" + e.getValue() + "</code>")
        .collect(Collectors.joining(" "));
  }

  // ---------------------------------------------------------------- helpers

  private static String viewKey(MetricPoint p) {
    return p.granularity() + "|" + p.sliceKey() + "|" + p.sliceValue();
  }

  private static String viewLabel(MetricPoint p) {
    return p.granularity()
        + " · "
        + (p.sliceKey().equals("*") ? "all rows" : p.sliceKey() + " = " + p.sliceValue());
  }

  private static int granularityOrder(String a, String b) {
    return Long.compare(granularityDays(a), granularityDays(b));
  }

  private static long granularityDays(String g) {
    String[] parts = g.trim().split("\\s+");
    try {
      long n = Long.parseLong(parts[0]);
      return parts.length > 1 && parts[1].startsWith("week") ? n * 7 : n;
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Versions as numbers where they are numbers, else as text. */
  static int versionOrder(String a, String b) {
    try {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    } catch (NumberFormatException e) {
      return a.compareTo(b);
    }
  }

  private static Set<String> allVersions(ReportData d) {
    Set<String> out = new TreeSet<>();
    d.metrics().forEach(p -> out.add(p.version()));
    d.registry().forEach(e -> out.add(Integer.toString(e.version())));
    d.curves().ifPresent(c -> c.versions().forEach(v -> out.add(v.version())));
    return out;
  }

  /** A version's color in every chart of the page and in the PNG summary. */
  static String versionColor(ReportData d, String version) {
    List<String> versions = new ArrayList<>(allVersions(d));
    versions.sort(ReportPage::versionOrder);
    return color(versions, version);
  }

  /** A version keeps its color in every chart of the page. */
  private static String color(List<String> versions, String version) {
    int i = versions.indexOf(version);
    return Svg.PALETTE[Math.floorMod(i < 0 ? version.hashCode() : i, Svg.PALETTE.length)];
  }

  private static String name(String metric) {
    String[] n = METRICS.get(metric);
    return n == null ? metric : n[0];
  }

  private static String axis(String metric) {
    String[] n = METRICS.get(metric);
    return n == null ? metric : n[1];
  }

  private static String interval(MetricPoint p) {
    return Html.escape(intervalText(p));
  }

  private static String intervalText(MetricPoint p) {
    return p.ciLow() == null || p.ciHigh() == null
        ? ""
        : " [" + Html.number(p.ciLow()) + ", " + Html.number(p.ciHigh()) + "]";
  }

  private static double orZero(Double v) {
    return v == null ? 0 : v;
  }
}
