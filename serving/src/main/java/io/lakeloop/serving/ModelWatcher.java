package io.lakeloop.serving;

import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.PublishedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model being served, and its hot swap: every {@code interval} the reference is resolved again
 * in the registry (Delta Kernel, the latest snapshot of {@code model_aliases}); a new version is
 * fetched, its SHA-256 verified and loaded off the request path, then swapped in with one atomic
 * reference write. A request reads the reference once, so it finishes on the model it started with.
 * A version that cannot be fetched, verified or loaded is refused (logged, counted) and the old
 * model keeps serving; it is tried again only when the alias moves again.
 */
final class ModelWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelWatcher.class);

  private final PublishedModels registry;
  private final ModelRef ref;
  private final Path dir;
  private final ServeMetrics metrics;
  private final AtomicReference<PublishedModels.Model> current = new AtomicReference<>();
  private final ScheduledExecutorService timer;
  // The last version refused, so a bad version is not re-fetched on every tick.
  private volatile String refused = "";

  ModelWatcher(
      PublishedModels registry, ModelRef ref, Path dir, Duration interval, ServeMetrics metrics) {
    this.registry = registry;
    this.ref = ref;
    this.dir = dir;
    this.metrics = metrics;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lakeloop-model-watcher");
              t.setDaemon(true);
              return t;
            });
    long ms = Math.max(100, interval.toMillis());
    timer.scheduleWithFixedDelay(this::check, 0, ms, TimeUnit.MILLISECONDS);
  }

  /** The model to answer with, once one is loaded. */
  Optional<PublishedModels.Model> model() {
    return Optional.ofNullable(current.get());
  }

  ModelRef ref() {
    return ref;
  }

  /**
   * One look at the registry, never throwing: an escaped throwable would cancel the timer's later
   * looks, and the server would silently never swap again.
   */
  private void check() {
    try {
      look();
    } catch (Throwable t) {
      LOG.error(
          "serve: looking for a new version of {} failed (will look again): {}",
          ref,
          t.toString(),
          t);
    }
  }

  /** Loads and swaps in a new version behind the reference. */
  private void look() {
    PublishedModels.Published p;
    try {
      p = registry.resolve(ref);
    } catch (RuntimeException e) {
      LOG.warn(
          "serve: cannot resolve {} in the registry (keeping what is served): {}",
          ref,
          e.getMessage());
      return;
    }
    PublishedModels.Model now = current.get();
    String key = p.version() + "/" + p.sha256();
    if (now != null
        && now.entry().version() == p.version()
        && now.entry().sha256().equals(p.sha256())) {
      return;
    }
    if (key.equals(refused)) {
      return;
    }
    long start = System.nanoTime();
    PublishedModels.Model loaded;
    try {
      Files.createDirectories(dir);
      loaded = registry.load(p, dir);
    } catch (Exception e) {
      refused = key;
      metrics.swapRefused(ref.model());
      LOG.error(
          "serve: refused {} ({}); {}",
          p.ref(),
          e.getMessage(),
          now == null ? "nothing is served yet" : now.entry().ref() + " keeps serving");
      return;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    current.set(loaded);
    metrics.loaded(ref.model(), p.version(), seconds);
    if (now != null) {
      metrics.swapped(ref.model());
    }
    LOG.info(
        "serve: {} {} (sha256 {}) loaded in {} s",
        now == null ? "serving" : "swapped in",
        p.ref(),
        p.sha256(),
        String.format("%.2f", seconds));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
