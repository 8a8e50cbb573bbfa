package io.lakeloop.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.PublishedModels;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A predict request's body checked, answered and logged (pure: no I/O). The body is the
 * KServe/TF-Serving v1 form {@code {"instances": [{feature: value, …}, …]}}, each instance with an
 * optional {@code request_id}. Every instance is checked before any is answered: one bad instance
 * refuses the request (a {@link Refusal} naming the field and the fix), and nothing is logged.
 */
final class Predictions {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String REQUEST_ID = "request_id";
  private static final int MAX_REQUEST_ID = 256;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

  /** Every reason a request is refused for (the {@code reason} label of the refusal counter). */
  static final java.util.List<String> REASONS =
      java.util.List.of(
          "invalid_json",
          "no_instances",
          "empty_batch",
          "batch_too_large",
          "body_too_large",
          "not_an_object",
          "missing_feature",
          "not_a_number",
          "not_a_value",
          "bad_request_id",
          "duplicate_request_id",
          "unknown_model",
          "not_ready",
          "method_not_allowed",
          "no_such_endpoint",
          "no_token",
          "bad_token",
          "log_unavailable");

  private Predictions() {}

  /** A request refused with a 4xx: the HTTP status, a reason (a metric label), the field, why. */
  static final class Refusal extends Exception {
    final int status;
    final String reason;
    final String field;

    Refusal(int status, String reason, String field, String message) {
      super(message);
      if (!REASONS.contains(reason)) {
        throw new IllegalArgumentException("undeclared refusal reason " + reason);
      }
      this.status = status;
      this.reason = reason;
      this.field = field;
    }

    byte[] body() {
      ObjectNode e = JSON.createObjectNode();
      ObjectNode inner = e.putObject("error");
      inner.put("code", reason);
      if (field != null) {
        inner.put("field", field);
      }
      inner.put("message", getMessage());
      return bytes(e);
    }
  }

  /** The answer's body and the traffic log's lines, one per instance. */
  record Answer(byte[] body, List<String> logLines, int instances) {}

