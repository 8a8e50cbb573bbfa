package io.lakeloop.common.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeloop.common.LakeloopException;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * lakeloop's compact model artifact, read without Spark or DL4J: a zip of {@code manifest.json}
 * (format, quantization mode, per layer its type, sizes, activation, loss and parameter keys), the
 * network's DL4J configuration only when the manifest cannot describe it (layers other than dense
 * and output ones), the {@link FeatureEncoding} and {@code params.bin}: per layer and parameter, a
 * weight matrix as int8 codes with per-column float32 scales (and zero points when asymmetric) in
 * the smallest of three layouts (dense, bitmap of non-zero codes, CSR), every other parameter as
 * float32. The weights come back dequantized, exactly the values the quantized DL4J model computes
 * with.
 *
 * <p>{@link #output} is a forward pass in plain Java for the dense networks lakeloop trains (each
 * layer {@code act(x W + b)}), so a service can predict from a published model with this library
 * alone. It accumulates in double: its outputs agree with DL4J's float32 inference to about 1e-6.
 */
public final class CompactModel {
  public static final String FORMAT = "lakeloop-compact-v1";
  public static final String MANIFEST = "manifest.json";
  public static final String CONFIGURATION = "configuration.json";
  public static final String ENCODING = "encoding.json";
  public static final String PARAMS = "params.bin";

  /** Layouts of a stored weight matrix, by their tag in params.bin. */
  public static final List<String> LAYOUTS = List.of("dense", "bitmap", "csr");

  /** The activations {@link #output} computes. */
  public static final List<String> ACTIVATIONS =
      List.of("identity", "relu", "tanh", "sigmoid", "softmax");

  /**
   * One layer: its type ({@code dense} or {@code output}), activation and loss (DL4J class name,
   * output layers) as the manifest names them (null when it does not), and parameters.
   */
  public record Layer(
      int index,
      String type,
      String activation,
      String loss,
      Map<String, float[]> params,
      int in,
      int out) {}

  private final String source;
  private final JsonNode manifest;
  private final String configuration;
  private final FeatureEncoding encoding;
  private final List<Layer> layers;

  private CompactModel(
      String source,
      JsonNode manifest,
      String configuration,
      FeatureEncoding encoding,
      List<Layer> layers) {
    this.source = source;
    this.manifest = manifest;
    this.configuration = configuration;
    this.encoding = encoding;
    this.layers = layers;
  }

