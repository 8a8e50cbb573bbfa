package io.lakeloop.common.window;

import io.lakeloop.common.LakeloopException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/**
 * A Spark SQL predicate over table columns, built from typed values and nothing else: the one place
 * where lakeloop writes SQL literals, so a value holding a quote or a backslash (a run id may) is
 * matched as itself. {@code replaceWhere} takes one ({@link
 * io.lakeloop.common.table.Lakehouse#replaceWhere}); {@link #column()} gives the same condition as
 * a {@link Column} for reads. Immutable; building one runs nothing.
 *
 * <p>Literals follow Spark's SQL grammar: a string is single-quoted with {@code \} and {@code '}
 * escaped by a backslash (doubling a quote does not escape it in Spark: {@code 'a''b'} reads as the
 * two literals {@code 'a'} and {@code 'b'} joined, "ab"); dates are {@code DATE 'yyyy-mm-dd'};
 * instants are {@code TIMESTAMP 'yyyy-mm-dd hh:mm:ss'} in UTC, the session time zone lakeloop sets.
 * Column names are lakeloop's own constants and are written as they are.
 */
public final class Predicate {
  /** Matches every row. */
  public static final Predicate ALL = new Predicate("true");

  private final String sql;

  private Predicate(String sql) {
    this.sql = sql;
  }

  /** {@code column = 'value'}. */
  public static Predicate eq(String column, String value) {
    return new Predicate(column + " = " + literal(value));
  }

  /** {@code column = TIMESTAMP '…'} (UTC). */
  public static Predicate eq(String column, Instant value) {
    return new Predicate(column + " = " + literal(value));
  }

  /** {@code column = DATE '…'}. */
  public static Predicate eq(String column, LocalDate value) {
    return new Predicate(column + " = " + literal(value));
  }

  /** {@code column >= DATE '…'}. */
  public static Predicate atLeast(String column, LocalDate value) {
    return new Predicate(column + " >= " + literal(value));
  }

  /** {@code column >= TIMESTAMP '…'} (UTC). */
  public static Predicate atLeast(String column, Instant value) {
    return new Predicate(column + " >= " + literal(value));
  }

  /** {@code column <= DATE '…'}. */
  public static Predicate atMost(String column, LocalDate value) {
    return new Predicate(column + " <= " + literal(value));
  }

  /** {@code column IN (DATE '…', …)}; at least one date. */
  public static Predicate in(String column, Collection<LocalDate> values) {
    return inList(column, values.stream().map(Predicate::literal).toList(), "a date");
  }

  /**
   * {@code column IN (TIMESTAMP '…', …)} (UTC); at least one instant. Spark evaluates a long IN
   * list as one set lookup, where an OR of as many equalities compiles into code that outgrows the
   * JVM's 64 KB method limit (a backfill's hundreds of windows did).
   */
  public static Predicate inInstants(String column, Collection<Instant> values) {
    return inList(column, values.stream().map(Predicate::literal).toList(), "an instant");
  }

  /** {@code column IN (literals)}; refuses an empty list, asking for {@code what}. */
  private static Predicate inList(String column, List<String> literals, String what) {
    if (literals.isEmpty()) {
      throw new LakeloopException("a predicate " + column + " IN () matches nothing; give " + what);
    }
    return new Predicate(column + " IN (" + String.join(", ", literals) + ")");
  }

  /** {@code column LIKE 'prefix%'}, the prefix matched as itself ({@code %} and {@code _} too). */
  public static Predicate startsWith(String column, String prefix) {
    String pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    return new Predicate(column + " LIKE " + literal(pattern));
  }

  /** All of the parts ({@link #ALL} among them adds nothing); {@link #ALL} when none is left. */
  public static Predicate and(Predicate... parts) {
    return join(" AND ", Arrays.stream(parts).filter(p -> !p.equals(ALL)).toList());
  }

  /** Any of the parts; at least one. */
  public static Predicate or(List<Predicate> parts) {
    if (parts.isEmpty()) {
      throw new LakeloopException("an OR of no predicate matches nothing; give one");
    }
    return join(" OR ", parts);
  }

  private static Predicate join(String op, List<Predicate> parts) {
    if (parts.isEmpty()) {
      return ALL;
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    return new Predicate(
        parts.stream().map(p -> "(" + p.sql + ")").collect(Collectors.joining(op)));
  }

  /** The predicate as Spark SQL text (what {@code replaceWhere} takes). */
  public String sql() {
    return sql;
  }

  /** The same condition as a column expression, for reads. */
  public Column column() {
    return functions.expr(sql);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Predicate p && p.sql.equals(sql);
  }

  @Override
  public int hashCode() {
    return sql.hashCode();
  }

  @Override
  public String toString() {
    return sql;
  }

  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  static String literal(LocalDate value) {
    return "DATE '" + value + "'";
  }

  static String literal(Instant value) {
    // Instant.toString is ISO-8601 in UTC ("2026-01-14T00:00:00Z"); Spark reads the same instant
    // from "2026-01-14 00:00:00" in a UTC session.
    return "TIMESTAMP '" + value.toString().replace('T', ' ').replace("Z", "") + "'";
  }
}
