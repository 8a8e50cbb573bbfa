package io.lakeloop.serving;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.registry.ModelRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code bin/lakeloop serve} runs with: {@code lakeloop.serve} (reference.conf) after the
 * command line's {@code --model}, {@code --ref} and {@code --port}, and the secrets that come only
 * from the environment (bearer tokens, the keystore's password).
 */
record ServeSettings(
    String warehouse,
    ModelRef ref,
    ModelSpec spec,
    String host,
    int port,
    Duration watchInterval,
    Path modelDir,
    long maxBodyBytes,
    int maxBatch,
    int workers,
    List<String> tokens,
    Optional<Path> tlsKeystore,
    char[] tlsPassword,
    boolean logEnabled,
    Path spool,
    Duration segmentAge,
    long segmentRows,
    Duration fsyncInterval) {

  static ServeSettings of(
      LakeloopConfig config,
      Optional<String> model,
      Optional<String> ref,
      Optional<Integer> port,
      Map<String, String> env) {
    Settings s = config.section("serve");
    String refText = ref.orElse(s.string("ref"));
    if (refText.isBlank()) {
      refText = config.model(model.orElse(null)).name() + "@champion";
    }
    ModelRef r = ModelRef.parse(refText);
    if (model.isPresent() && !model.get().equals(r.model())) {
      throw new LakeloopException(
          "--model " + model.get() + " and --ref " + r + " name different models; give one");
    }
    ModelSpec spec = config.model(r.model());
    int p = port.orElse(s.intAtLeast("port", 0));
    Settings log = s.child("log");
    String keystore = s.string("tls-keystore");
    return new ServeSettings(
        config.warehouse(),
        r,
        spec,
        s.string("host"),
        p,
        s.duration("watch-interval"),
        Path.of(s.string("model-dir")),
        s.positiveLong("max-body-bytes"),
        s.intAtLeast("max-batch", 1),
        s.intAtLeast("workers", 1),
        tokens(s.string("token-file"), env),
        keystore.isBlank() ? Optional.empty() : Optional.of(Path.of(keystore)),
        env.getOrDefault("LAKELOOP_SERVE_TLS_PASSWORD", "").toCharArray(),
        log.bool("enabled"),
        Path.of(log.string("spool")).resolve(r.model() + "-" + p),
        log.duration("segment-age"),
        log.positiveLong("segment-rows"),
        log.duration("fsync-interval"));
  }

  /** Tokens from the file (one per line) and LAKELOOP_SERVE_TOKENS (comma-separated). */
  static List<String> tokens(String file, Map<String, String> env) {
    List<String> tokens = new ArrayList<>();
    if (!file.isBlank()) {
      try {
        for (String line : Files.readAllLines(Path.of(file))) {
          if (!line.isBlank()) {
            tokens.add(line.strip());
          }
        }
      } catch (IOException e) {
        throw new LakeloopException(
            "cannot read the token file "
                + file
                + " (lakeloop.serve.token-file): "
                + e.getMessage()
                + "; give a readable file with one token per line",
            e);
      }
      if (tokens.isEmpty()) {
        throw new LakeloopException(
            "the token file "
                + file
                + " (lakeloop.serve.token-file) holds no token: an empty file would serve"
                + " without authentication; add a token or unset the key");
      }
    }
    for (String t : env.getOrDefault("LAKELOOP_SERVE_TOKENS", "").split(",")) {
      if (!t.isBlank()) {
        tokens.add(t.strip());
      }
    }
    return List.copyOf(tokens);
  }

  /** What the start-up line says, with the port bound: never a token or a password. */
  String describe(int boundPort) {
    return String.format(
        "%s on %s://%s:%d, watching %s every %ds, %s, traffic log %s",
        ref,
        tlsKeystore.isPresent() ? "https" : "http",
        host,
        boundPort,
        warehouse,
        watchInterval.toSeconds(),
        tokens.isEmpty()
            ? "no authentication"
            : "bearer-token authentication (" + tokens.size() + " token(s))",
        logEnabled ? "in " + spool : "off");
  }
}
