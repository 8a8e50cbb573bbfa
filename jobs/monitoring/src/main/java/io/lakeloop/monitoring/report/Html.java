package io.lakeloop.monitoring.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;

/** HTML text helpers for the report: escaping, number formats and sortable tables. Pure. */
final class Html {
  private Html() {}

  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /** A value for people: thousands separated, 4 significant digits below 1,000, "–" for none. */
  static String number(Double v) {
    if (v == null || v.isNaN()) {
      return "–";
    }
    if (v.isInfinite()) {
      return v > 0 ? "∞" : "-∞";
    }
    double a = Math.abs(v);
    if (a >= 1000 || (a == Math.rint(a) && a >= 1)) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a == 0) {
      return "0";
    }
    if (a < 1e-3) {
      return String.format(Locale.ROOT, "%.2e", v);
    }
    return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
  }

  static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f %%", share * 100);
  }

  static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
  }

  /** A tick label with just enough decimals for ticks {@code range / 5} apart. */
  static String tick(double t, double range) {
    int decimals = range <= 0 ? 2 : Math.max(0, (int) Math.ceil(-Math.log10(range / 5)));
    if (Math.abs(t) >= 10000) {
      return String.format(Locale.ROOT, "%,.0f", t);
    }
    return String.format(Locale.ROOT, "%." + Math.min(decimals, 6) + "f", t);
  }

  /**
   * A sortable table: a click on a header sorts by that column (numbers by value). Cells are {@link
   * Cell}s; the table gets {@code id} and the class {@code sortable}.
   */
  static String table(
      String id, List<String> headers, List<List<Cell>> rows, String rowClassColumn) {
    StringBuilder sb = new StringBuilder();
    sb.append("<div class=\"scroll\"><table class=\"sortable\" id=\"")
        .append(escape(id))
        .append("\">");
    sb.append("<thead><tr>");
    for (String h : headers) {
      sb.append("<th scope=\"col\">").append(escape(h)).append("</th>");
    }
    sb.append("</tr></thead><tbody>");
    for (List<Cell> row : rows) {
      String cls = "";
      if (rowClassColumn != null) {
        for (Cell c : row) {
          if (c.rowClass() != null) {
            cls = " class=\"" + escape(c.rowClass()) + "\"";
          }
        }
      }
      sb.append("<tr").append(cls).append('>');
      for (Cell c : row) {
        sb.append("<td");
        if (c.sortValue() != null) {
          sb.append(" data-v=\"").append(c.sortValue()).append('"');
        }
        if (c.numeric()) {
          sb.append(" class=\"num\"");
        }
        sb.append('>').append(c.html()).append("</td>");
      }
      sb.append("</tr>");
    }
    return sb.append("</tbody></table></div>").toString();
  }

  /** A table cell: its HTML, a numeric sort key (or null), and a class for its row (or null). */
  record Cell(String html, Double sortValue, boolean numeric, String rowClass) {
    static Cell text(String s) {
      return new Cell(escape(s), null, false, null);
    }

    static Cell num(Double v) {
      return new Cell(number(v), v == null || v.isNaN() ? null : v, true, null);
    }

    static Cell html(String html) {
      return new Cell(html, null, false, null);
    }

    Cell rowClass(String c) {
      return new Cell(html, sortValue, numeric, c);
    }
  }
}
