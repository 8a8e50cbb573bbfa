package io.lakeloop.common.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.lakeloop.common.LakeloopException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Webhook POSTs against a real HTTP server on loopback that answers a scripted status list. */
class WebhookTest {
  private HttpServer server;
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();

  /** Starts a server answering the given statuses in turn (the last one repeats). */
  private String serve(int... statuses) throws IOException {
    AtomicInteger calls = new AtomicInteger();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hook",
        exchange -> {
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
          int status = statuses[Math.min(calls.getAndIncrement(), statuses.length - 1)];
          byte[] answer = ("answer " + status).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook?token=secret";
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static Webhook hook(String url, int attempts) {
    return new Webhook("test.webhook-url", url, Duration.ofSeconds(5), attempts, Duration.ZERO);
  }

  @Test
  void postsTheDocumentAsJson() throws IOException {
    String url = serve(200);
    assertThat(hook(url, 3).post("{\"a\":1}")).isEqualTo(200);
    assertThat(bodies).containsExactly("{\"a\":1}");
    assertThat(contentTypes.get(0)).startsWith("application/json");
  }

  @Test
  void retriesServerErrorsUntilAccepted() throws IOException {
    String url = serve(503, 500, 202);
    assertThat(hook(url, 3).post("{}")).isEqualTo(202);
    assertThat(bodies).hasSize(3);
  }

  @Test
  void givesUpAfterTheLastAttemptNamingTheAnswer() throws IOException {
    String url = serve(503);
    assertThatThrownBy(() -> hook(url, 2).post("{}"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("HTTP 503 answer 503")
        .hasMessageContaining("test.webhook-url")
        .hasMessageNotContaining("secret");
    assertThat(bodies).hasSize(2);
  }

  @Test
  void doesNotRepeatARequestTheServerRejects() throws IOException {
    String url = serve(400, 200);
    assertThatThrownBy(() -> hook(url, 3).post("{}"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("HTTP 400");
    assertThat(bodies).hasSize(1);
  }

  @Test
  void anUnreachableServerFailsWithTheConnectionError() throws IOException {
    String url = serve(200);
    server.stop(0);
    server = null;
    assertThatThrownBy(() -> hook(url, 2).post("{}"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("ConnectException")
        .hasMessageContaining("did not accept");
    assertThat(hook(url, 1).redacted()).doesNotContain("hook").doesNotContain("secret");
  }
}
