package io.lakeloop.serving;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.registry.PublishedModels;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints, on Undertow: {@code POST /v1/models/<name>:predict}, {@code GET
 * /v1/models/<name>}, {@code GET /healthz}, {@code GET /readyz}, {@code GET /metrics}. Nothing
 * changes state. Bad input gets a 4xx with a JSON error naming the field and the fix; a request
 * with a missing or wrong bearer token (when tokens are configured) gets 401 and is neither
 * answered nor logged. Answers are sent only after their traffic-log lines are on disk.
 */
final class ModelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelServer.class);
  private static final String PREFIX = "/v1/models/";
  private static final String PREDICT = ":predict";
  private static final String JSON_TYPE = "application/json";

  private final ServeSettings settings;
  private final ModelWatcher watcher;
  private final Optional<TrafficLog> log;
  private final ServeMetrics metrics;
  private final List<byte[]> tokenDigests;
  private final Undertow undertow;

  ModelServer(
      ServeSettings settings,
      ModelWatcher watcher,
      Optional<TrafficLog> log,
      ServeMetrics metrics,
      Optional<SSLContext> tls) {
    this.settings = settings;
    this.watcher = watcher;
    this.log = log;
    this.metrics = metrics;
    this.tokenDigests = settings.tokens().stream().map(ModelServer::digest).toList();
    Undertow.Builder b =
        Undertow.builder()
            .setWorkerThreads(settings.workers())
            .setHandler(new Blocking(this::handle));
    if (tls.isPresent()) {
      b.addHttpsListener(settings.port(), settings.host(), tls.get());
    } else {
      b.addHttpListener(settings.port(), settings.host());
    }
    this.undertow = b.build();
  }

  void start() {
    undertow.start();
  }

  /** The port bound (the configured one, or the one chosen for port 0). */
  int port() {
    return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
  }

  @Override
  public void close() {
    undertow.stop();
  }

  /** Runs the handler on a worker thread, where blocking I/O is allowed. */
  private record Blocking(HttpHandler next) implements HttpHandler {
    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
      if (ex.isInIoThread()) {
        ex.dispatch(this);
        return;
      }
      ex.startBlocking();
      next.handleRequest(ex);
    }
  }

  private void handle(HttpServerExchange ex) throws IOException {
    long start = System.nanoTime();
    String path = ex.getRequestPath();
    String endpoint = endpoint(path);
    String model = "";
    String version = "";
    int status;
    try {
      if (path.equals("/healthz")) {
        status = send(ex, 200, JSON_TYPE, "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8));
      } else {
        authorize(ex);
        if (path.equals("/readyz")) {
          status = ready(ex);
        } else if (path.equals("/metrics")) {
          method(ex, Methods.GET);
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          metrics.write(out);
          status = send(ex, 200, metrics.contentType(), out.toByteArray());
        } else if (path.startsWith(PREFIX) && path.endsWith(PREDICT)) {
          method(ex, Methods.POST);
          PublishedModels.Model m =
              served(path.substring(PREFIX.length(), path.length() - PREDICT.length()));
          model = m.entry().modelName();
          version = Integer.toString(m.entry().version());
          status = predict(ex, m);
        } else if (path.startsWith(PREFIX)) {
          method(ex, Methods.GET);
          PublishedModels.Model m = served(path.substring(PREFIX.length()));
          model = m.entry().modelName();
          version = Integer.toString(m.entry().version());
          status = send(ex, 200, JSON_TYPE, Predictions.bytes(describe(m)));
        } else {
          throw new Predictions.Refusal(
              404,
              "no_such_endpoint",
              null,
              "no endpoint "
                  + path
                  + "; use POST /v1/models/<name>:predict, GET /v1/models/<name>, /healthz,"
                  + " /readyz or /metrics");
        }
      }
    } catch (Predictions.Refusal r) {
      metrics.refused(r.reason);
      if (r.status == 401) {
        ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
      }
      status = send(ex, r.status, JSON_TYPE, r.body());
    }
    metrics.answered(endpoint, model, version, status, (System.nanoTime() - start) / 1e9);
  }

  private static String endpoint(String path) {
    if (path.startsWith(PREFIX)) {
      return path.endsWith(PREDICT) ? "predict" : "model";
    }
    return switch (path) {
      case "/healthz", "/readyz", "/metrics" -> path.substring(1);
      default -> "other";
    };
  }

  private int ready(HttpServerExchange ex) throws IOException {
    Optional<PublishedModels.Model> m = watcher.model();
    if (m.isEmpty()) {
      return send(
          ex,
          503,
          JSON_TYPE,
          ("{\"status\":\"loading\",\"model\":\"" + watcher.ref() + "\"}")
              .getBytes(StandardCharsets.UTF_8));
    }
    return send(ex, 200, JSON_TYPE, Predictions.bytes(describe(m.get())));
  }

  private int predict(HttpServerExchange ex, PublishedModels.Model m)
      throws IOException, Predictions.Refusal {
    byte[] body = body(ex);
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Predictions.Answer a = Predictions.answer(body, settings.maxBatch(), settings.spec(), m, now);
    if (log.isPresent()) {
      try {
        log.get().append(a.logLines(), TrafficLog.dateOf(now));
      } catch (IOException e) {
        LOG.error("serve: cannot write the traffic log; refusing to answer: {}", e.toString());
        throw new Predictions.Refusal(
            503,
            "log_unavailable",
            null,
            "the traffic log cannot be written (" + e.getMessage() + "); try again later");
      }
    }
    metrics.predicted(m.entry().modelName(), Integer.toString(m.entry().version()), a.instances());
    return send(ex, 200, JSON_TYPE, a.body());
  }

  /** The model served under {@code name}, or 404 / 503. */
  private PublishedModels.Model served(String name) throws Predictions.Refusal {
    if (!name.equals(watcher.ref().model())) {
      throw new Predictions.Refusal(
          404,
          "unknown_model",
          "model",
          "this server serves model '"
              + watcher.ref().model()
              + "', not '"
              + name
              + "'; use /v1/models/"
              + watcher.ref().model());
    }
    return watcher
        .model()
        .orElseThrow(
            () ->
                new Predictions.Refusal(
                    503,
                    "not_ready",
                    null,
                    watcher.ref() + " is not loaded yet; GET /readyz says when it is"));
  }

  private static ObjectNode describe(PublishedModels.Model m) {
    ObjectNode o = Predictions.JSON.createObjectNode();
    o.put("model_name", m.entry().modelName());
    o.put("model_version", Integer.toString(m.entry().version()));
    o.put("sha256", m.entry().sha256());
    o.put("format", m.entry().format());
    o.put("published_at", m.entry().createdAt() == null ? null : m.entry().createdAt().toString());
    o.put("status", "ready");
    return o;
  }

  private void method(HttpServerExchange ex, HttpString expected) throws Predictions.Refusal {
    if (!ex.getRequestMethod().equals(expected)) {
      ex.getResponseHeaders().put(Headers.ALLOW, expected.toString());
      throw new Predictions.Refusal(
          405,
          "method_not_allowed",
          null,
          ex.getRequestPath() + " takes " + expected + ", not " + ex.getRequestMethod());
    }
  }

  /** Checks the bearer token (when tokens are configured) in constant time, never logging it. */
  private void authorize(HttpServerExchange ex) throws Predictions.Refusal {
    if (tokenDigests.isEmpty()) {
      return;
    }
    String h = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
    boolean ok = false;
    if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] given = digest(h.substring(7).strip());
      for (byte[] t : tokenDigests) {
        ok |= MessageDigest.isEqual(given, t);
      }
    }
    if (!ok) {
      throw new Predictions.Refusal(
          401,
          h == null ? "no_token" : "bad_token",
          "Authorization",
          h == null
              ? "this server needs a bearer token: send \"Authorization: Bearer <token>\""
              : "the bearer token is not one this server accepts");
    }
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The request body, refused with 413 beyond max-body-bytes (read no further than that). */
  private byte[] body(HttpServerExchange ex) throws IOException, Predictions.Refusal {
    long max = settings.maxBodyBytes();
    long declared = ex.getRequestContentLength();
    if (declared > max) {
      throw tooLarge(declared);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
    byte[] buf = new byte[8192];
    InputStream in = ex.getInputStream();
    long total = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      total += n;
      if (total > max) {
        throw tooLarge(total);
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private Predictions.Refusal tooLarge(long bytes) {
    return new Predictions.Refusal(
        413,
        "body_too_large",
        null,
        "the body has more than "
            + settings.maxBodyBytes()
            + " bytes (lakeloop.serve.max-body-bytes; "
            + bytes
            + " seen); send fewer instances per request");
  }

  private static int send(HttpServerExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.setStatusCode(status);
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
    ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
    ex.getOutputStream().write(body);
    ex.endExchange();
    return status;
  }
}
