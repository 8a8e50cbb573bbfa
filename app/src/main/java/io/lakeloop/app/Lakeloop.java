package io.lakeloop.app;

import io.lakeloop.app.demo.DemoJob;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.modeling.compress.CompressJob;
import io.lakeloop.modeling.registry.RegistryJob;
import io.lakeloop.modeling.score.ScoreJob;
import io.lakeloop.modeling.train.TrainJob;
import io.lakeloop.modeling.tune.TuneJob;
import io.lakeloop.monitoring.drift.ConstraintsJob;
import io.lakeloop.monitoring.drift.DriftJob;
import io.lakeloop.monitoring.evaluate.EvaluateJob;
import io.lakeloop.monitoring.generate.GenerateJob;
import io.lakeloop.monitoring.ingest.IngestJob;
import io.lakeloop.monitoring.ingest.IngestServedJob;
import io.lakeloop.monitoring.query.QueryJob;
import io.lakeloop.monitoring.report.ReportJob;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code bin/lakeloop} dispatcher and the registry of its commands (what {@code --help} lists):
 * maps a command to its job. Each job also has its own main class for spark-submit; this one only
 * saves typing class names locally.
 */
public final class Lakeloop {
  private static final Map<String, Job> JOBS = new LinkedHashMap<>();

  static {
    for (Job j :
        new Job[] {
          new DemoJob(),
          new GenerateJob(),
          new IngestJob(),
          new IngestServedJob(),
          new EvaluateJob(),
          new DriftJob(),
          new ConstraintsJob(),
          new TuneJob(),
          new TrainJob(),
          new RegistryJob(),
          new CompressJob(),
          new ScoreJob(),
          new ReportJob(),
          new QueryJob()
        }) {
      JOBS.put(j.name(), j);
    }
  }

  /** Run by bin/lakeloop from the serving module (no Spark); listed here for --help. */
  static final String SERVE = "serve";

  static final String SERVE_HELP =
      "Serve a published model over HTTP (hot swap, traffic logged for ingest-served,"
          + " Prometheus metrics); no Spark.";

  private Lakeloop() {}

  public static void main(String[] args) {
    System.exit(dispatch(args));
  }

  static int dispatch(String[] args) {
    if (args.length == 0
        || args[0].equals("--help")
        || args[0].equals("-h")
        || args[0].equals("help")) {
      System.out.print(help());
      return args.length == 0 ? JobLauncher.USER_ERROR : JobLauncher.OK;
    }
    String command = args[0];
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (command.equals(Batch.COMMAND)) {
      return Batch.run(rest, System.in, System.out, System.err);
    }
    if (command.equals(SERVE)) {
      System.err.println(
          "lakeloop: serve runs without Spark, from the serving module's classpath: use"
              + " bin/lakeloop serve (or java -cp <serving classpath> io.lakeloop.serving.Serve)");
      return JobLauncher.USER_ERROR;
    }
    Job job = JOBS.get(command);
    if (job != null) {
      return JobLauncher.launch(job, rest);
    }
    System.err.println("lakeloop: unknown command '" + command + "'; see bin/lakeloop --help");
    return JobLauncher.USER_ERROR;
  }

  /** The job a command names, if there is one. */
  static Optional<Job> job(String command) {
    return Optional.ofNullable(JOBS.get(command));
  }

  static String help() {
    StringBuilder sb =
        new StringBuilder(
            "usage: bin/lakeloop <command> [flags]   (bin/lakeloop <command> --help for its flags)\n\ncommands:\n");
    JOBS.values()
        .forEach(
            j ->
                sb.append(String.format("  %-13s %s%n", j.name(), firstSentence(j.description()))));
    sb.append(String.format("  %-13s %s%n", Batch.COMMAND, Batch.HELP));
    sb.append(String.format("  %-13s %s%n", SERVE, SERVE_HELP));
    sb.append(
        "\ncommon flags: --config FILE, --set key=value (repeatable), --date YYYY-MM-DD, --run-id ID, --model NAME, --verbose\n");
    return sb.toString();
  }

  private static String firstSentence(String s) {
    int dot = s.indexOf(". ");
    return dot < 0 ? s : s.substring(0, dot + 1);
  }
}
