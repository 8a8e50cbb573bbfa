package io.lakeloop.monitoring.query;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.cli.Job;
import io.lakeloop.common.cli.JobContext;
import io.lakeloop.common.cli.JobLauncher;
import io.lakeloop.common.cli.JobResult;
import io.lakeloop.common.table.Tables;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code bin/lakeloop query "SQL"}: Spark SQL over the lakehouse, with every existing lakeloop
 * table registered under its own name, printed as a table, CSV or JSON lines. Read-only; prints at
 * most {@code lakeloop.query.max-rows} rows (the driver never holds more).
 */
public final class QueryJob implements Job {
  /** Every lakeloop table: prediction_log and each table whose schema is fixed. */
  static final List<String> TABLES =
      java.util.stream.Stream.concat(
              java.util.stream.Stream.of(Tables.PREDICTION_LOG),
              Tables.FIXED.stream().map(io.lakeloop.common.table.TableSpec::name))
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
    return List.of(Flag.value("format", "table|csv|json", "output format (default table)"));
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
    List<String> registered = new ArrayList<>();
    for (String t : TABLES) {
      if (ctx.lakehouse().exists(t)) {
        ctx.spark().read().format("delta").load(ctx.lakehouse().path(t)).createOrReplaceTempView(t);
        registered.add(t);
      }
    }
    Dataset<Row> result;
    try {
      result = ctx.spark().sql(pos.get(0));
    } catch (Exception e) {
      if (!(e instanceof org.apache.spark.sql.AnalysisException a)) {
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
      throw new LakeloopException(
          "query failed: "
              + a.getSimpleMessage()
              + " (tables in "
              + ctx.lakehouse().root()
              + ": "
              + registered
              + ")",
          e);
    }
    int max = ctx.config().section("query").intAtLeast("max-rows", 1);
    List<Row> rows = result.limit(max + 1).collectAsList();
    boolean truncated = rows.size() > max;
    if (truncated) {
      rows = rows.subList(0, max);
    }
    String format = ctx.args().get("format").orElse("table").toLowerCase(Locale.ROOT);
    String text =
        switch (format) {
          case "table" ->
              ResultFormat.table(result.columns(), rows)
                  + (truncated
                      ? "\n(first " + max + " rows shown; raise lakeloop.query.max-rows for more)"
                      : "");
          case "csv" -> ResultFormat.csv(result.columns(), rows);
          case "json" -> ResultFormat.jsonLines(result.columns(), rows);
          default ->
              throw new LakeloopException(
                  "--format '" + format + "' is not supported; use table, csv or json");
        };
    return new JobResult(text, Map.of("rows", Integer.toString(rows.size())));
  }
}
