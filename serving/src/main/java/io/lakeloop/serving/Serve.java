package io.lakeloop.serving;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.registry.PublishedModels;
import io.lakeloop.common.table.Landing;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code bin/lakeloop serve}: serves a published model over HTTP until stopped (SIGTERM or Ctrl-C
 * stop it cleanly: the traffic log's open segment is sealed and published). Runs without Spark: its
 * classpath is this module's.
 */
public final class Serve {
  static final List<Flag> FLAGS =
      List.of(
          Flag.value(
              "ref",
              "NAME@ALIAS|NAME/VERSION",
              "what to serve (default lakeloop.serve.ref, else <model>@champion)"),
          Flag.value("port", "P", "the port (default lakeloop.serve.port)"));

  private static final int OK = 0;
  private static final int USER_ERROR = 2;

  private Serve() {}

  public static void main(String[] args) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    int rc = start(args, stopped);
    if (rc != OK) {
      System.exit(rc);
    }
    stopped.await();
  }

  /** Starts the server; {@code stopped} counts down once a shutdown has sealed the log. */
  static int start(String[] args, CountDownLatch stopped) {
    try {
      CliArgs a = CliArgs.parse("serve", args, FLAGS, false);
      if (a.has("help")) {
        System.out.print(
            CliArgs.usage(
                "serve",
                "Serve a published model over HTTP: predictions, hot swap on a new version behind"
                    + " the alias, the traffic logged for ingest-served, Prometheus metrics.",
                FLAGS,
                null));
        stopped.countDown();
        return OK;
      }
      LakeloopConfig config = ConfigLoader.load(a.configFile(), a.all("set"));
      Optional<Integer> port = a.get("port").map(Serve::port);
      ServeSettings s =
          ServeSettings.of(config, a.get("model"), a.get("ref"), port, System.getenv());
      Running running = start(s, hadoop(config));
      System.out.println("serve: " + s.describe(running.port()));
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    running.close();
                    System.out.println("serve: stopped");
                    stopped.countDown();
                  }));
      return OK;
    } catch (LakeloopException e) {
      System.err.println("lakeloop serve: " + e.getMessage());
      return USER_ERROR;
    }
  }

  /**
   * A started server: its HTTP listener, its model watcher and its traffic log. {@link #close}
   * stops accepting, then seals and publishes the open segment.
   */
  public record Running(ModelServer server, ModelWatcher watcher, Optional<TrafficLog> log)
      implements AutoCloseable {
    /** The port bound. */
    public int port() {
      return server.port();
    }

    /** The version being served, once one is loaded. */
    public Optional<Integer> servedVersion() {
      return watcher.model().map(m -> m.entry().version());
    }

    @Override
    public void close() {
      server.close();
      watcher.close();
      log.ifPresent(TrafficLog::close);
    }
  }

  /**
   * Starts a server in this JVM with {@code lakeloop.serve} of {@code config} and no tokens (the
   * demo's in-process use; bin/lakeloop serve goes through {@link #main}).
   */
  public static Running embedded(LakeloopConfig config) {
    ServeSettings s =
        ServeSettings.of(config, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    return start(s, hadoop(config));
  }

  static Running start(ServeSettings s, Configuration hadoop) {
    ServeMetrics metrics = new ServeMetrics();
    metrics.initialise(s.ref().model());
    Optional<TrafficLog> log =
        s.logEnabled()
            ? Optional.of(
                new TrafficLog(
                    s.spool(),
                    Landing.served(s.warehouse(), s.ref().model()),
                    hadoop,
                    s.segmentAge(),
                    s.segmentRows(),
                    s.fsyncInterval(),
                    metrics))
            : Optional.empty();
    ModelWatcher watcher =
        new ModelWatcher(
            new PublishedModels(hadoop, s.warehouse()),
            s.ref(),
            s.modelDir(),
            s.watchInterval(),
            metrics);
    ModelServer server = new ModelServer(s, watcher, log, metrics, tls(s));
    server.start();
    return new Running(server, watcher, log);
  }

  private static int port(String text) {
    try {
      int p = Integer.parseInt(text);
      if (p >= 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new LakeloopException("--port '" + text + "' is not a port; give 0-65535");
  }

  /** The Hadoop configuration for the warehouse's file system (S3A from lakeloop.s3). */
  static Configuration hadoop(LakeloopConfig config) {
    Configuration h = new Configuration();
    config.s3().hadoopConf().forEach(h::set);
    return h;
  }

  private static Optional<SSLContext> tls(ServeSettings s) {
    if (s.tlsKeystore().isEmpty()) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(s.tlsKeystore().get())) {
      KeyStore ks =
          KeyStore.getInstance(
              s.tlsKeystore().get().toString().endsWith(".jks") ? "JKS" : "PKCS12");
      ks.load(in, s.tlsPassword());
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, s.tlsPassword());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return Optional.of(ctx);
    } catch (Exception e) {
      throw new LakeloopException(
          "cannot use the TLS keystore "
              + s.tlsKeystore().get()
              + " (lakeloop.serve.tls-keystore): "
              + e.getMessage()
              + "; give a PKCS12 or JKS file with the key and certificate, its password in"
              + " LAKELOOP_SERVE_TLS_PASSWORD",
          e);
    }
  }
}