  /**
   * Reads a compact artifact.
   *
   * @throws LakeloopException naming the file when it is not a readable compact artifact
   */
  public static CompactModel read(Path file) {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      JsonNode manifest = new ObjectMapper().readTree(bytes(zip, MANIFEST));
      if (!FORMAT.equals(manifest.path("format").asText())) {
        throw new LakeloopException(
            file + " is not a " + FORMAT + " artifact (format: " + manifest.path("format") + ")");
      }
      boolean asymmetric = manifest.path("asymmetric").asBoolean();
      String configuration =
          zip.getEntry(CONFIGURATION) == null
              ? null
              : new String(bytes(zip, CONFIGURATION), StandardCharsets.UTF_8);
      FeatureEncoding encoding =
          FeatureEncoding.fromJson(new String(bytes(zip, ENCODING), StandardCharsets.UTF_8));
      List<Layer> layers = new ArrayList<>();
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes(zip, PARAMS)))) {
        for (JsonNode layer : manifest.path("layers")) {
          Map<String, float[]> params = new LinkedHashMap<>();
          int rows = 0;
          int cols = 0;
          for (JsonNode key : layer.path("params")) {
            if (key.asText().equals("W")) {
              Int8Quantizer.Quantized q = readWeights(in, asymmetric);
              rows = q.rows();
              cols = q.cols();
              params.put("W", q.dequantize());
            } else {
              float[] f = new float[in.readInt()];
              for (int k = 0; k < f.length; k++) {
                f[k] = in.readFloat();
              }
              params.put(key.asText(), f);
            }
          }
          layers.add(
              new Layer(
                  layer.path("index").asInt(),
                  text(layer, "type"),
                  text(layer, "activation"),
                  text(layer, "loss"),
                  params,
                  rows,
                  cols));
        }
      }
      return new CompactModel(file.toString(), manifest, configuration, encoding, layers);
    } catch (IOException | RuntimeException e) {
      if (e instanceof LakeloopException l) {
        throw l;
      }
      throw new LakeloopException("cannot read the compact artifact " + file + ": " + e, e);
    }
  }

  public FeatureEncoding encoding() {
    return encoding;
  }

  /**
   * The DL4J {@code MultiLayerConfiguration} JSON the network was built from; absent when the
   * manifest's layers describe it fully (dense and output layers, see {@link #layers()}).
   */
  public Optional<String> configuration() {
    return Optional.ofNullable(configuration);
  }

  public List<Layer> layers() {
    return layers;
  }

  public boolean asymmetric() {
    return manifest.path("asymmetric").asBoolean();
  }

  /** Number of parameters (weights and biases). */
  public long parameters() {
    long n = 0;
    for (Layer l : layers) {
      for (float[] p : l.params().values()) {
        n += p.length;
      }
    }
    return n;
  }

  /**
   * The network's output for one encoded row ({@link FeatureEncoding#width()} values).
   *
   * @throws LakeloopException when a layer is not a dense layer with an activation this predictor
   *     computes (the artifact is then loaded with DL4J instead)
   */
  public double[] output(float[] x) {
    if (x.length != encoding.width()) {
      throw new IllegalArgumentException(
          "the model takes " + encoding.width() + " encoded values; got " + x.length);
    }
    double[] a = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      a[i] = x[i];
    }
    for (Layer l : layers) {
      float[] w = l.params().get("W");
      float[] b = l.params().get("b");
      if (w == null || b == null || !ACTIVATIONS.contains(String.valueOf(l.activation()))) {
        throw new LakeloopException(
            source
                + ": layer "
                + l.index()
                + " (parameters "
                + l.params().keySet()
                + ", activation "
                + l.activation()
                + ") is not a dense layer with one of the activations "
                + ACTIVATIONS
                + " that the Spark-free predictor computes; load the model with DL4J"
                + " (bin/lakeloop registry load shows its layers)");
      }
      double[] z = new double[l.out()];
      for (int c = 0; c < l.out(); c++) {
        z[c] = b[c];
      }
      for (int r = 0; r < l.in(); r++) {
        double v = a[r];
        if (v == 0) {
          continue;
        }
        int row = r * l.out();
        for (int c = 0; c < l.out(); c++) {
          z[c] += v * w[row + c];
        }
      }
      activate(l.activation(), z);
      a = z;
    }
    return a;
  }

  /** The index of the largest probability, ties to the lower index: the predicted class. */
  public static int mostProbable(double[] probabilities) {
    int best = 0;
    for (int k = 1; k < probabilities.length; k++) {
      if (probabilities[k] > probabilities[best]) {
        best = k;
      }
    }
    return best;
  }

  private static void activate(String activation, double[] z) {
    switch (activation.toLowerCase(Locale.ROOT)) {
      case "identity" -> {}
      case "relu" -> {
        for (int i = 0; i < z.length; i++) {
          z[i] = Math.max(0, z[i]);
        }
      }
      case "tanh" -> {
        for (int i = 0; i < z.length; i++) {
          z[i] = Math.tanh(z[i]);
        }
      }
      case "sigmoid" -> {
        for (int i = 0; i < z.length; i++) {
          z[i] = 1 / (1 + Math.exp(-z[i]));
        }
      }
      case "softmax" -> {
        double max = Arrays.stream(z).max().orElse(0);
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
          z[i] = Math.exp(z[i] - max);
          sum += z[i];
        }
        for (int i = 0; i < z.length; i++) {
          z[i] /= sum;
        }
      }
      default -> throw new IllegalStateException("unknown activation " + activation);
    }
  }

  private static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.path(field).asText() : null;
  }

  private static byte[] bytes(ZipFile zip, String name) throws IOException {
    ZipEntry e = zip.getEntry(name);
    if (e == null) {
      throw new IOException("entry " + name + " is missing");
    }
    try (InputStream in = zip.getInputStream(e)) {
      return in.readAllBytes();
    }
  }

  /**
   * Writes a quantized matrix: shape, scales (+ zero points), then the codes in the smallest of the
   * three {@link #LAYOUTS}; returns the layout chosen.
   */
  public static String writeWeights(DataOutputStream out, Int8Quantizer.Quantized q)
      throws IOException {
    int rows = q.rows();
    int cols = q.cols();
    out.writeInt(rows);
    out.writeInt(cols);
    for (float s : q.scales()) {
      out.writeFloat(s);
    }
    if (!q.symmetric()) {
      for (int z : q.zeroPoints()) {
        out.writeByte(z);
      }
    }
    byte[] v = q.values();
    int nonZero = 0;
    for (int i = 0; i < v.length; i++) {
      if (v[i] != zero(q, i % cols)) {
        nonZero++;
      }
    }
    long dense = v.length;
    long bitmap = (v.length + 7) / 8 + nonZero;
    long csr = 4L * rows + 2L * nonZero + nonZero; // row counts, 16-bit columns, codes
    boolean csrFits = cols <= 65_536;
    if (dense <= bitmap && (dense <= csr || !csrFits)) {
      out.writeByte(0);
      out.write(v);
      return LAYOUTS.get(0);
    }
    if (bitmap <= csr || !csrFits) {
      out.writeByte(1);
      byte[] bits = new byte[(v.length + 7) / 8];
      for (int i = 0; i < v.length; i++) {
        if (v[i] != zero(q, i % cols)) {
          bits[i >> 3] |= (byte) (1 << (i & 7));
        }
      }
      out.write(bits);
      for (int i = 0; i < v.length; i++) {
        if (v[i] != zero(q, i % cols)) {
          out.writeByte(v[i]);
        }
      }
      return LAYOUTS.get(1);
    }
    out.writeByte(2);
    for (int r = 0; r < rows; r++) {
      int count = 0;
      for (int c = 0; c < cols; c++) {
        count += v[r * cols + c] != zero(q, c) ? 1 : 0;
      }
      out.writeInt(count);
      for (int c = 0; c < cols; c++) {
        if (v[r * cols + c] != zero(q, c)) {
          out.writeShort(c);
          out.writeByte(v[r * cols + c]);
        }
      }
    }
    return LAYOUTS.get(2);
  }

  private static int zero(Int8Quantizer.Quantized q, int col) {
    return q.symmetric() ? 0 : q.zeroPoints()[col];
  }

  /** Reads a matrix written by {@link #writeWeights}. */
  static Int8Quantizer.Quantized readWeights(DataInputStream in, boolean asymmetric)
      throws IOException {
    int rows = in.readInt();
    int cols = in.readInt();
    float[] scales = new float[cols];
    for (int c = 0; c < cols; c++) {
      scales[c] = in.readFloat();
    }
    int[] zeros = null;
    if (asymmetric) {
      zeros = new int[cols];
      for (int c = 0; c < cols; c++) {
        zeros[c] = in.readByte();
      }
    }
    byte[] v = new byte[rows * cols];
    int layout = in.readByte();
    if (zeros != null) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (byte) zeros[i % cols];
      }
    }
    switch (layout) {
      case 0 -> in.readFully(v);
      case 1 -> {
        byte[] bits = new byte[(v.length + 7) / 8];
        in.readFully(bits);
        for (int i = 0; i < v.length; i++) {
          if ((bits[i >> 3] & (1 << (i & 7))) != 0) {
            v[i] = in.readByte();
          }
        }
      }
      case 2 -> {
        for (int r = 0; r < rows; r++) {
          int count = in.readInt();
          for (int k = 0; k < count; k++) {
            int c = in.readUnsignedShort();
            v[r * cols + c] = in.readByte();
          }
        }
      }
      default -> throw new IOException("unknown weight layout " + layout);
    }
    return new Int8Quantizer.Quantized(rows, cols, v, scales, zeros);
  }

  /** The share of exactly-zero values. */
  public static double sparsity(float[] values) {
    int zeros = 0;
    for (float v : values) {
      if (v == 0f) {
        zeros++;
      }
    }
    return values.length == 0 ? 0 : (double) zeros / values.length;
  }
}
