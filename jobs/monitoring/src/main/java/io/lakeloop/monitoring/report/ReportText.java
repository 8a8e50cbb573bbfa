package io.lakeloop.monitoring.report;

import io.lakeloop.monitoring.report.ReportData.MetricPoint;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the report names and orders what it shows: metric names and axis labels, windows, views,
 * versions and their colors, intervals. Shared by the page's sections and the PNG summary.
 */
final class ReportText {
  static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("MMM d", Locale.ROOT);
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** People's names and axis labels of the usual metrics; others show their own name. */
  static final Map<String, String[]> METRICS =
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

  // ---------------------------------------------------------------- helpers

  static String viewKey(MetricPoint p) {
    return p.granularity() + "|" + p.sliceKey() + "|" + p.sliceValue();
  }

  static String viewLabel(MetricPoint p) {
    return p.granularity()
        + " · "
        + (p.sliceKey().equals("*") ? "all rows" : p.sliceKey() + " = " + p.sliceValue());
  }

  static int granularityOrder(String a, String b) {
    return Long.compare(granularityDays(a), granularityDays(b));
  }

  static long granularityDays(String g) {
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

  static Set<String> allVersions(ReportData d) {
    Set<String> out = new TreeSet<>();
    d.metrics().forEach(p -> out.add(p.version()));
    d.registry().forEach(e -> out.add(Integer.toString(e.version())));
    d.curves().ifPresent(c -> c.versions().forEach(v -> out.add(v.version())));
    return out;
  }

  /** A version's color in every chart of the page and in the PNG summary. */
  static String versionColor(ReportData d, String version) {
    List<String> versions = new ArrayList<>(allVersions(d));
    versions.sort(ReportText::versionOrder);
    return color(versions, version);
  }

  /** The legend name of a quality rule's bound line starts with this, then the rule's name. */
  static final String BOUND = "bound: ";

  /** The color of rule bounds, apart from the versions' palette. */
  static final String BOUND_COLOR = "#7f7f7f";

  /** A version keeps its color in every chart of the page. */
  static String color(List<String> versions, String version) {
    int i = versions.indexOf(version);
    return Svg.PALETTE[Math.floorMod(i < 0 ? version.hashCode() : i, Svg.PALETTE.length)];
  }

  static String name(String metric) {
    String[] n = METRICS.get(metric);
    return n == null ? metric : n[0];
  }

  static String axis(String metric) {
    String[] n = METRICS.get(metric);
    return n == null ? metric : n[1];
  }

  static String interval(MetricPoint p) {
    return Html.escape(intervalText(p));
  }

  static String intervalText(MetricPoint p) {
    return p.ciLow() == null || p.ciHigh() == null
        ? ""
        : " [" + Html.number(p.ciLow()) + ", " + Html.number(p.ciHigh()) + "]";
  }

  static double orZero(Double v) {
    return v == null ? 0 : v;
  }

  private ReportText() {}
}
