package io.lakeloop.serving;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The server's metrics, in the official Prometheus Java client, exposed on {@code GET /metrics} in
 * Prometheus' text format. Names are declared here once; README "Serving" and the Grafana dashboard
 * use them.
 */
final class ServeMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  private final Counter requests =
      Counter.builder()
          .name("lakeloop_serve_requests_total")
          .help("HTTP requests answered, by endpoint, model version (empty when none) and status")
          .labelNames("endpoint", "model", "version", "status")
          .register(registry);
  private final Counter predictions =
      Counter.builder()
          .name("lakeloop_serve_predictions_total")
          .help("predictions answered, by model and version")
          .labelNames("model", "version")
          .register(registry);
  private final Histogram latency =
      Histogram.builder()
          .name("lakeloop_serve_request_seconds")
          .help("time from reading a request to its answer, by endpoint")
          .labelNames("endpoint")
          .classicOnly()
          .classicUpperBounds(
              0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
          .register(registry);
  private final Histogram batchSize =
      Histogram.builder()
          .name("lakeloop_serve_batch_instances")
          .help("instances per predict request")
          .classicOnly()
          .classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
          .register(registry);
  private final Counter refused =
      Counter.builder()
          .name("lakeloop_serve_refused_total")
          .help("requests refused with a 4xx, by reason")
          .labelNames("reason")
          .register(registry);
  private final Gauge loadSeconds =
      Gauge.builder()
          .name("lakeloop_serve_model_load_seconds")
          .help("how long the loaded model took to fetch, verify and load")
          .labelNames("model")
          .register(registry);
  private final Gauge loadedVersion =
      Gauge.builder()
          .name("lakeloop_serve_model_version")
          .help("the registry version being served")
          .labelNames("model")
          .register(registry);
  private final Counter swaps =
      Counter.builder()
          .name("lakeloop_serve_swaps_total")
          .help("new versions swapped in while serving")
          .labelNames("model")
          .register(registry);
  private final Counter refusedSwaps =
      Counter.builder()
          .name("lakeloop_serve_swaps_refused_total")
          .help("new versions refused (changed or unloadable artifact); the old one kept serving")
          .labelNames("model")
          .register(registry);
  private final Gauge backlog =
      Gauge.builder()
          .name("lakeloop_serve_log_backlog_rows")
          .help("served rows on local disk not yet published for ingest-served")
          .register(registry);
  private final Counter published =
      Counter.builder()
          .name("lakeloop_serve_log_published_rows_total")
          .help("served rows published to the warehouse's landing folder")
          .register(registry);
  private final Counter publishFailures =
      Counter.builder()
          .name("lakeloop_serve_log_publish_failures_total")
          .help("attempts to publish a sealed segment that failed (retried)")
          .register(registry);

  /**
   * Every series the dashboards read exists from the start at zero (Prometheus' advice for labelled
   * counters: a series that first appears at 1 hides its first increase from rate()).
   */
  void initialise(String model) {
    swaps.labelValues(model);
    refusedSwaps.labelValues(model);
    for (String reason : Predictions.REASONS) {
      refused.labelValues(reason);
    }
  }

  void answered(String endpoint, String model, String version, int status, double seconds) {
    requests.labelValues(endpoint, model, version, Integer.toString(status)).inc();
    latency.labelValues(endpoint).observe(seconds);
  }

  void predicted(String model, String version, int instances) {
    predictions.labelValues(model, version).inc(instances);
    batchSize.observe(instances);
  }

  void refused(String reason) {
    refused.labelValues(reason).inc();
  }

  void loaded(String model, int version, double seconds) {
    loadSeconds.labelValues(model).set(seconds);
    loadedVersion.labelValues(model).set(version);
  }

  void swapped(String model) {
    swaps.labelValues(model).inc();
  }

  void swapRefused(String model) {
    refusedSwaps.labelValues(model).inc();
  }

  void logBacklog(long rows) {
    backlog.set(rows);
  }

  void segmentPublished(long rows) {
    published.inc(rows);
  }

  void logPublishFailed() {
    publishFailures.inc();
  }

  String contentType() {
    return writer.getContentType();
  }

  void write(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }
}
