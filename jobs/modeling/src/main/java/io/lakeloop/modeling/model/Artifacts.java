package io.lakeloop.modeling.model;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.modeling.compress.CompactArtifact;
import java.io.File;
import java.nio.file.Path;

/** Loads a registered model into DL4J whatever its artifact format. */
public final class Artifacts {
  private Artifacts() {}

  /** Reads an artifact file of the given registry {@code format}. */
  public static ModelArtifact read(String format, File file) {
    if (ModelArtifact.FORMAT.equals(format)) {
      return ModelArtifact.read(file);
    }
    if (CompactModel.FORMAT.equals(format)) {
      CompactArtifact.Loaded loaded = CompactArtifact.read(file);
      return new ModelArtifact(loaded.network(), loaded.encoding());
    }
    throw new LakeloopException(
        file
            + " has format '"
            + format
            + "', which lakeloop cannot load (known: "
            + ModelArtifact.FORMAT
            + ", "
            + CompactModel.FORMAT
            + ")");
  }

  /** Fetches the entry's artifact into {@code local} (SHA-256 verified) and loads it. */
  public static ModelArtifact fetch(ArtifactStore store, ModelRegistry.Entry e, Path local) {
    return read(e.format(), store.fetch(e.artifactUri(), e.sha256(), local).toFile());
  }
}
