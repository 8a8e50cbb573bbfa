package io.lakeloop.common.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds files of the project (configs/, bin/) from any module's working directory. */
public final class ProjectFiles {
  private ProjectFiles() {}

  public static Path find(String relative) {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve(relative);
      if (Files.exists(candidate)
          && Files.exists(dir.resolve("pom.xml"))
          && Files.isDirectory(dir.resolve("configs"))) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "cannot find " + relative + " above " + Path.of("").toAbsolutePath());
  }

  public static Path root() {
    return find("configs").getParent();
  }
}
