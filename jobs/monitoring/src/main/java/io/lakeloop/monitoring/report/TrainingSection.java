package io.lakeloop.monitoring.report;

import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.monitoring.report.Html.Cell;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The report page's section of training and compression: the registry versions, learning curves,
 * gate checks and sparsity.
 */
final class TrainingSection {
  private TrainingSection() {}

  static void render(StringBuilder sb, ReportData d) {
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
    versionsTable(sb, d, roles);
    sb.append("<div class=\"grid\">");
    learningCurves(sb, d, roles);
    versionBars(sb, d, roles);
    layerSparsity(sb, d);
    sb.append("</div></section>");
  }

  /** Every registered version: role, status, aliases, parent, size, held-out figures. */
  private static void versionsTable(StringBuilder sb, ReportData d, Map<Integer, String> roles) {
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
              Cell.text(ReportText.TIME.format(e.createdAt())),
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
  }

  /** Training loss and validation accuracy per epoch, a line per version. */
  private static void learningCurves(StringBuilder sb, ReportData d, Map<Integer, String> roles) {
    List<Svg.Series> loss = new ArrayList<>();
    List<Svg.Series> val = new ArrayList<>();
    List<String> versions = new ArrayList<>(ReportText.allVersions(d));
    versions.sort(ReportText::versionOrder);
    for (ModelRegistry.Entry e : d.registry()) {
      List<double[]> l = epochSeries(e, "loss");
      List<double[]> a = epochSeries(e, "validation_accuracy");
      String name =
          "v" + e.version() + (roles.containsKey(e.version()) ? " " + roles.get(e.version()) : "");
      String color = ReportText.color(versions, Integer.toString(e.version()));
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
  }

  /** Held-out accuracy and artifact size, a bar per version. */
  private static void versionBars(StringBuilder sb, ReportData d, Map<Integer, String> roles) {
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
  }

  /** Sparsity per layer of every compressed version. */
  private static void layerSparsity(StringBuilder sb, ReportData d) {
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
        Html.percent(ReportText.orZero(c.sparsity())),
        c.bits(),
        ReportText.orZero(c.sizeRatio()));
  }
}
