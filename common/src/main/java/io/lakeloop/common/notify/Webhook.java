package io.lakeloop.common.notify;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs a JSON document to an http(s) URL (an alerting webhook: Slack, PagerDuty, Opsgenie, a
 * team's own service). Connection errors and 5xx answers are retried with a growing pause (1 s, 2
 * s, ...); a 4xx answer is not (the request itself is wrong). Logs the URL without its query string
 * and path, which often carry a token.
 */
public final class Webhook {
  private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);

  private final String configKey;
  private final URI url;
  private final Duration timeout;
  private final int attempts;
  private final Duration pause;

  /**
   * @param configKey the setting the URL came from, named in errors
   */
  public Webhook(String configKey, String url, Duration timeout, int attempts) {
    this(configKey, url, timeout, attempts, Duration.ofSeconds(1));
  }

  Webhook(String configKey, String url, Duration timeout, int attempts, Duration pause) {
    this.configKey = configKey;
    this.url = URI.create(url);
    this.timeout = timeout;
    this.attempts = attempts;
    this.pause = pause;
  }

  /**
   * The webhook a config section declares ({@code webhook-url}, {@code webhook-timeout}, {@code
   * webhook-attempts}), or empty when its URL is "". A URL that is not http(s) with a host fails
   * naming the key and an example.
   */
  public static Optional<Webhook> configured(Settings section, String sectionKey) {
    String key = sectionKey + ".webhook-url";
    String url = section.string("webhook-url").trim();
    if (url.isEmpty()) {
      return Optional.empty();
    }
    checkedUrl(key, url, "https://hooks.example.com/lakeloop", "no webhook");
    return Optional.of(
        new Webhook(
            key,
            url,
            section.duration("webhook-timeout"),
            section.intAtLeast("webhook-attempts", 1)));
  }

  /**
   * {@code url} as a URI when it is http(s) with a host; otherwise a config error naming the key,
   * an example and how to turn the feature off.
   */
  public static URI checkedUrl(String key, String url, String example, String emptyMeans) {
    try {
      URI u = new URI(url);
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
        throw new URISyntaxException(url, "not an http(s) URL with a host");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new ConfigError(
          key
              + ": '"
              + url
              + "' is not an http(s) URL ("
              + e.getReason()
              + "); set it to e.g. \""
              + example
              + "\" or to \"\" for "
              + emptyMeans);
    }
  }

  /** The URL as logs and errors show it: scheme, host and port only. */
  public String redacted() {
    return redacted(url);
  }

  /** A URL as logs and errors show it: scheme, host and port (path and query may carry a token). */
  public static String redacted(URI url) {
    return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
  }

  /**
   * POSTs {@code json}; returns the HTTP status of the accepted answer (2xx).
   *
   * @throws LakeloopException when every attempt failed, naming the last answer or error
   */
  public int post(String json) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("User-Agent", "lakeloop")
            .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
            .build();
    String last = "";
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          LOG.info("webhook {}: POST accepted ({}), attempt {}", redacted(), status, attempt);
          return status;
        }
        last = "HTTP " + status + " " + abbreviate(response.body());
        if (status / 100 == 4) {
          break; // the request is wrong; repeating it will not help
        }
      } catch (IOException e) {
        last = describe(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LakeloopException("webhook " + redacted() + ": interrupted", e);
      }
      LOG.warn("webhook {}: attempt {} of {} failed: {}", redacted(), attempt, attempts, last);
      if (attempt < attempts) {
        sleep(pause.multipliedBy(attempt));
      }
    }
    throw new LakeloopException(
        "webhook "
            + redacted()
            + " did not accept the POST ("
            + last
            + "); check "
            + configKey
            + " and that the service is up, then rerun");
  }

  private static String describe(Throwable e) {
    String out = e.getClass().getSimpleName();
    Throwable cause = e.getCause();
    if (e.getMessage() != null) {
      return out + ": " + e.getMessage();
    }
    return cause == null ? out + " (no detail)" : out + " (" + describe(cause) + ")";
  }

  private static String abbreviate(String body) {
    String b = body == null ? "" : body.strip();
    return b.length() <= 200 ? b : b.substring(0, 200) + "...";
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LakeloopException("webhook: interrupted while waiting to retry", e);
    }
  }
}
