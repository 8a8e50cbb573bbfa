package io.lakeloop.common.job;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.notify.Webhook;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import io.prometheus.client.exporter.PushGateway;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes a batch run's outcome to a Prometheus Pushgateway ({@code lakeloop.metrics.pushgateway}):
 * the Prometheus convention for jobs that end before a scrape could reach them. One group per job
 * and model ({@code job="lakeloop_<job>"}, {@code model}); every push adds to its group (HTTP
 * POST), so a failed run updates its status and failure time and keeps the last success's time and
 * headline numbers. A push that fails is logged and never fails the run.
 */
public final class RunMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(RunMetrics.class);
  static final String KEY = "lakeloop.metrics.pushgateway";

  private final URI gateway;
  private final Duration timeout;

  RunMetrics(URI gateway, Duration timeout) {
    this.gateway = gateway;
    this.timeout = timeout;
  }

  /** The Pushgateway the config names, or empty when {@value #KEY} is "". */
  public static Optional<RunMetrics> configured(LakeloopConfig config) {
    Settings s = config.section("metrics");
    String url = s.string("pushgateway").trim();
    if (url.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new RunMetrics(
            Webhook.checkedUrl(KEY, url, "http://pushgateway:9091", "no push"),
            s.duration("push-timeout")));
  }

  /** The Pushgateway's job label of a lakeloop job. */
  public static String jobLabel(String job) {
    return "lakeloop_" + job.replace('-', '_');
  }

  /**
   * Pushes one run's end: status, duration, attempt, the time of this run and of its last success
   * or failure, and on success the job's headline gauges.
   *
   * @param model the model the run was for, or null (the group then has no model label)
   * @return whether the Pushgateway accepted the push
   */
  public boolean push(
      String job,
      String model,
      int attempt,
      Instant started,
      Instant finished,
      boolean succeeded,
      List<JobResult.Gauge> gauges) {
    CollectorRegistry registry = new CollectorRegistry();
    double end = finished.toEpochMilli() / 1000.0;
    gauge(registry, "lakeloop_job_last_run_timestamp_seconds", "When the last run ended.").set(end);
    gauge(
            registry,
            succeeded
                ? "lakeloop_job_last_success_timestamp_seconds"
                : "lakeloop_job_last_failure_timestamp_seconds",
            succeeded ? "When the last successful run ended." : "When the last failed run ended.")
        .set(end);
    gauge(registry, "lakeloop_job_succeeded", "1 when the last run succeeded, 0 when it failed.")
        .set(succeeded ? 1 : 0);
    gauge(registry, "lakeloop_job_duration_seconds", "How long the last run took.")
        .set(Duration.between(started, finished).toMillis() / 1000.0);
    gauge(registry, "lakeloop_job_attempt", "The attempt number of the last run (job_runs).")
        .set(attempt);
    if (succeeded) {
      register(registry, gauges);
    }
    Map<String, String> group = model == null ? Map.of() : Map.of("model", model);
    try {
      PushGateway pg = new PushGateway(gateway.toURL());
      pg.setConnectionFactory(this::connect);
      pg.pushAdd(registry, jobLabel(job), group);
      LOG.info("{}: pushed run metrics to {} (job={}, {})", job, redacted(), jobLabel(job), group);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "{}: could not push run metrics to {} ({}: {}); the run itself is unaffected; check {}",
          job,
          redacted(),
          e.getClass().getSimpleName(),
          e.getMessage(),
          KEY);
      return false;
    }
  }

  private HttpURLConnection connect(String url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setConnectTimeout((int) timeout.toMillis());
    c.setReadTimeout((int) timeout.toMillis());
    return c;
  }

  private static Gauge gauge(CollectorRegistry registry, String name, String help) {
    return Gauge.build().name(name).help(help).register(registry);
  }

  /** A job's gauges, one family per name; a name's values must share their label names. */
  private static void register(CollectorRegistry registry, List<JobResult.Gauge> gauges) {
    Map<String, Gauge> families = new LinkedHashMap<>();
    for (JobResult.Gauge g : gauges) {
      String[] names = g.labels().keySet().toArray(String[]::new);
      Gauge family =
          families.computeIfAbsent(
              g.name(),
              n -> Gauge.build().name(n).help(g.help()).labelNames(names).register(registry));
      family.labels(g.labels().values().toArray(String[]::new)).set(g.value());
    }
  }

  String redacted() {
    return Webhook.redacted(gateway);
  }
}
