package io.lakeloop.monitoring.query;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;
import scala.collection.Map;
import scala.collection.Seq;

/** Renders query results for the terminal: aligned table, RFC 4180 CSV or JSON lines. Pure. */
final class ResultFormat {
  private ResultFormat() {}

  static String table(String[] columns, List<Row> rows) {
    List<String[]> cells = new ArrayList<>();
    cells.add(columns);
    for (Row r : rows) {
      String[] c = new String[columns.length];
      for (int i = 0; i < columns.length; i++) {
        c[i] = text(r.get(i));
      }
      cells.add(c);
    }
    int[] width = new int[columns.length];
    for (String[] c : cells) {
      for (int i = 0; i < c.length; i++) {
        width[i] = Math.max(width[i], c[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int r = 0; r < cells.size(); r++) {
      String[] c = cells.get(r);
      for (int i = 0; i < c.length; i++) {
        sb.append(i == 0 ? "" : " | ")
            .append(String.format("%-" + Math.max(1, width[i]) + "s", c[i]));
      }
      sb.append('\n');
      if (r == 0) {
        for (int i = 0; i < c.length; i++) {
          sb.append(i == 0 ? "" : "-+-").append("-".repeat(Math.max(1, width[i])));
        }
        sb.append('\n');
      }
    }
    sb.append("(").append(rows.size()).append(rows.size() == 1 ? " row)" : " rows)");
    return sb.toString();
  }

  static String csv(String[] columns, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    appendCsvLine(sb, List.of(columns));
    for (Row r : rows) {
      sb.append(csvLine(r));
    }
    return sb.toString().stripTrailing();
  }

  /** The CSV header line of a result, with its line break. */
  static String csvHeader(String[] columns) {
    StringBuilder sb = new StringBuilder();
    appendCsvLine(sb, List.of(columns));
    return sb.toString();
  }

  /** One row as a CSV line, with its line break. */
  static String csvLine(Row r) {
    List<String> c = new ArrayList<>();
    for (int i = 0; i < r.length(); i++) {
      c.add(r.isNullAt(i) ? "" : text(r.get(i)));
    }
    StringBuilder sb = new StringBuilder();
    appendCsvLine(sb, c);
    return sb.toString();
  }

  private static void appendCsvLine(StringBuilder sb, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      String v = cells.get(i);
      if (v.contains(",") || v.contains("\"") || v.contains("\n")) {
        v = "\"" + v.replace("\"", "\"\"") + "\"";
      }
      sb.append(i == 0 ? "" : ",").append(v);
    }
    sb.append('\n');
  }

  static String jsonLines(String[] columns, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    for (Row r : rows) {
      sb.append(r.json()).append('\n');
    }
    return sb.toString().stripTrailing();
  }

  private static String text(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof Seq<?> seq) {
      return JavaConverters.seqAsJavaList(seq).toString();
    }
    if (v instanceof Map<?, ?> m) {
      return JavaConverters.mapAsJavaMap(m).toString();
    }
    return v.toString();
  }
}
