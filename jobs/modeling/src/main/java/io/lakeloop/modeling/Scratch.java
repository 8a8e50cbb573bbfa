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

  /** Deletes the folder and everything in it; a failure is logged, never thrown. */
  public static void delete(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete the scratch folder {}: {}", dir, e.toString());
    }
  }
}
