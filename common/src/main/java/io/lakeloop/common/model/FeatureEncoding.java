package io.lakeloop.common.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.LakeloopException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a model turns a prediction_log row into its input vector — saved inside every model artifact
 * so that whoever loads the model applies exactly the preprocessing it was trained with.
 *
 * <p>Layout, in order: for each numeric feature two slots — the value standardised with the
 * training statistics, {@code (x - mean) / std} (std 0 or unknown: {@code x - mean}), and a missing
 * flag; a null, NaN or ±∞ value gives 0 and flag 1. Then for each categorical feature a one-hot
 * block over its fixed vocabulary followed by an {@value #OTHER} slot (a value outside the
 * vocabulary: unseen at training time or too rare to keep) and a {@value #NULL} slot.
 *
 * <p>A regression model's encoding also holds its target's standardisation ({@link #target()}): the
 * network learns {@code (y - mean) / std} of the training labels and its output becomes a
 * prediction through {@link #prediction(double)}, so every consumer of the artifact predicts in the
 * label's own units.
 *
 * <p>Immutable and serializable (it travels to Spark executors); {@link #toJson} / {@link
 * #fromJson} give the artifact's stored form.
 */
public final class FeatureEncoding implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String OTHER = "__other__";
  public static final String NULL = "__null__";
  static final int FORMAT = 1;

  /** A numeric feature's standardisation. */
  public record Numeric(String name, double mean, double std) implements Serializable {
    public Numeric {
      if (!Double.isFinite(mean) || !(std >= 0) || !Double.isFinite(std)) {
        throw new IllegalArgumentException(
            "feature "
                + name
                + ": mean and std must be finite and std ≥ 0; got mean="
                + mean
                + ", std="
                + std);
      }
    }

    /** {@code (x - mean) / std}; with std 0, {@code x - mean}. */
    public double standardise(double x) {
      double centred = x - mean;
      return std > 0 ? centred / std : centred;
    }

    /** The inverse of {@link #standardise}: {@code z · std + mean} (std 0: {@code z + mean}). */
    public double unstandardise(double z) {
      return (std > 0 ? z * std : z) + mean;
    }
  }

  /** A categorical feature's vocabulary (distinct values, in slot order). */
  public record Categorical(String name, List<String> vocabulary) implements Serializable {
    public Categorical {
      vocabulary = List.copyOf(vocabulary);
      if (new HashSet<>(vocabulary).size() != vocabulary.size()
          || vocabulary.contains(OTHER)
          || vocabulary.contains(NULL)) {
        throw new IllegalArgumentException(
            "feature "
                + name
                + ": the vocabulary must hold distinct values other than "
                + OTHER
                + " and "
                + NULL
                + "; got "
                + vocabulary);
      }
    }
  }

  private final List<Numeric> numeric;
  private final List<Categorical> categorical;
  private final Numeric target; // null: a classifier's encoding
  private final int width;
  private transient Map<String, Integer>[] slots; // per categorical feature: value -> offset

  public FeatureEncoding(List<Numeric> numeric, List<Categorical> categorical) {
    this(numeric, categorical, null);
  }

  private FeatureEncoding(List<Numeric> numeric, List<Categorical> categorical, Numeric target) {
    this.numeric = List.copyOf(numeric);
    this.categorical = List.copyOf(categorical);
    this.target = target;
    int w = 2 * this.numeric.size();
    for (Categorical c : this.categorical) {
      w += c.vocabulary().size() + 2;
    }
    this.width = w;
  }

  public List<Numeric> numeric() {
    return numeric;
  }

  public List<Categorical> categorical() {
    return categorical;
  }

  /** This encoding with a regression target's standardisation (the training labels' statistics). */
  public FeatureEncoding withTarget(Numeric target) {
    return new FeatureEncoding(numeric, categorical, Objects.requireNonNull(target));
  }

  /** The regression target's standardisation; empty for a classifier. */
  public Optional<Numeric> target() {
    return Optional.ofNullable(target);
  }

  /** A label as the network learns it: {@code (y - mean) / std} (std 0: {@code y - mean}). */
  public double standardisedTarget(double label) {
    return regressionTarget().standardise(label);
  }

  /** A regression network's output in the label's units: {@code z · std + mean}. */
  public double prediction(double output) {
    return regressionTarget().unstandardise(output);
  }

  private Numeric regressionTarget() {
    if (target == null) {
      throw new IllegalStateException("this encoding has no regression target (a classifier's)");
    }
    return target;
  }

  /** The length of an encoded vector. */
  public int width() {
    return width;
  }

  /**
   * Encodes one row into {@code out[offset, offset + width())}.
   *
   * @param numericValues the numeric features' values in {@link #numeric()} order (null allowed)
   * @param categoricalValues the categorical features' values in {@link #categorical()} order (null
   *     allowed)
   */
  public void encode(Double[] numericValues, String[] categoricalValues, float[] out, int offset) {
    if (numericValues.length != numeric.size() || categoricalValues.length != categorical.size()) {
      throw new IllegalArgumentException(
          "encode: "
              + numericValues.length
              + " numeric and "
              + categoricalValues.length
              + " categorical values given, the encoding has "
              + numeric.size()
              + " and "
              + categorical.size());
    }
    int at = offset;
    for (int i = 0; i < numeric.size(); i++) {
      Double v = numericValues[i];
      if (v == null || !Double.isFinite(v)) {
        out[at] = 0f;
        out[at + 1] = 1f;
      } else {
        out[at] = (float) numeric.get(i).standardise(v);
        out[at + 1] = 0f;
      }
      at += 2;
    }
    Map<String, Integer>[] s = slots();
    for (int j = 0; j < categorical.size(); j++) {
      int size = categorical.get(j).vocabulary().size();
      Arrays.fill(out, at, at + size + 2, 0f);
      String v = categoricalValues[j];
      int slot = v == null ? size + 1 : s[j].getOrDefault(v, size);
      out[at + slot] = 1f;
      at += size + 2;
    }
  }

  /** A new vector for one row (see {@link #encode(Double[], String[], float[], int)}). */
  public float[] encode(Double[] numericValues, String[] categoricalValues) {
    float[] out = new float[width];
    encode(numericValues, categoricalValues, out, 0);
    return out;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Integer>[] slots() {
    Map<String, Integer>[] s = slots;
    if (s == null) {
      s = new Map[categorical.size()];
      for (int j = 0; j < s.length; j++) {
        Map<String, Integer> m = new HashMap<>();
        List<String> vocabulary = categorical.get(j).vocabulary();
        for (int k = 0; k < vocabulary.size(); k++) {
          m.put(vocabulary.get(k), k);
        }
        s[j] = m;
      }
      slots = s;
    }
    return s;
  }

  /**
   * The stored form: {"format": 1, "numeric": [{name, mean, std}], "categorical": [...]} and, for a
   * regression model, "target": {name, mean, std}.
   */
  public String toJson() {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("format", FORMAT);
    ArrayNode n = root.putArray("numeric");
    for (Numeric f : numeric) {
      n.addObject().put("name", f.name()).put("mean", f.mean()).put("std", f.std());
    }
    ArrayNode c = root.putArray("categorical");
    for (Categorical f : categorical) {
      ObjectNode o = c.addObject().put("name", f.name());
      ArrayNode v = o.putArray("vocabulary");
      f.vocabulary().forEach(v::add);
    }
    if (target != null) {
      root.putObject("target")
          .put("name", target.name())
          .put("mean", target.mean())
          .put("std", target.std());
    }
    try {
      return mapper.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a feature encoding as JSON", e);
    }
  }

  /**
   * Reads the stored form back.
   *
   * @throws LakeloopException naming what is wrong when the text is not a feature encoding of a
   *     format this version reads
   */
  public static FeatureEncoding fromJson(String json) {
    try {
      JsonNode root = new ObjectMapper().readTree(json);
      int format = root.path("format").asInt(-1);
      if (format != FORMAT) {
        throw new LakeloopException(
            "the model's feature encoding has format "
                + format
                + "; this lakeloop reads format "
                + FORMAT
                + " — load the model with the lakeloop version that wrote it");
      }
      List<Numeric> numeric = new ArrayList<>();
      for (JsonNode f : root.path("numeric")) {
        numeric.add(
            new Numeric(
                f.path("name").asText(), f.path("mean").asDouble(), f.path("std").asDouble()));
      }
      List<Categorical> categorical = new ArrayList<>();
      for (JsonNode f : root.path("categorical")) {
        List<String> vocabulary = new ArrayList<>();
        f.path("vocabulary").forEach(v -> vocabulary.add(v.asText()));
        categorical.add(new Categorical(f.path("name").asText(), vocabulary));
      }
      JsonNode t = root.path("target");
      Numeric target =
          t.isObject()
              ? new Numeric(
                  t.path("name").asText(), t.path("mean").asDouble(), t.path("std").asDouble())
              : null;
      return new FeatureEncoding(numeric, categorical, target);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new LakeloopException(
          "the model's feature encoding cannot be read (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureEncoding e
        && e.numeric.equals(numeric)
        && e.categorical.equals(categorical)
        && Objects.equals(e.target, target);
  }

  @Override
  public int hashCode() {
    return (numeric.hashCode() * 31 + categorical.hashCode()) * 31 + Objects.hashCode(target);
  }

  @Override
  public String toString() {
    return "FeatureEncoding[numeric="
        + numeric
        + ", categorical="
        + categorical
        + (target == null ? "" : ", target=" + target)
        + "]";
  }
}
