package io.lakeloop.modeling.artifact;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.CompactModel;
import java.io.File;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The formats a registered model's artifact is stored in, by the registry's {@code format} id, and
 * how each is read back into DL4J. The Spark-free reader of the compact format ({@link
 * CompactModel}) lives in common, where a serving consumer needs it without DL4J.
 */
public enum ModelFormat {
  /** DL4J's model zip with lakeloop's feature encoding inside: what train registers. */
  DL4J_ZIP(ModelArtifact.FORMAT) {
    @Override
    public ModelArtifact read(File file) {
      return ModelArtifact.read(file);
    }
  },
  /** Pruned, int8-quantized weights and the encoding in one zip: what compress publishes. */
  COMPACT_V1(CompactModel.FORMAT) {
    @Override
    public ModelArtifact read(File file) {
      return CompactArtifact.read(file);
    }
  };

  private final String id;

  ModelFormat(String id) {
    this.id = id;
  }

  /** The registry's {@code format} value. */
  public String id() {
    return id;
  }

  /** The network and encoding in an artifact file of this format. */
  public abstract ModelArtifact read(File file);

  /**
   * The format a registry entry names.
   *
   * @throws LakeloopException naming the file, its format and the formats lakeloop knows
   */
  public static ModelFormat of(String id, File file) {
    return Arrays.stream(values())
        .filter(f -> f.id.equals(id))
        .findFirst()
        .orElseThrow(
            () ->
                new LakeloopException(
                    file
                        + " has format '"
                        + id
                        + "', which lakeloop cannot load (known: "
                        + Arrays.stream(values())
                            .map(ModelFormat::id)
                            .collect(Collectors.joining(", "))
                        + ")"));
  }
}
