package io.lakeloop.monitoring.report;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Charts as inline SVG text, drawn here so the report needs no chart library and fetches nothing:
 * line charts (with confidence bands, version markers, dates or numbers on x) and grouped bar
 * charts, each with a title, axis labels, a legend and a tooltip per point. Every chart scales with
 * its container ({@code viewBox}); the raw values of each line are kept in {@code data-values} so
 * tests can check what was drawn. Pure functions of their arguments.
 */
final class Svg {
  static final String[] PALETTE = {
    "#1f6fb4", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#5c940d", "#0b7285", "#e67700"
  };

  private static final int W = 560;
  private static final int H = 300;
  private static final int LEFT = 62;
  private static final int RIGHT = 16;
  private static final int TOP = 48;
  private static final int BOTTOM = 50;
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("MMM d", Locale.ROOT);

  private Svg() {}

  /** One line: points {x, y}, optional band {x, low, high}, optional tooltip per point. */
  record Series(
      String name,
      String color,
      List<double[]> points,
      List<double[]> band,
      List<String> tips,
      boolean dashed) {
    Series(String name, String color, List<double[]> points) {
      this(name, color, points, List.of(), List.of(), false);
    }
  }

  /** A labelled vertical line, e.g. where a model version took over. */
  record Marker(double x, String label) {}

  /** What the x axis shows. */
  enum XAxis {
    NUMBER,
    DATE,
    INTEGER
  }

