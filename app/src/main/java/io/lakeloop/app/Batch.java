package io.lakeloop.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.spark.Sessions;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * {@code bin/lakeloop batch}: runs many commands in one JVM and one Spark session, so each pays for
 * its own work and not for starting Java and Spark again (25-30 s a command on two cores). It reads
 * one command per line on standard input, a JSON array of the words {@code bin/lakeloop} would get
 * (e.g. {@code ["evaluate", "--date", "2026-01-14"]}), runs it like {@code bin/lakeloop} does (a
 * command without {@code --config} gets the batch's), and answers with one line {@code
 * lakeloop-batch {"exit": n, "stdout": "...", "stderr": "..."}} holding what the command alone
 * would have exited with and printed. Logs still go to the JVM's standard error. The session is
 * built once from the batch's own config: commands that need other Spark settings (another master,
 * {@code lakeloop.spark.*}) belong in a JVM of their own. Used by the test suites; a script that
 * runs many small commands can use it too.
 */
final class Batch {
  static final String COMMAND = "batch";
  static final String HELP =
      "runs commands given one per line on stdin (JSON arrays of words) in one JVM and Spark"
          + " session; answers each with a 'lakeloop-batch {json}' line";
  static final String ANSWER_PREFIX = "lakeloop-batch ";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Batch() {}

  static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    String config = null;
    List<String> sets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        config = args[++i];
      } else if (args[i].equals("--set") && i + 1 < args.length) {
        sets.add(args[++i]);
      } else {
        err.println(
            "lakeloop batch: unknown argument '" + args[i] + "'; batch takes --config and --set");
        return JobLauncher.USER_ERROR;
      }
    }
    SparkSession spark;
    try {
      spark = Sessions.create(ConfigLoader.load(Optional.ofNullable(config).map(Path::of), sets));
    } catch (LakeloopException e) {
      err.println("lakeloop batch: error: " + e.getMessage());
      return JobLauncher.USER_ERROR;
    }
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        out.println(ANSWER_PREFIX + JSON.writeValueAsString(answer(line, config, spark)));
        out.flush();
      }
      return JobLauncher.OK;
    } catch (IOException e) {
      err.println("lakeloop batch: failed reading commands: " + e.getMessage());
      return JobLauncher.FAILED;
    } finally {
      spark.stop();
    }
  }

  /** Runs one command line and says what it exited with and printed. */
  private static Map<String, Object> answer(String line, String config, SparkSession spark) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(stderr, true, StandardCharsets.UTF_8)) {
      exit = command(line, config, spark, o, e);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("exit", exit);
    answer.put("stdout", stdout.toString(StandardCharsets.UTF_8));
    answer.put("stderr", stderr.toString(StandardCharsets.UTF_8));
    return answer;
  }

  private static int command(
      String line, String config, SparkSession spark, PrintStream out, PrintStream err) {
    List<String> words;
    try {
      words = List.of(JSON.readValue(line, String[].class));
    } catch (IOException e) {
      err.println(
          "lakeloop batch: a command is a JSON array of strings, one per line; got: " + line);
      return JobLauncher.USER_ERROR;
    }
    if (words.isEmpty()) {
      err.println("lakeloop batch: an empty command");
      return JobLauncher.USER_ERROR;
    }
    Optional<Job> job = Lakeloop.job(words.get(0));
    if (job.isEmpty()) {
      err.println(
          "lakeloop batch: unknown command '" + words.get(0) + "'; see bin/lakeloop --help");
      return JobLauncher.USER_ERROR;
    }
    List<String> argv = new ArrayList<>(words.subList(1, words.size()));
    if (config != null
        && argv.stream().noneMatch(a -> a.equals("--config") || a.startsWith("--config="))) {
      argv.addAll(0, List.of("--config", config));
    }
    return JobLauncher.launch(job.get(), argv.toArray(new String[0]), spark, out, err);
  }
}
