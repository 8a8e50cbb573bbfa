package io.lakeloop.modeling.artifact;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.model.Int8Quantizer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A compressed model in one zip: the network configuration (DL4J JSON), the feature encoding, and
 * the parameters — every weight matrix ({@code W}) as per-channel int8 codes with float32 scales
 * (and zero points when asymmetric) stored dense, as a bitmap of non-zero codes, or row by row as
 * column indices (CSR), whichever is smallest for that matrix; every other parameter (biases) as
 * float32. The format and its Spark-free reader live in {@link CompactModel}; this class writes it
 * from a DL4J network and {@link #read} rebuilds a DL4J network with the dequantized weights: its
 * outputs equal those of {@link #quantized} (the same float values), bit for bit.
 */
public final class CompactArtifact {
  public static final String FORMAT = CompactModel.FORMAT;

  /** How one weight matrix was stored, for the manifest and reports. */
  public record Stored(int layer, int rows, int cols, String layout, int bytes, double sparsity) {}

  private CompactArtifact() {}

  /** The network with every weight matrix replaced by its quantized-then-dequantized values. */
  public static MultiLayerNetwork quantized(MultiLayerNetwork net, boolean asymmetric) {
    return quantized(net, asymmetric, Map.of());
  }

  /** As {@link #quantized(MultiLayerNetwork, boolean)}, with per-layer clipping limits. */
  public static MultiLayerNetwork quantized(
      MultiLayerNetwork net, boolean asymmetric, Map<Integer, float[]> clips) {
    MultiLayerNetwork q = net.clone();
    for (int i = 0; i < q.getnLayers(); i++) {
      INDArray w = q.getLayer(i).paramTable().get("W");
      if (w == null) {
        continue;
      }
      int rows = (int) w.rows();
      int cols = (int) w.columns();
      Int8Quantizer.Quantized codes =
          Int8Quantizer.quantize(w.dup('c').data().asFloat(), rows, cols, asymmetric, clips.get(i));
      w.assign(Nd4j.create(codes.dequantize(), new long[] {rows, cols}, 'c'));
    }
    return q;
  }

  /** Writes the compact artifact of {@code net}; returns how each weight matrix was stored. */
  public static Map<Integer, Stored> write(
      MultiLayerNetwork net, FeatureEncoding encoding, boolean asymmetric, File file) {
    return write(net, encoding, asymmetric, Map.of(), file);
  }

  /**
   * As {@link #write(MultiLayerNetwork, FeatureEncoding, boolean, File)}, weights clipped per layer
   * and column as {@code clips} says (from {@link #calibrate}; a layer not in it unclipped).
   */
  public static Map<Integer, Stored> write(
      MultiLayerNetwork net,
      FeatureEncoding encoding,
      boolean asymmetric,
      Map<Integer, float[]> clips,
      File file) {
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
        layer.put("activation", activation(net, i));
        Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
        layer.put("type", conf instanceof OutputLayer ? "output" : "dense");
        if (conf instanceof OutputLayer o) {
          layer.put("loss", o.getLossFn().getClass().getName());
        }
        ArrayNode keys = layer.putArray("params");
        for (Map.Entry<String, INDArray> p : net.getLayer(i).paramTable().entrySet()) {
          keys.add(p.getKey());
          INDArray v = p.getValue();
          if (p.getKey().equals("W")) {
            int rows = (int) v.rows();
            int cols = (int) v.columns();
            float[] w = v.dup('c').data().asFloat();
            Int8Quantizer.Quantized q =
                Int8Quantizer.quantize(w, rows, cols, asymmetric, clips.get(i));
            int before = out.size();
            String layout = CompactModel.writeWeights(out, q);
            stored.put(
                i,
                new Stored(i, rows, cols, layout, out.size() - before, CompactModel.sparsity(w)));
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
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file.toPath()))) {
      put(zip, CompactModel.MANIFEST, json.writeValueAsBytes(manifest));
      if (!describedByManifest(net)) {
        put(
            zip,
            CompactModel.CONFIGURATION,
            net.getLayerWiseConfigurations().toJson().getBytes(StandardCharsets.UTF_8));
      }
      put(zip, CompactModel.ENCODING, encoding.toJson().getBytes(StandardCharsets.UTF_8));
      put(zip, CompactModel.PARAMS, params.toByteArray());
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

  /**
   * Clipping limits per layer and output channel chosen on a calibration sample: each layer's
   * inputs are the float network's activations on {@code sample} (encoded rows), and {@link
   * Int8Quantizer#calibrate} picks per channel the percentile of |w| that disturbs that layer's
   * pre-activations least.
   */
  public static Map<Integer, float[]> calibrate(
      MultiLayerNetwork net, INDArray sample, boolean asymmetric, double[] percentiles) {
    List<INDArray> activations = net.feedForward(sample, false);
    Map<Integer, float[]> clips = new LinkedHashMap<>();
    int n = (int) sample.rows();
    for (int i = 0; i < net.getnLayers(); i++) {
      INDArray w = net.getLayer(i).paramTable().get("W");
      if (w == null) {
        continue;
      }
      int rows = (int) w.rows();
      int cols = (int) w.columns();
      float[] in = activations.get(i).dup('c').data().asFloat();
      clips.put(
          i,
          Int8Quantizer.calibrate(
              w.dup('c').data().asFloat(), rows, cols, in, n, asymmetric, percentiles));
    }
    return clips;
  }

  /**
   * Whether the manifest's layer list (dense or output, sizes, activation, loss) rebuilds the
   * network for inference: then the DL4J configuration JSON (several kB, most of a small model's
   * file) is not stored. Any other network keeps it.
   */
  static boolean describedByManifest(MultiLayerNetwork net) {
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
      if (!(conf.getClass() == DenseLayer.class || conf.getClass() == OutputLayer.class)
          || !CompactModel.ACTIVATIONS.contains(activation(net, i))) {
        return false;
      }
      if (conf instanceof OutputLayer o) {
        try {
          o.getLossFn().getClass().getConstructor();
        } catch (NoSuchMethodException e) {
          return false;
        }
      }
    }
    return true;
  }

  /** The configuration the manifest describes (Adam for any later fine-tuning). */
  private static MultiLayerConfiguration fromManifest(CompactModel model) throws Exception {
    NeuralNetConfiguration.ListBuilder b =
        new NeuralNetConfiguration.Builder().updater(new Adam()).list();
    for (CompactModel.Layer l : model.layers()) {
      Activation a = Activation.valueOf(l.activation().toUpperCase(Locale.ROOT));
      if ("output".equals(l.type())) {
        ILossFunction loss = (ILossFunction) Class.forName(l.loss()).getConstructor().newInstance();
        b.layer(
            new OutputLayer.Builder()
                .nIn(l.in())
                .nOut(l.out())
                .activation(a)
                .lossFunction(loss)
                .build());
      } else {
        b.layer(new DenseLayer.Builder().nIn(l.in()).nOut(l.out()).activation(a).build());
      }
    }
    return b.build();
  }

  /** A compact artifact loaded back: the network (dequantized weights) and its encoding. */
  public static ModelArtifact read(File file) {
    CompactModel model = CompactModel.read(file.toPath());
    try {
      MultiLayerNetwork net =
          new MultiLayerNetwork(
              model.configuration().isPresent()
                  ? MultiLayerConfiguration.fromJson(model.configuration().get())
                  : fromManifest(model));
      net.init();
      for (CompactModel.Layer layer : model.layers()) {
        for (Map.Entry<String, float[]> p : layer.params().entrySet()) {
          INDArray target = net.getLayer(layer.index()).paramTable().get(p.getKey());
          target.assign(Nd4j.create(p.getValue(), target.shape(), 'c'));
        }
      }
      return new ModelArtifact(net, model.encoding());
    } catch (Exception e) {
      throw new LakeloopException(
          "cannot load the compact artifact " + file + " into DL4J: " + e, e);
    }
  }

  /**
   * The layer's activation by the name {@link CompactModel} knows it ({@code relu}, {@code
   * softmax}, …), or DL4J's class name for any other.
   */
  static String activation(MultiLayerNetwork net, int layer) {
    Layer conf = net.getLayerWiseConfigurations().getConf(layer).getLayer();
    if (!(conf instanceof BaseLayer base)) {
      return conf.getClass().getName();
    }
    IActivation a = base.getActivationFn();
    if (a instanceof ActivationIdentity) {
      return "identity";
    }
    if (a instanceof ActivationReLU) {
      return "relu";
    }
    if (a instanceof ActivationTanH) {
      return "tanh";
    }
    if (a instanceof ActivationSigmoid) {
      return "sigmoid";
    }
    if (a instanceof ActivationSoftmax) {
      return "softmax";
    }
    return a.getClass().getName();
  }
}
