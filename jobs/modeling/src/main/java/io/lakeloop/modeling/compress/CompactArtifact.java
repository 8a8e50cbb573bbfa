package io.lakeloop.modeling.compress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.model.Int8Quantizer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A compressed model in one zip: the network configuration (DL4J JSON), the feature encoding, and
 * the parameters — every weight matrix ({@code W}) as per-channel int8 codes with float32 scales
 * (and zero points when asymmetric) stored dense, as a bitmap of non-zero codes, or row by row as
 * column indices (CSR), whichever is smallest for that matrix; every other parameter (biases) as
 * float32. {@link #read} rebuilds a DL4J network with the dequantized weights: its outputs equal
 * those of {@link #quantized} (the same float values), bit for bit.
 */
public final class CompactArtifact {
  public static final String FORMAT = "lakeloop-compact-v1";
  private static final String MANIFEST = "manifest.json";
  private static final String CONFIGURATION = "configuration.json";
  private static final String ENCODING = "encoding.json";
  private static final String PARAMS = "params.bin";

  /** How one weight matrix was stored, for the manifest and reports. */
  public record Stored(int layer, int rows, int cols, String layout, int bytes, double sparsity) {}

  private CompactArtifact() {}

  /** The network with every weight matrix replaced by its quantized-then-dequantized values. */
  public static MultiLayerNetwork quantized(MultiLayerNetwork net, boolean asymmetric) {
    MultiLayerNetwork q = net.clone();
    for (int i = 0; i < q.getnLayers(); i++) {
      INDArray w = q.getLayer(i).paramTable().get("W");
      if (w == null) {
        continue;
      }
      int rows = (int) w.rows();
      int cols = (int) w.columns();
      Int8Quantizer.Quantized codes =
          Int8Quantizer.quantize(w.dup('c').data().asFloat(), rows, cols, asymmetric, null);
      w.assign(Nd4j.create(codes.dequantize(), new long[] {rows, cols}, 'c'));
    }
    return q;
  }

  /** Writes the compact artifact of {@code net}; returns how each weight matrix was stored. */
  public static Map<Integer, Stored> write(
      MultiLayerNetwork net, FeatureEncoding encoding, boolean asymmetric, File file) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = json.createObjectNode();
    manifest.put("format", FORMAT);
    manifest.put("asymmetric", asymmetric);
    ArrayNode layers = manifest.putArray("layers");
    Map<Integer, Stored> stored = new LinkedHashMap<>();
    ByteArrayOutputStream params = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(params)) {
      for (int i = 0; i < net.getnLayers(); i++) {
        ObjectNode layer = layers.addObject();
        layer.put("index", i);
        ArrayNode keys = layer.putArray("params");
        for (Map.Entry<String, INDArray> p : net.getLayer(i).paramTable().entrySet()) {
          keys.add(p.getKey());
          INDArray v = p.getValue();
          if (p.getKey().equals("W")) {
            int rows = (int) v.rows();
            int cols = (int) v.columns();
            float[] w = v.dup('c').data().asFloat();
            Int8Quantizer.Quantized q = Int8Quantizer.quantize(w, rows, cols, asymmetric, null);
            int before = out.size();
            String layout = writeWeights(out, q);
            stored.put(
                i,
                new Stored(
                    i, rows, cols, layout, out.size() - before, MagnitudePruning.sparsity(w)));
          } else {
            float[] f = v.dup('c').data().asFloat();
            out.writeInt(f.length);
            for (float x : f) {
              out.writeFloat(x);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    try (ZipOutputStream zip =
        new ZipOutputStream(java.nio.file.Files.newOutputStream(file.toPath()))) {
      put(zip, MANIFEST, json.writeValueAsBytes(manifest));
      put(
          zip,
          CONFIGURATION,
          net.getLayerWiseConfigurations().toJson().getBytes(StandardCharsets.UTF_8));
      put(zip, ENCODING, encoding.toJson().getBytes(StandardCharsets.UTF_8));
      put(zip, PARAMS, params.toByteArray());
    } catch (IOException e) {
      throw new LakeloopException("cannot write the compact artifact " + file + ": " + e, e);
    }
    return stored;
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  /** Writes scales (+ zero points), then the codes in the smallest of three layouts. */
  private static String writeWeights(DataOutputStream out, Int8Quantizer.Quantized q)
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
      return "dense";
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
      return "bitmap";
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
    return "csr";
  }

  private static int zero(Int8Quantizer.Quantized q, int col) {
    return q.symmetric() ? 0 : q.zeroPoints()[col];
  }

  /** A compact artifact loaded back: the network (dequantized weights) and its encoding. */
  public record Loaded(MultiLayerNetwork network, FeatureEncoding encoding) {}

  public static Loaded read(File file) {
    try (ZipFile zip = new ZipFile(file)) {
      JsonNode manifest = new ObjectMapper().readTree(bytes(zip, MANIFEST));
      if (!FORMAT.equals(manifest.path("format").asText())) {
        throw new LakeloopException(
            file + " is not a " + FORMAT + " artifact (format: " + manifest.path("format") + ")");
      }
      boolean asymmetric = manifest.path("asymmetric").asBoolean();
      MultiLayerNetwork net =
          new MultiLayerNetwork(
              MultiLayerConfiguration.fromJson(
                  new String(bytes(zip, CONFIGURATION), StandardCharsets.UTF_8)));
      net.init();
      FeatureEncoding encoding =
          FeatureEncoding.fromJson(new String(bytes(zip, ENCODING), StandardCharsets.UTF_8));
      try (DataInputStream in =
          new DataInputStream(new java.io.ByteArrayInputStream(bytes(zip, PARAMS)))) {
        for (JsonNode layer : manifest.path("layers")) {
          int i = layer.path("index").asInt();
          for (JsonNode key : layer.path("params")) {
            INDArray target = net.getLayer(i).paramTable().get(key.asText());
            if (key.asText().equals("W")) {
              target.assign(readWeights(in, asymmetric));
            } else {
              float[] f = new float[in.readInt()];
              for (int k = 0; k < f.length; k++) {
                f[k] = in.readFloat();
              }
              target.assign(Nd4j.create(f, target.shape(), 'c'));
            }
          }
        }
      }
      return new Loaded(net, encoding);
    } catch (IOException | RuntimeException e) {
      if (e instanceof LakeloopException l) {
        throw l;
      }
      throw new LakeloopException("cannot read the compact artifact " + file + ": " + e, e);
    }
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

  private static INDArray readWeights(DataInputStream in, boolean asymmetric) throws IOException {
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
    float[] w = new Int8Quantizer.Quantized(rows, cols, v, scales, zeros).dequantize();
    return Nd4j.create(w, new long[] {rows, cols}, 'c');
  }
}