  /** A line chart; {@code range} = {xmin, xmax, ymin, ymax} fixes the axes (null: fit data). */
  static String lineChart(
      String cssClass,
      String title,
      String xLabel,
      String yLabel,
      XAxis xAxis,
      List<Series> series,
      List<Marker> markers,
      double[] range,
      boolean diagonal) {
    double[] r = range != null ? range.clone() : fit(series, markers);
    StringBuilder sb = open(cssClass, title, H);
    legend(
        sb,
        series.stream().map(Series::name).toList(),
        series.stream().map(Series::color).toList());
    Scale x = new Scale(r[0], r[1], LEFT, W - RIGHT);
    Scale y = new Scale(r[2], r[3], H - BOTTOM, TOP);
    axes(sb, x, y, xAxis, xLabel, yLabel);
    if (diagonal) {
      sb.append(
          String.format(
              Locale.ROOT,
              "<line class=\"reference\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>",
              x.at(r[0]),
              y.at(r[2]),
              x.at(r[1]),
              y.at(r[3])));
    }
    for (Marker m : markers) {
      double px = x.at(m.x());
      sb.append(
          String.format(
              Locale.ROOT,
              "<g class=\"marker\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#333\">%s</text></g>",
              px,
              TOP,
              px,
              H - BOTTOM,
              px + 3,
              TOP + 11,
              Html.escape(m.label())));
    }
    for (Series s : series) {
      if (!s.band().isEmpty()) {
        StringBuilder pts = new StringBuilder();
        for (double[] b : s.band()) {
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(b[0]), y.at(b[2])));
        }
        for (int i = s.band().size() - 1; i >= 0; i--) {
          double[] b = s.band().get(i);
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(b[0]), y.at(b[1])));
        }
        sb.append("<polygon class=\"band\" fill=\"")
            .append(s.color())
            .append("\" fill-opacity=\"0.16\" stroke=\"none\" points=\"")
            .append(pts.toString().trim())
            .append("\"/>");
      }
      StringBuilder pts = new StringBuilder();
      StringBuilder raw = new StringBuilder();
      for (double[] p : s.points()) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(p[0]), y.at(p[1])));
        raw.append(String.format(Locale.ROOT, "%s,%s ", p[0], p[1]));
      }
      sb.append("<polyline class=\"series\" data-series=\"")
          .append(Html.escape(s.name()))
          .append("\" data-values=\"")
          .append(raw.toString().trim())
          .append("\" fill=\"none\" stroke=\"")
          .append(s.color())
          .append("\" stroke-width=\"2\"")
          .append(s.dashed() ? " stroke-dasharray=\"6 3\"" : "")
          .append(" points=\"")
          .append(pts.toString().trim())
          .append("\"/>");
      if (!s.tips().isEmpty() && s.points().size() <= 120) {
        for (int i = 0; i < s.points().size(); i++) {
          double[] p = s.points().get(i);
          sb.append(
              String.format(
                  Locale.ROOT,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s</title></circle>",
                  x.at(p[0]),
                  y.at(p[1]),
                  s.color(),
                  Html.escape(s.tips().get(i))));
        }
      }
    }
    return sb.append("</svg>").toString();
  }

  /** One group of bars per category, one bar per series (values[series][category]). */
  static String barChart(
      String cssClass,
      String title,
      String yLabel,
      List<String> categories,
      List<String> seriesNames,
      double[][] values,
      boolean percent) {
    boolean rotate = categories.size() > 6;
    int bottom = rotate ? BOTTOM + 40 : BOTTOM;
    int h = H + (rotate ? 40 : 0);
    StringBuilder sb = open(cssClass, title, h);
    List<String> colors = new ArrayList<>();
    for (int i = 0; i < seriesNames.size(); i++) {
      colors.add(PALETTE[i % PALETTE.length]);
    }
    legend(sb, seriesNames, colors);
    double max = 0;
    for (double[] v : values) {
      for (double d : v) {
        max = Double.isFinite(d) ? Math.max(max, d) : max;
      }
    }
    Scale y = new Scale(0, max <= 0 ? 1 : max * 1.08, h - bottom, TOP);
    yGrid(sb, y, percent);
    sb.append(axisLines(LEFT, h - bottom));
    sb.append(yTitle(yLabel, h - bottom));
    double group = (double) (W - RIGHT - LEFT) / Math.max(1, categories.size());
    double bar = group * 0.8 / Math.max(1, seriesNames.size());
    for (int c = 0; c < categories.size(); c++) {
      double gx = LEFT + c * group + group * 0.1;
      for (int s = 0; s < seriesNames.size(); s++) {
        double v = values[s][c];
        if (!Double.isFinite(v)) {
          continue;
        }
        double top = y.at(v);
        sb.append(
            String.format(
                Locale.ROOT,
                "<rect class=\"bar\" data-series=\"%s\" data-category=\"%s\" data-value=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>",
                Html.escape(seriesNames.get(s)),
                Html.escape(categories.get(c)),
                v,
                gx + s * bar,
                top,
                Math.max(0.5, bar - 1),
                Math.max(0, (h - bottom) - top),
                colors.get(s),
                Html.escape(
                    seriesNames.get(s)
                        + " · "
                        + categories.get(c)
                        + ": "
                        + (percent ? Html.percent(v) : Html.number(v)))));
      }
      if (categories.size() * seriesNames.size() <= 8) {
        // few bars: print each value above its bar, so close values still read apart
        for (int s = 0; s < seriesNames.size(); s++) {
          double v = values[s][c];
          if (Double.isFinite(v)) {
            sb.append(
                String.format(
                    Locale.ROOT,
                    "<text class=\"bar-value\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">%s</text>",
                    gx + s * bar + bar / 2,
                    y.at(v) - 4,
                    percent ? Html.percent(v) : Html.number(v)));
          }
        }
      }
      double lx = gx + group * 0.4;
      double ly = h - bottom + 14;
      sb.append(
          rotate
              ? String.format(
                  Locale.ROOT,
                  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" fill=\"#444\" transform=\"rotate(-35 %.1f %.1f)\">%s</text>",
                  lx,
                  ly,
                  lx,
                  ly,
                  Html.escape(shorten(categories.get(c))))
              : String.format(
                  Locale.ROOT,
                  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">%s</text>",
                  lx,
                  ly,
                  Html.escape(shorten(categories.get(c)))));
    }
    return sb.append("</svg>").toString();
  }

  private static String shorten(String s) {
    return s.length() <= 18 ? s : s.substring(0, 17) + "…";
  }

  private static StringBuilder open(String cssClass, String title, int height) {
    StringBuilder sb = new StringBuilder();
    sb.append("<svg class=\"chart ")
        .append(cssClass)
        .append("\" viewBox=\"0 0 ")
        .append(W)
        .append(' ')
        .append(height)
        .append("\" role=\"img\" aria-label=\"")
        .append(Html.escape(title))
        .append("\" font-family=\"system-ui, sans-serif\">"); // inline SVG needs no xmlns
    sb.append("<title>").append(Html.escape(title)).append("</title>");
    sb.append("<text class=\"chart-title\" x=\"")
        .append(LEFT)
        .append("\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"#222\">")
        .append(Html.escape(title))
        .append("</text>");
    return sb;
  }

  private static void legend(StringBuilder sb, List<String> names, List<String> colors) {
    double x = LEFT;
    for (int i = 0; i < names.size(); i++) {
      sb.append(
          String.format(
              Locale.ROOT,
              "<g class=\"legend\"><rect x=\"%.1f\" y=\"28\" width=\"12\" height=\"8\" fill=\"%s\"/><text x=\"%.1f\" y=\"36\" font-size=\"11\" fill=\"#333\">%s</text></g>",
              x,
              colors.get(i),
              x + 16,
              Html.escape(names.get(i))));
      x += 28 + 6.5 * names.get(i).length();
    }
  }

  /** Horizontal grid lines with their labels at round values of the y scale. */
  private static void yGrid(StringBuilder sb, Scale y, boolean percent) {
    for (double t : ticks(y.min, y.max)) {
      double py = y.at(t);
      sb.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">%s</text>",
              LEFT,
              py,
              W - RIGHT,
              py,
              LEFT - 6,
              py + 4,
              percent ? Html.percent(t) : Html.tick(t, y.max - y.min)));
    }
  }

  private static void axes(
      StringBuilder sb, Scale x, Scale y, XAxis xAxis, String xLabel, String yLabel) {
    yGrid(sb, y, false);
    List<Double> xt =
        switch (xAxis) {
          case DATE -> dayTicks(x.min, x.max);
          case INTEGER -> integerTicks(x.min, x.max);
          case NUMBER -> ticks(x.min, x.max);
        };
    for (double t : xt) {
      String label =
          xAxis == XAxis.DATE
              ? LocalDate.ofEpochDay(Math.round(t)).format(DAY)
              : xAxis == XAxis.INTEGER ? Long.toString(Math.round(t)) : Html.tick(t, x.max - x.min);
      sb.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">%s</text>",
              x.at(t),
              H - BOTTOM + 16,
              label));
    }
    sb.append(axisLines(LEFT, H - BOTTOM));
    sb.append(
        String.format(
            Locale.ROOT,
            "<text class=\"x-label\" x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">%s</text>",
            (LEFT + W - RIGHT) / 2,
            H - 10,
            Html.escape(xLabel)));
    sb.append(yTitle(yLabel, H - BOTTOM));
  }

  private static String axisLines(int left, int bottom) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>",
        left,
        TOP,
        left,
        bottom,
        left,
        bottom,
        W - RIGHT,
        bottom);
  }

  private static String yTitle(String label, int bottom) {
    int cy = (TOP + bottom) / 2;
    return String.format(
        Locale.ROOT,
        "<text class=\"y-label\" x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\" transform=\"rotate(-90 14 %d)\">%s</text>",
        cy,
        cy,
        Html.escape(label));
  }

  /** Axis ranges that hold every point, band and marker, padded a little. */
  private static double[] fit(List<Series> series, List<Marker> markers) {
    double x0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (double[] p : s.points()) {
        x0 = Math.min(x0, p[0]);
        x1 = Math.max(x1, p[0]);
        y0 = Math.min(y0, p[1]);
        y1 = Math.max(y1, p[1]);
      }
      for (double[] b : s.band()) {
        y0 = Math.min(y0, b[1]);
        y1 = Math.max(y1, b[2]);
      }
    }
    for (Marker m : markers) {
      x0 = Math.min(x0, m.x());
      x1 = Math.max(x1, m.x());
    }
    if (!Double.isFinite(x0)) {
      return new double[] {0, 1, 0, 1};
    }
    if (x1 - x0 < 1e-12) {
      x0 -= 1;
      x1 += 1;
    }
    double pad = (y1 - y0) * 0.08;
    if (pad < 1e-12) {
      pad = Math.max(Math.abs(y0) * 0.05, 0.01);
    }
    return new double[] {x0, x1, y0 - pad, y1 + pad};
  }

  /** About five round ticks inside [min, max]. */
  static List<Double> ticks(double min, double max) {
    List<Double> out = new ArrayList<>();
    double range = max - min;
    if (!(range > 0) || !Double.isFinite(range)) {
      out.add(min);
      return out;
    }
    double raw = range / 5;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = mag * (raw / mag >= 5 ? 5 : raw / mag >= 2 ? 2 : 1);
    for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
      out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
    }
    return out;
  }

  private static List<Double> dayTicks(double min, double max) {
    long days = Math.round(max - min);
    long step = days <= 7 ? 1 : days <= 14 ? 2 : days <= 35 ? 7 : days <= 120 ? 14 : 30;
    List<Double> out = new ArrayList<>();
    for (long d = (long) Math.ceil(min); d <= max; d += step) {
      out.add((double) d);
    }
    return out;
  }

  private static List<Double> integerTicks(double min, double max) {
    long span = Math.round(max - min);
    long step = Math.max(1, (long) Math.ceil(span / 8.0));
    List<Double> out = new ArrayList<>();
    for (long d = (long) Math.ceil(min); d <= max; d += step) {
      out.add((double) d);
    }
    return out;
  }

  /** Maps data values to pixels. */
  private record Scale(double min, double max, double from, double to) {
    double at(double v) {
      return max == min ? (from + to) / 2 : from + (v - min) / (max - min) * (to - from);
    }
  }
}
