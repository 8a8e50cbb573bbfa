package io.lakeloop.monitoring.report;

import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.monitoring.report.ReportData.MetricPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * The report's PNG summary (1200 x 630, for a chat message or a dashboard tile), drawn with Java2D
 * in headless mode: the champion, open alerts, the last gate decision, and daily accuracy of all
 * rows per model version. A pure function of {@link ReportData}.
 */
final class SummaryImage {
  static final int WIDTH = 1200;
  static final int HEIGHT = 630;

  private SummaryImage() {}

  static byte[] render(ReportData d) {
    System.setProperty("java.awt.headless", "true");
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(new Color(0xfafafa));
      g.fillRect(0, 0, WIDTH, HEIGHT);
      g.setColor(new Color(0x1d1d1f));
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 34));
      g.drawString(d.model() + " — model health as of " + d.asOf(), 40, 60);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 20));
      Optional<ModelRegistry.Entry> champion = d.champion();
      g.drawString(
          "Champion: "
              + champion
                  .map(c -> c.ref() + " (" + c.format() + ", " + Html.bytes(c.sizeBytes()) + ")")
                  .orElse("none"),
          40,
          100);
      g.setColor(d.alerts().isEmpty() ? new Color(0x2b8a3e) : new Color(0xc92a2a));
      g.drawString(
          "Open drift alerts: "
              + d.alerts().size()
              + (d.alerts().isEmpty()
                  ? ""
                  : " (" + String.join(", ", d.alerts().get(0).columns()) + ")"),
          40,
          130);
      g.setColor(new Color(0x1d1d1f));
      String gate =
          d.gate().isEmpty()
              ? "none yet"
              : d.gate().stream()
                      .filter(c -> c.runId().equals(d.gate().get(0).runId()) && c.winner())
                      .findFirst()
                      .map(c -> "blessed " + c.candidate())
                      .orElse("nothing blessed")
                  + " (run "
                  + d.gate().get(0).runId()
                  + ")";
      g.drawString("Last gate decision: " + gate, 40, 160);
      chart(g, d, 40, 190, WIDTH - 80, HEIGHT - 230);
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Daily accuracy over all rows, one line per version, with the y range fitted. */
  private static void chart(Graphics2D g, ReportData d, int x, int y, int w, int h) {
    Map<String, List<MetricPoint>> byVersion = new TreeMap<>(ReportText::versionOrder);
    for (MetricPoint p : d.metrics()) {
      if (p.granularity().equals(ReportReader.DAY)
          && p.sliceKey().equals("*")
          && p.metric().equals("accuracy")
          && p.value() != null
          && Double.isFinite(p.value())) {
        byVersion.computeIfAbsent(p.version(), k -> new ArrayList<>()).add(p);
      }
    }
    g.setColor(Color.WHITE);
    g.fillRect(x, y, w, h);
    g.setColor(new Color(0xe3e3e3));
    g.drawRect(x, y, w, h);
    g.setColor(new Color(0x1d1d1f));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString("Daily accuracy (all rows) by model version", x + 16, y + 28);
    if (byVersion.isEmpty()) {
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
      g.drawString("no evaluated day yet", x + 16, y + 60);
      return;
    }
    double x0 = Double.MAX_VALUE;
    double x1 = -Double.MAX_VALUE;
    double y0 = Double.MAX_VALUE;
    double y1 = -Double.MAX_VALUE;
    for (List<MetricPoint> ps : byVersion.values()) {
      for (MetricPoint p : ps) {
        x0 = Math.min(x0, p.window().toEpochDay());
        x1 = Math.max(x1, p.window().toEpochDay());
        y0 = Math.min(y0, p.value());
        y1 = Math.max(y1, p.value());
      }
    }
    if (x1 == x0) {
      x1 = x0 + 1;
    }
    double pad = Math.max((y1 - y0) * 0.1, 0.01);
    y0 -= pad;
    y1 += pad;
    int left = x + 70;
    int right = x + w - 20;
    int top = y + 50;
    int bottom = y + h - 40;
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    for (double t : Svg.ticks(y0, y1)) {
      int py = (int) Math.round(bottom - (t - y0) / (y1 - y0) * (bottom - top));
      g.setColor(new Color(0xeeeeee));
      g.drawLine(left, py, right, py);
      g.setColor(new Color(0x444444));
      g.drawString(Html.tick(t, y1 - y0), x + 12, py + 5);
    }
    g.drawString(LocalDate.ofEpochDay((long) x0).toString(), left, bottom + 24);
    String last = LocalDate.ofEpochDay((long) x1).toString();
    g.drawString(last, right - g.getFontMetrics().stringWidth(last), bottom + 24);
    int legendX = left + 420;
    for (Map.Entry<String, List<MetricPoint>> e : byVersion.entrySet()) {
      Color c = Color.decode(ReportText.versionColor(d, e.getKey()));
      g.setColor(c);
      g.setStroke(new BasicStroke(3f));
      Path2D.Double path = new Path2D.Double();
      boolean first = true;
      for (MetricPoint p : e.getValue()) {
        double px = left + (p.window().toEpochDay() - x0) / (x1 - x0) * (right - left);
        double py = bottom - (p.value() - y0) / (y1 - y0) * (bottom - top);
        if (first) {
          path.moveTo(px, py);
          first = false;
        } else {
          path.lineTo(px, py);
        }
        g.fillOval((int) px - 4, (int) py - 4, 8, 8);
      }
      g.draw(path);
      g.fillRect(legendX, y + 16, 18, 10);
      g.setColor(new Color(0x333333));
      g.drawString(String.format(Locale.ROOT, "v%s", e.getKey()), legendX + 24, y + 27);
      legendX += 80;
    }
  }
}