  /** Parses, checks and answers a predict body with {@code model}, at time {@code now}. */
  static Answer answer(
      byte[] body, int maxBatch, ModelSpec spec, PublishedModels.Model model, Instant now)
      throws Refusal {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Refusal(
          400,
          "invalid_json",
          null,
          "the body is not JSON ("
              + e.getOriginalMessage()
              + "); send {\"instances\": [{\"feature\": value, ...}]}");
    } catch (IOException e) {
      throw new Refusal(400, "invalid_json", null, "the body is not JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject() || !root.has("instances")) {
      throw new Refusal(
          400,
          "no_instances",
          "instances",
          "the body has no \"instances\" field; send {\"instances\": [{\"feature\": value, ...}]}");
    }
    JsonNode instances = root.get("instances");
    if (!instances.isArray()) {
      throw new Refusal(
          400, "no_instances", "instances", "\"instances\" must be a list of objects");
    }
    if (instances.isEmpty()) {
      throw new Refusal(
          400, "empty_batch", "instances", "\"instances\" is empty; send at least one instance");
    }
    if (instances.size() > maxBatch) {
      throw new Refusal(
          413,
          "batch_too_large",
          "instances",
          "\"instances\" has "
              + instances.size()
              + " entries, more than lakeloop.serve.max-batch = "
              + maxBatch
              + "; split the request");
    }
    FeatureEncoding enc = model.network().encoding();
    List<Map<String, Object>> rows = new ArrayList<>(instances.size());
    List<String> ids = new ArrayList<>(instances.size());
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < instances.size(); i++) {
      JsonNode in = instances.get(i);
      String at = "instances[" + i + "]";
      if (!in.isObject()) {
        throw new Refusal(400, "not_an_object", at, at + " is not an object of feature values");
      }
      Map<String, Object> row = new HashMap<>();
      for (FeatureEncoding.Numeric f : enc.numeric()) {
        row.put(f.name(), numeric(in, f.name(), at));
      }
      for (FeatureEncoding.Categorical f : enc.categorical()) {
        row.put(f.name(), text(in, f.name(), at, true));
      }
      for (String c : spec.sliceColumns()) {
        if (!row.containsKey(c)) {
          row.put(c, text(in, c, at, false));
        }
      }
      rows.add(row);
      String id = requestId(in, at);
      if (!seen.add(id)) {
        throw new Refusal(
            400,
            "duplicate_request_id",
            at + "." + REQUEST_ID,
            at + ".request_id '" + id + "' appears twice in this request; request ids are unique");
      }
      ids.add(id);
    }
    String version = Integer.toString(model.entry().version());
    String name = model.entry().modelName();
    String time = TIME.format(now);
    ObjectNode out = JSON.createObjectNode();
    ArrayNode predictions = out.putArray("predictions");
    List<String> lines = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      PublishedModels.Prediction p = model.predict(rows.get(i));
      ObjectNode o = predictions.addObject();
      o.put(REQUEST_ID, ids.get(i));
      o.put("model_name", name);
      o.put("model_version", version);
      double[] pr = p.probabilities();
      if (p.regression()) {
        o.put("prediction", p.value());
      } else {
        o.put("label", label(spec, p.label()));
        o.put("class_index", p.label());
        ObjectNode probs = o.putObject("probabilities");
        for (int k = 0; k < pr.length; k++) {
          probs.put(label(spec, k), pr[k]);
        }
      }
      ObjectNode line = JSON.createObjectNode();
      line.put(REQUEST_ID, ids.get(i));
      line.put("event_time", time);
      line.put("model_name", name);
      line.put("model_version", version);
      line.put("prediction", p.value());
      if (p.regression()) {
        line.putNull("scores");
      } else {
        ArrayNode scores = line.putArray("scores");
        for (double v : pr) {
          scores.add(v);
        }
      }
      for (Map.Entry<String, Object> e : rows.get(i).entrySet()) {
        if (e.getValue() instanceof Double d) {
          line.put(e.getKey(), d);
        } else if (e.getValue() != null) {
          line.put(e.getKey(), e.getValue().toString());
        }
      }
      lines.add(line.toString());
    }
    return new Answer(bytes(out), lines, rows.size());
  }

  private static String label(ModelSpec spec, int k) {
    return k < spec.classLabels().size() ? spec.classLabels().get(k) : Integer.toString(k);
  }

  private static Double numeric(JsonNode in, String name, String at) throws Refusal {
    if (!in.has(name)) {
      throw missing(at, name, "numeric", "a number");
    }
    JsonNode v = in.get(name);
    if (v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      double d = v.asDouble();
      if (Double.isFinite(d)) {
        return d;
      }
    }
    if (v.isTextual()) {
      try {
        double d = Double.parseDouble(v.asText().trim());
        if (Double.isFinite(d)) {
          return d;
        }
      } catch (NumberFormatException e) {
        // refused below
      }
    }
    throw new Refusal(
        400,
        "not_a_number",
        at + "." + name,
        at
            + "."
            + name
            + " is "
            + v
            + ", not a finite number; the feature is numeric (send a number, or null for"
            + " missing)");
  }

  private static String text(JsonNode in, String name, String at, boolean required) throws Refusal {
    if (!in.has(name)) {
      if (!required) {
        return null;
      }
      throw missing(at, name, "categorical", "a value");
    }
    JsonNode v = in.get(name);
    if (v.isNull()) {
      return null;
    }
    if (!v.isValueNode()) {
      throw new Refusal(
          400,
          "not_a_value",
          at + "." + name,
          at + "." + name + " is a " + v.getNodeType() + "; send a string, a number or null");
    }
    return v.asText();
  }

  private static Refusal missing(String at, String name, String kind, String what) {
    return new Refusal(
        400,
        "missing_feature",
        at + "." + name,
        at
            + " lacks the "
            + kind
            + " feature '"
            + name
            + "'; send "
            + what
            + ", or null for missing");
  }

  private static String requestId(JsonNode in, String at) throws Refusal {
    JsonNode v = in.get(REQUEST_ID);
    if (v == null || v.isNull()) {
      return UUID.randomUUID().toString();
    }
    if (!v.isTextual() || v.asText().isBlank() || v.asText().length() > MAX_REQUEST_ID) {
      throw new Refusal(
          400,
          "bad_request_id",
          at + "." + REQUEST_ID,
          at
              + ".request_id must be a non-empty string of at most "
              + MAX_REQUEST_ID
              + " characters (or left out: the server makes one)");
    }
    return v.asText();
  }

  static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
