package io.lakeloop.monitoring.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;

/**
 * HTML text helpers for the report: escaping, number formats, sortable tables, and the page's
 * inline style and script (no external resource of any kind). Pure.
 */
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

  static final String STYLE =
      """
      :root { --fg:#1d1d1f; --muted:#5f6368; --line:#e3e3e3; --bad:#c92a2a; --ok:#2b8a3e; --bg:#fafafa; }
      * { box-sizing: border-box; }
      [hidden] { display: none !important; }
      body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
      header, main, footer { max-width:1280px; margin:0 auto; padding:0 16px; }
      header { padding-top:16px; }
      h1 { font-size:22px; margin:8px 0 4px; }
      h2 { font-size:18px; margin:28px 0 8px; border-bottom:1px solid var(--line); padding-bottom:4px; }
      h3 { font-size:15px; margin:16px 0 6px; }
      .sub, .note { color:var(--muted); }
      .note { font-size:12.5px; }
      nav a { margin-right:12px; color:#1f6fb4; text-decoration:none; }
      .cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:12px; }
      .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
      .card h3 { margin:0 0 6px; font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
      .big { font-size:22px; font-weight:600; }
      .grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(340px, 1fr)); gap:12px; }
      .grid > figure, .panel { margin:0; background:#fff; border:1px solid var(--line); border-radius:8px; padding:6px; }
      svg.chart { width:100%; height:auto; display:block; }
      .scroll { overflow:auto; max-height:560px; background:#fff; border:1px solid var(--line); border-radius:8px; }
      table { border-collapse:collapse; width:100%; font-size:13px; }
      th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
      td.num { text-align:right; font-variant-numeric:tabular-nums; }
      th { background:#f1f3f5; position:sticky; top:0; cursor:pointer; user-select:none; }
      th[aria-sort="ascending"]::after { content:" ▲"; }
      th[aria-sort="descending"]::after { content:" ▼"; }
      tr.drifted td, .bad { color:var(--bad); }
      .ok { color:var(--ok); }
      .pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; background:#eef2f6; }
      .pill.bad { background:#fde8e8; } .pill.ok { background:#e6f4ea; }
      .controls { margin:8px 0; display:flex; flex-wrap:wrap; gap:12px; align-items:center; }
      select { font:inherit; padding:3px 6px; }
      ul.reasons { margin:4px 0 0; padding-left:18px; }
      code { font-size:12.5px; background:#f1f3f5; padding:0 3px; border-radius:3px; word-break:break-all; }
      footer { padding-bottom:32px; }
      @media (max-width:600px) {
        body { font-size:13px; }
        .grid { grid-template-columns:1fr; }
        h1 { font-size:19px; }
        th, td { padding:4px 5px; }
      }
      """;

  /**
   * Sorting of every table.sortable, the view selectors ({@code select[data-views]} shows the
   * elements whose {@code data-view} equals the chosen value) and the "only drifted" filter.
   */
  static final String SCRIPT =
      """
      (function () {
        function key(td) {
          var v = td.getAttribute('data-v');
          return v === null ? td.textContent.trim().toLowerCase() : parseFloat(v);
        }
        document.querySelectorAll('table.sortable').forEach(function (table) {
          var heads = table.querySelectorAll('th');
          heads.forEach(function (th, col) {
            th.addEventListener('click', function () {
              var asc = th.getAttribute('aria-sort') !== 'ascending';
              heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
              th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
              var body = table.tBodies[0];
              var rows = Array.prototype.slice.call(body.rows);
              rows.sort(function (a, b) {
                var x = key(a.cells[col]), y = key(b.cells[col]);
                if (typeof x !== typeof y) { x = String(x); y = String(y); }
                return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
              });
              rows.forEach(function (r) { body.appendChild(r); });
            });
          });
          table.setAttribute('data-sortable', 'ready');
        });
        document.querySelectorAll('select[data-views]').forEach(function (select) {
          var group = select.getAttribute('data-views');
          function show() {
            document.querySelectorAll('[data-view-group="' + group + '"]').forEach(function (el) {
              el.hidden = el.getAttribute('data-view') !== select.value;
            });
          }
          select.addEventListener('change', show);
          show();
        });
        var only = document.getElementById('only-drifted');
        if (only) {
          only.addEventListener('change', function () {
            document.querySelectorAll('#drift-table tbody tr').forEach(function (tr) {
              tr.hidden = only.checked && !tr.classList.contains('drifted');
            });
          });
        }
        document.body.setAttribute('data-ready', '1');
      })();
      """;
}
