package io.lakeloop.modeling.artifact;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRegistry;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained network together with the feature encoding it was trained on — one file, so the
 * preprocessing can never be separated from the weights. Written with DL4J's {@code
 * ModelSerializer} (no updater state: a published model is for inference, and the updater nearly
 * triples the file) plus the encoding's JSON as an extra entry.
 */
public record ModelArtifact(MultiLayerNetwork network, FeatureEncoding encoding) {
  /** The registry's {@code format} of these artifacts. */
  public static final String FORMAT = "dl4j-multilayer+encoding";

  /** The entry holding the encoding inside the model file. */
  static final String ENCODING_ENTRY = "lakeloop-feature-encoding.json";

  /** Writes the artifact to {@code file} (replacing it). */
  public void write(File file) {
    try {
      ModelSerializer.writeModel(network, file, false);
      ModelSerializer.addObjectToFile(file, ENCODING_ENTRY, encoding.toJson());
    } catch (IOException | RuntimeException e) {
      throw new LakeloopException("cannot write the model artifact " + file + ": " + e, e);
    }
  }

  /**
   * Reads an artifact written by {@link #write} (the {@link ModelFormat#DL4J_ZIP} format).
   *
   * @throws LakeloopException naming the file and the problem: unreadable, not a DL4J network, or
   *     without lakeloop's feature encoding
   */
  public static ModelArtifact read(File file) {
    MultiLayerNetwork network;
    try {
      network = ModelSerializer.restoreMultiLayerNetwork(file, false);
    } catch (IOException | RuntimeException e) {
      throw new LakeloopException(
          "cannot read the model artifact " + file + " as a DL4J network: " + e, e);
    }
    Object json;
    try {
      json = ModelSerializer.getObjectFromFile(file, ENCODING_ENTRY);
    } catch (RuntimeException e) {
      json = null;
    }
    if (!(json instanceof String s)) {
      throw new LakeloopException(
          "the model artifact "
              + file
              + " has no lakeloop feature encoding ("
              + ENCODING_ENTRY
              + "): it was not written by lakeloop; train or publish it through lakeloop");
    }
    return new ModelArtifact(network, FeatureEncoding.fromJson(s));
  }

  /**
   * Fetches a registry entry's artifact into {@code local} (its SHA-256 verified) and reads it,
   * whatever its {@link ModelFormat}.
   */
  public static ModelArtifact fetch(ArtifactStore store, ModelRegistry.Entry e, Path local) {
    File file = store.fetch(e.artifactUri(), e.sha256(), local).toFile();
    return ModelFormat.of(e.format(), file).read(file);
  }

  /** The network's output for one row, encoded as the model was trained. */
  public float[] score(Double[] numericValues, String[] categoricalValues) {
    INDArray in = Nd4j.create(new float[][] {encoding.encode(numericValues, categoricalValues)});
    return network.output(in, false).toFloatVector();
  }
}
