package io.lakeloop.modeling;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A job's local scratch folder (model files on their way to or from the warehouse). */
public final class Scratch {
  private static final Logger LOG = LoggerFactory.getLogger(Scratch.class);

  private Scratch() {}

  /** A new, empty scratch folder in the system's temporary folder. */
  public static Path create(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch folder", e);
    }
  }

  /**
   * Releases what a job's compute holds while it runs: {@code open} (cached rows, say; may be null
   * when compute failed before opening it) is closed, then the folder deleted, whatever happens.
   */
  public static void release(AutoCloseable open, Path dir) {
    try {
      if (open != null) {
        open.close();
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot release " + open + ": " + e, e);
    } finally {
      delete(dir);
    }
  }

  /** Deletes the folder and everything in it; a failure is logged, never thrown. */
  public static void delete(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete the scratch folder {}: {}", dir, e.toString());
    }
  }
}
