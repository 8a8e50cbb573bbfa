package io.lakeloop.common.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a run pushes, as a Pushgateway receives it (an HTTP server on loopback records the requests;
 * tests/test_serving.py pushes to Debian's real Pushgateway and reads it back through Prometheus).
 */
class RunMetricsTest {
  private HttpServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private String serve(int status) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requests.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI().getPath()
                  + "\n"
                  + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static RunMetrics configured(String url) {
    return RunMetrics.configured(
            ConfigLoader.load(
                Optional.empty(), List.of("lakeloop.metrics.pushgateway=\"" + url + "\"")))
        .orElseThrow();
  }

  private static JobResult.Gauge accuracy(String version, double value) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("model_version", version);
    labels.put("metric", "accuracy");
    return new JobResult.Gauge("lakeloop_evaluate_metric", "help", labels, value);
  }

  @Test
  void aSuccessAddsStatusTimesAndHeadlineToTheJobAndModelGroup() throws IOException {
    RunMetrics push = configured(serve(200));
    Instant started = Instant.parse("2026-01-14T03:00:00Z");
    boolean accepted =
        push.push(
            "ingest-served",
            "churn",
            2,
            started,
            started.plusMillis(12_500),
            true,
            List.of(accuracy("3", 0.875), accuracy("4", 0.5)));
    assertThat(accepted).isTrue();
    assertThat(requests).hasSize(1);
    String request = requests.get(0);
    // POST adds to the group: a later failed run keeps this run's success time and numbers.
    assertThat(request).startsWith("POST /metrics/job/lakeloop_ingest_served/model/churn\n");
    assertThat(request)
        .contains("lakeloop_job_succeeded 1.0\n")
        .contains("lakeloop_job_attempt 2.0\n")
        .contains("lakeloop_job_duration_seconds 12.5\n")
        .contains("lakeloop_job_last_success_timestamp_seconds 1.7683596125E9\n")
        .contains("lakeloop_job_last_run_timestamp_seconds 1.7683596125E9\n")
        .contains("lakeloop_evaluate_metric{model_version=\"3\",metric=\"accuracy\",} 0.875\n")
        .contains("lakeloop_evaluate_metric{model_version=\"4\",metric=\"accuracy\",} 0.5\n")
        .doesNotContain("failure");
  }

  @Test
  void aFailurePushesItsStatusAndTimeButNoHeadlineNorSuccessTime() throws IOException {
    RunMetrics push = configured(serve(202));
    Instant t = Instant.parse("2026-01-14T03:00:00Z");
    assertThat(push.push("evaluate", null, 1, t, t, false, List.of(accuracy("3", 0.9)))).isTrue();
    String request = requests.get(0);
    assertThat(request).startsWith("POST /metrics/job/lakeloop_evaluate\n");
    assertThat(request)
        .contains("lakeloop_job_succeeded 0.0\n")
        .contains("lakeloop_job_last_failure_timestamp_seconds 1.7683596E9\n")
        .doesNotContain("lakeloop_job_last_success")
        .doesNotContain("lakeloop_evaluate_metric");
  }

  @Test
  void aGatewayThatRefusesOrIsDownNeverFailsTheRun() throws IOException {
    RunMetrics refusing = configured(serve(500));
    Instant t = Instant.now();
    assertThat(refusing.push("drift", "churn", 1, t, t, true, List.of())).isFalse();
    server.stop(0);
    server = null;
    assertThat(refusing.push("drift", "churn", 1, t, t, true, List.of())).isFalse();
  }

  @Test
  void aBadUrlFailsAtStartNamingTheKeyAndNoneMeansNoPush() {
    assertThatThrownBy(() -> configured("pushgateway:9091"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.metrics.pushgateway")
        .hasMessageContaining("http://pushgateway:9091");
    assertThat(RunMetrics.configured(ConfigLoader.load(Optional.empty(), List.of()))).isEmpty();
  }
}
