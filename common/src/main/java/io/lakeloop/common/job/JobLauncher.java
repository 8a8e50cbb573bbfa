package io.lakeloop.common.job;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.fault.Faults;
import io.lakeloop.common.lock.CommitLocks;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.StorageErrors;
import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link Job} the same way from every entry point (bin/lakeloop, spark-submit, the demo,
 * tests): parse flags, load and validate config before Spark starts, build or reuse the session,
 * record the run in job_runs, run, log one summary line, print the job's output. Exit status: 0
 * success, 2 user error (message says what to fix), 1 unexpected failure, 3 the run succeeded and
 * found drift while asked to fail on it ({@code drift --fail-on-drift}).
 */
public final class JobLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(JobLauncher.class);

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USER_ERROR = 2;
  public static final int ALERT_RAISED = 3;

  private JobLauncher() {}

  /** Entry point for a job's {@code main}: starts (and stops) its own session. */
  public static int launch(Job job, String[] argv) {
    return launch(job, argv, null, System.out, System.err);
  }

  /**
   * Runs a job. With {@code existing} non-null the job uses that session (demo, tests) and does not
   * stop it; the session's warehouse is still taken from the job's config.
   */
  public static int launch(
      Job job, String[] argv, SparkSession existing, PrintStream out, PrintStream err) {
    boolean verbose = false;
    for (String a : argv) {
      verbose |= a.equals("--verbose");
    }
    SparkSession created = null;
    try {
      CliArgs args = CliArgs.parse(job.name(), argv, job.flags(), job.positionalHelp() != null);
      if (args.has("help")) {
        out.print(CliArgs.usage(job.name(), job.description(), job.flags(), job.positionalHelp()));
        return OK;
      }
      LakeloopConfig config = ConfigLoader.load(args.configFile(), args.all("set"));
      if (args.has("model")) {
        config.model(args.get("model").get());
      }
      SparkSession spark = existing;
      long sessionStart = System.nanoTime();
      if (spark == null) {
        spark = created = Sessions.create(config);
        LOG.info("job={} phase=session seconds={}", job.name(), seconds(sessionStart));
      }
      JobResult result = run(job, args, config, spark);
      out.println(result.output());
      return result.exitCode();
    } catch (LakeloopException e) {
      err.println("lakeloop " + job.name() + ": error: " + e.getMessage());
      if (verbose) {
        e.printStackTrace(err);
      }
      return USER_ERROR;
    } catch (Exception | Error e) {
      Optional<String> storage = StorageErrors.explain(e);
      if (storage.isPresent()) {
        err.println("lakeloop " + job.name() + ": error: " + storage.get());
        if (verbose) {
          e.printStackTrace(err);
        }
        return USER_ERROR;
      }
      err.println(
          "lakeloop "
              + job.name()
              + ": failed: "
              + e.getClass().getSimpleName()
              + ": "
              + firstLine(e.getMessage())
              + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
      if (verbose) {
        e.printStackTrace(err);
      }
      return FAILED;
    } finally {
      if (created != null) {
        created.stop();
      }
    }
  }

  /** Runs a job on a session with an already-loaded config, recording it in job_runs. */
  public static JobResult run(Job job, CliArgs args, LakeloopConfig config, SparkSession spark)
      throws Exception {
    job.check(args, config, spark);
    Lakehouse lakehouse = new Lakehouse(spark, config.warehouse(), CommitLocks.of(config));
    Optional<LocalDate> date = args.date();
    String runId = args.get("run-id").orElseGet(() -> defaultRunId(job, args, date));
    checkRunId(runId);
    String model = args.get("model").orElse(null);
    spark
        .sparkContext()
        .setJobGroup(
            "lakeloop:" + job.name() + ":" + runId, "lakeloop " + job.name() + " " + runId, false);
    JobRuns ledger = job.recordsRun() ? new JobRuns(lakehouse) : null;
    Optional<RunMetrics> push = job.recordsRun() ? RunMetrics.configured(config) : Optional.empty();
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    JobRuns.Attempt started0 =
        ledger == null
            ? new JobRuns.Attempt(0, Optional.empty())
            : ledger.start(job.name(), runId, date.orElse(null), model, started);
    int attempt = started0.number();
    JobContext ctx =
        new JobContext(spark, config, lakehouse, args, runId, date, started0.previousSuccess());
    Recorded record =
        new Recorded(ledger, job.name(), runId, date.orElse(null), model, attempt, started);
    long ledgerStarted = System.nanoTime();
    try {
      JobResult result = job.run(ctx);
      Faults.point("ledger.before-finish");
      long ran = System.nanoTime();
      record.finish(ctx, true, result.summary(), null);
      long finished = System.nanoTime();
      push.ifPresent(
          m ->
              m.push(
                  job.name(),
                  pushedModel(ctx),
                  attempt,
                  started,
                  Instant.now(),
                  true,
                  result.gauges()));
      LOG.info(
          "job={} run_id={} status=SUCCEEDED attempt={} seconds={} phases=ledger_start:{},run:{},"
              + "ledger_finish:{} inputs={} outputs={} summary={}",
          job.name(),
          runId,
          attempt,
          seconds(t0),
          span(t0, ledgerStarted),
          span(ledgerStarted, ran),
          span(ran, finished),
          ctx.inputs(),
          ctx.outputs(),
          result.summary());
      return result;
    } catch (Exception | Error e) {
      try {
        record.finish(ctx, false, Map.of(), firstLine(e.getMessage()));
      } catch (RuntimeException ledgerFailure) {
        e.addSuppressed(ledgerFailure);
      }
      push.ifPresent(
          m ->
              m.push(
                  job.name(), pushedModel(ctx), attempt, started, Instant.now(), false, List.of()));
      LOG.info(
          "job={} run_id={} status=FAILED attempt={} error={}",
          job.name(),
          runId,
          attempt,
          firstLine(e.getMessage()));
      throw e;
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }

  /** One attempt of a run as job_runs records it; nothing for a job that records no runs. */
  private record Recorded(
      JobRuns ledger,
      String job,
      String runId,
      LocalDate date,
      String model,
      int attempt,
      Instant started) {
    void finish(JobContext ctx, boolean succeeded, Map<String, String> summary, String error) {
      if (ledger != null) {
        ledger.finish(
            job,
            runId,
            date,
            model,
            attempt,
            started,
            succeeded,
            ctx.inputs(),
            ctx.outputs(),
            summary,
            error);
      }
    }
  }

  /** The model a run's metrics are grouped by: --model, or the configured default. */
  private static String pushedModel(JobContext ctx) {
    try {
      return ctx.model().name();
    } catch (LakeloopException e) {
      return ctx.args().get("model").orElse(null); // an unknown model: the run failed on it
    }
  }

  /** Without --run-id, a run is named by its job and logical date, so a rerun is the same run. */
  static String defaultRunId(Job job, CliArgs args, Optional<LocalDate> date) {
    return job.defaultRunId(args)
        .orElseGet(() -> job.name() + "-" + date.map(LocalDate::toString).orElse("manual"));
  }

  private static void checkRunId(String runId) {
    if (runId.isBlank()
        || runId.length() > 250
        || runId.chars().anyMatch(Character::isISOControl)) {
      throw new LakeloopException(
          "--run-id '" + runId + "' is not usable: give 1-250 printable characters");
    }
  }

  private static String seconds(long since) {
    return span(since, System.nanoTime());
  }

  private static String span(long from, long to) {
    return String.format(Locale.ROOT, "%.2f", (to - from) / 1e9);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
