package io.lakeloop.monitoring.query;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.cli.Job;
import io.lakeloop.common.cli.JobContext;
import io.lakeloop.common.cli.JobLauncher;
import io.lakeloop.common.cli.JobResult;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code bin/lakeloop query "SQL"}: Spark SQL over the lakehouse, with the lakeloop tables the
 * statement names registered under their own names, printed as a table, CSV or JSON lines.
 * Read-only. On the terminal it prints at most {@code lakeloop.query.max-rows} rows (the driver
 * never holds more): the table format says when it cut, and CSV or JSON, which scripts read, are
 * never cut silently — a larger result fails and names {@code --output PATH} (every row, streamed a
 * partition at a time to a file on local disk or {@code s3a://}) and {@code --limit N}.
 */
public final class QueryJob implements Job {
  /** Every lakeloop table: prediction_log and each table whose schema is fixed. */
  static final List<String> TABLES =
      Stream.concat(Stream.of(Tables.PREDICTION_LOG), Tables.FIXED.stream().map(TableSpec::name))
          .toList();

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new QueryJob(), args));
  }

  @Override
  public String name() {
    return "query";
  }

  @Override
  public String description() {
    return "Run Spark SQL over the lakehouse tables ("
        + String.join(", ", TABLES)
        + "), each registered under its name.";
  }

  @Override
  public List<Flag> flags() {
    return List.of(
        Flag.value("format", "table|csv|json", "output format (default table)"),
        Flag.value("limit", "N", "return at most N rows (the query's own LIMIT)"),
        Flag.value(
            "output",
            "PATH",
            "write every row of the result to PATH (csv or json; local or s3a://) instead of"
                + " printing it"));
  }

  @Override
  public String positionalHelp() {
    return "\"SQL\"";
  }

  @Override
  public boolean recordsRun() {
    return false;
  }

  @Override
  public JobResult run(JobContext ctx) {
    List<String> pos = ctx.args().positional();
    if (pos.size() != 1) {
      throw new LakeloopException(
          "query takes exactly one SQL statement in quotes, e.g. bin/lakeloop query \"select count(*) from prediction_log\"");
    }
    String sql = pos.get(0);
    String format = ctx.args().get("format").orElse("table").toLowerCase(Locale.ROOT);
    if (!List.of("table", "csv", "json").contains(format)) {
      throw new LakeloopException(
          "--format '" + format + "' is not supported; use table, csv or json");
    }
    Optional<String> output = ctx.args().get("output");
    if (output.isPresent() && format.equals("table")) {
      throw new LakeloopException("--output writes csv or json: add --format csv or --format json");
    }
    List<String> registered = new ArrayList<>();
    for (String t : TABLES) {
      // Only the tables the statement names: each registration reads that table's Delta log.
      if (names(sql, t) && ctx.lakehouse().exists(t)) {
        ctx.spark().read().format("delta").load(ctx.lakehouse().path(t)).createOrReplaceTempView(t);
        registered.add(t);
      }
    }
    Dataset<Row> result;
    try {
      result = ctx.spark().sql(sql);
    } catch (Exception e) {
      if (!(e instanceof AnalysisException a)) {
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
      throw new LakeloopException(
          "query failed: "
              + a.getSimpleMessage()
              + " (lakeloop tables it names in "
              + ctx.lakehouse().root()
              + ": "
              + registered
              + "; all of them: "
              + TABLES
              + ")",
          e);
    }
    Optional<String> limit = ctx.args().get("limit");
    if (limit.isPresent()) {
      result = result.limit(positive("--limit", limit.get()));
    }
    if (output.isPresent()) {
      long written = write(ctx, result, format, output.get());
      return new JobResult(
          "wrote " + written + " row(s) as " + format + " to " + output.get(),
          Map.of("rows", Long.toString(written), "output", output.get()));
    }
    int max = ctx.config().section("query").intAtLeast("max-rows", 1);
    List<Row> rows = result.limit(max + 1).collectAsList();
    boolean truncated = rows.size() > max;
    if (truncated && !format.equals("table")) {
      throw new LakeloopException(
          "the result has more than "
              + max
              + " rows (lakeloop.query.max-rows) and "
              + format
              + " output is never cut: write every row with --output PATH, or ask for fewer"
              + " with --limit N");
    }
    if (truncated) {
      rows = rows.subList(0, max);
    }
    String text =
        switch (format) {
          case "csv" -> ResultFormat.csv(result.columns(), rows);
          case "json" -> ResultFormat.jsonLines(result.columns(), rows);
          default ->
              ResultFormat.table(result.columns(), rows)
                  + (truncated
                      ? "\n(first "
                          + max
                          + " rows shown; --output PATH writes them all, or raise"
                          + " lakeloop.query.max-rows)"
                      : "");
        };
    return new JobResult(text, Map.of("rows", Integer.toString(rows.size())));
  }

  /** Whether the statement names the table (as a whole word; case-insensitive like Spark SQL). */
  static boolean names(String sql, String table) {
    return Pattern.compile("(?i)(?<![A-Za-z0-9_])" + Pattern.quote(table) + "(?![A-Za-z0-9_])")
        .matcher(sql)
        .find();
  }

  private static int positive(String flag, String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new LakeloopException(flag + " '" + value + "' is not a number of rows (0 or more)");
  }

  /**
   * Streams every row to {@code path} through Hadoop's FileSystem: the driver holds one partition
   * at a time ({@code toLocalIterator}), never the whole result. Returns the rows written.
   */
  private static long write(JobContext ctx, Dataset<Row> result, String format, String path) {
    Path target = new Path(path);
    long n = 0;
    try {
      FileSystem fs = target.getFileSystem(ctx.spark().sparkContext().hadoopConfiguration());
      try (Writer w =
          new BufferedWriter(
              new OutputStreamWriter(fs.create(target, true), StandardCharsets.UTF_8))) {
        if (format.equals("csv")) {
          w.write(ResultFormat.csvHeader(result.columns()));
        }
        Iterator<Row> rows = result.toLocalIterator();
        while (rows.hasNext()) {
          Row r = rows.next();
          w.write(format.equals("csv") ? ResultFormat.csvLine(r) : r.json() + "\n");
          n++;
        }
      }
    } catch (IOException e) {
      throw new LakeloopException(
          "cannot write the query's result to " + path + ": " + e.getMessage(), e);
    }
    return n;
  }
}
