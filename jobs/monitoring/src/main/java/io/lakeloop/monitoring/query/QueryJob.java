package io.lakeloop.monitoring.query;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
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
public final class QueryJob
    implements StagedJob<QueryJob.Planned, QueryJob.Computed, QueryJob.Outcome> {
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

  /**
   * What a run will do: the statement, the output format, the file to write (empty: print), the
   * user's row limit, and the most rows printed.
   */
  record Planned(
      String sql, String format, Optional<String> output, Optional<Integer> limit, int maxRows) {}

  /**
   * The result, analysed and not run yet; for printing, its first {@code maxRows} rows, collected
   * (empty when it goes to a file), and whether there were more.
   */
  record Computed(Dataset<Row> result, List<Row> rows, boolean truncated) {}

  /** What a run gives: its result and the rows written to the output file (0 when printed). */
  record Outcome(Planned planned, Computed computed, long written) {}

  @Override
  public Planned plan(JobContext ctx) {
    List<String> pos = ctx.args().positional();
    if (pos.size() != 1) {
      throw new LakeloopException(
          "query takes exactly one SQL statement in quotes, e.g. bin/lakeloop query \"select count(*) from prediction_log\"");
    }
    String format = ctx.args().get("format").orElse("table").toLowerCase(Locale.ROOT);
    if (!List.of("table", "csv", "json").contains(format)) {
      throw new LakeloopException(
          "--format '" + format + "' is not supported; use table, csv or json");
    }
    Optional<String> output = ctx.args().get("output");
    if (output.isPresent() && format.equals("table")) {
      throw new LakeloopException("--output writes csv or json: add --format csv or --format json");
    }
    return new Planned(
        pos.get(0),
        format,
        output,
        ctx.args().get("limit").map(l -> positive("--limit", l)),
        ctx.config().section("query").intAtLeast("max-rows", 1));
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    List<String> registered = new ArrayList<>();
    for (String t : TABLES) {
      // Only the tables the statement names: each registration reads that table's Delta log.
      if (names(p.sql(), t) && ctx.lakehouse().exists(t)) {
        ctx.spark().read().format("delta").load(ctx.lakehouse().path(t)).createOrReplaceTempView(t);
        registered.add(t);
      }
    }
    Dataset<Row> result;
    try {
      result = ctx.spark().sql(p.sql());
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
    if (p.limit().isPresent()) {
      result = result.limit(p.limit().get());
    }
    if (p.output().isPresent()) {
      return new Computed(result, List.of(), false);
    }
    int max = p.maxRows();
    List<Row> rows = result.limit(max + 1).collectAsList();
    boolean truncated = rows.size() > max;
    if (truncated && !p.format().equals("table")) {
      throw new LakeloopException(
          "the result has more than "
              + max
              + " rows (lakeloop.query.max-rows) and "
              + p.format()
              + " output is never cut: write every row with --output PATH, or ask for fewer"
              + " with --limit N");
    }
    return new Computed(result, truncated ? rows.subList(0, max) : rows, truncated);
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    long written =
        p.output().isPresent() ? write(ctx, c.result(), p.format(), p.output().get()) : 0;
    return new Outcome(p, c, written);
  }

  @Override
  public JobResult render(Outcome o) {
    Planned p = o.planned();
    Computed c = o.computed();
    if (p.output().isPresent()) {
      return new JobResult(
          "wrote " + o.written() + " row(s) as " + p.format() + " to " + p.output().get(),
          Map.of("rows", Long.toString(o.written()), "output", p.output().get()));
    }
    String[] columns = c.result().columns();
    String text =
        switch (p.format()) {
          case "csv" -> ResultFormat.csv(columns, c.rows());
          case "json" -> ResultFormat.jsonLines(columns, c.rows());
          default ->
              ResultFormat.table(columns, c.rows())
                  + (c.truncated()
                      ? "\n(first "
                          + p.maxRows()
                          + " rows shown; --output PATH writes them all, or raise"
                          + " lakeloop.query.max-rows)"
                      : "");
        };
    return new JobResult(text, Map.of("rows", Integer.toString(c.rows().size())));
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
