package io.lakeloop.common.job;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a job run produced: the text the CLI prints, a small summary (counts, versions) recorded in
 * job_runs and logged as one structured line, and the headline numbers pushed to a Prometheus
 * Pushgateway when one is configured. Immutable.
 *
 * @param output text printed to stdout by the CLI (the command's own output)
 * @param summary key/value facts for the ledger and the log
 * @param exitCode the command's exit status: {@link JobLauncher#OK}, or a job's own status for a
 *     run that succeeded but found what its caller asked to be told about (drift's {@link
 *     JobLauncher#ALERT_RAISED})
 * @param gauges the run's headline numbers as Prometheus gauges (evaluate's latest metrics, drift's
 *     drifted share); empty for most jobs
 */
public record JobResult(
    String output, Map<String, String> summary, int exitCode, List<Gauge> gauges) {
  public JobResult {
    summary = Map.copyOf(new LinkedHashMap<>(summary));
    gauges = List.copyOf(gauges);
  }

  public JobResult(String output, Map<String, String> summary, int exitCode) {
    this(output, summary, exitCode, List.of());
  }

  public JobResult(String output, Map<String, String> summary) {
    this(output, summary, JobLauncher.OK);
  }

  /** This result with these headline numbers. */
  public JobResult withGauges(List<Gauge> more) {
    return new JobResult(output, summary, exitCode, more);
  }

  /**
   * One value of a Prometheus gauge. Every value of one name must have the same label names; the
   * job and model are not labels here (the push groups by them).
   *
   * @param name the metric name, {@code lakeloop_<job>_...}
   * @param help what it measures, as Prometheus' HELP line says it
   * @param labels label names to values, in a fixed order
   */
  public record Gauge(String name, String help, Map<String, String> labels, double value) {
    public Gauge {
      labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }
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
