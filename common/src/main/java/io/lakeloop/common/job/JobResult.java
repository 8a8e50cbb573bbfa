package io.lakeloop.common.job;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a job run produced: the text the CLI prints, and a small summary (counts, versions) recorded
 * in job_runs and logged as one structured line. Immutable.
 *
 * @param output text printed to stdout by the CLI (the command's own output)
 * @param summary key/value facts for the ledger and the log
 * @param exitCode the command's exit status: {@link JobLauncher#OK}, or a job's own status for a
 *     run that succeeded but found what its caller asked to be told about (drift's {@link
 *     JobLauncher#ALERT_RAISED})
 */
public record JobResult(String output, Map<String, String> summary, int exitCode) {
  public JobResult {
    summary = Map.copyOf(new LinkedHashMap<>(summary));
  }

  public JobResult(String output, Map<String, String> summary) {
    this(output, summary, JobLauncher.OK);
  }

  /** The result of a run that an earlier attempt already completed: its summary, unchanged. */
  public static JobResult alreadyDone(String job, String runId, Map<String, String> previous) {
    return new JobResult(
        job + ": run " + runId + " already succeeded; nothing to do (" + previous + ")", previous);
  }

  public static JobResult of(String output) {
    return new JobResult(output, Map.of());
  }
}
