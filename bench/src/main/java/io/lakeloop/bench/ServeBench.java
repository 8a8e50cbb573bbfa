package io.lakeloop.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.PublishedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;

/**
 * The serving benchmark's Java side (bench/serve): loads the published model through {@link
 * PublishedModels} and writes, into {@code --out}, the request bodies the load generator sends
 * ({@code body-1.json}, {@code body-100.json}: instances drawn around the training means and over
 * the vocabularies, seed 7) and {@code model.json} — the same network's dequantized weights and
 * feature encoding for the Flask baseline; then measures the ceiling: the same forward pass ({@code
 * Model.predict} on the body's instances) in a loop on {@code --threads} threads for {@code
 * --seconds}, and prints {@code ceiling_predictions_per_s=N}.
 */
public final class ServeBench {
  private ServeBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Path out = Path.of(a.get("out"));
    Files.createDirectories(out);
    PublishedModels registry = new PublishedModels(new Configuration(), a.get("warehouse"));
    PublishedModels.Model model =
        registry.load(ModelRef.parse(a.getOrDefault("ref", "churn@champion")), out);
    ObjectMapper json = new ObjectMapper();
    List<Map<String, Object>> instances = instances(model.network().encoding(), 100);
    write(json, out.resolve("body-1.json"), instances.subList(0, 1));
    write(json, out.resolve("body-100.json"), instances);
    json.writeValue(out.resolve("model.json").toFile(), export(json, model));
    int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
    double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Thread> ts = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      Thread th =
          new Thread(
              () -> {
                long n = 0;
                double sink = 0;
                while (System.nanoTime() < end) {
                  for (Map<String, Object> row : instances) {
                    sink += model.predict(row).probabilities()[0];
                  }
                  n += instances.size();
                }
                done.addAndGet(n + (sink == 42 ? 1 : 0));
              });
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) {
      th.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "model=%s threads=%d ceiling_predictions_per_s=%.0f%n",
        model.entry().ref(), threads, done.get() / elapsed);
  }

  private static List<Map<String, Object>> instances(FeatureEncoding enc, int n) {
    Random r = new Random(7);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("request_id", "bench-" + i);
      for (FeatureEncoding.Numeric f : enc.numeric()) {
        row.put(f.name(), f.mean() + f.std() * r.nextGaussian());
      }
      for (FeatureEncoding.Categorical c : enc.categorical()) {
        row.put(c.name(), c.vocabulary().get(r.nextInt(c.vocabulary().size())));
      }
      rows.add(row);
    }
    return rows;
  }

  private static void write(ObjectMapper json, Path file, List<Map<String, Object>> rows)
      throws Exception {
    json.writeValue(file.toFile(), Map.of("instances", rows));
  }

  private static ObjectNode export(ObjectMapper json, PublishedModels.Model model) {
    ObjectNode o = json.createObjectNode();
    o.put("model_name", model.entry().modelName());
    o.put("model_version", Integer.toString(model.entry().version()));
    FeatureEncoding enc = model.network().encoding();
    ArrayNode numeric = o.putArray("numeric");
    for (FeatureEncoding.Numeric f : enc.numeric()) {
      numeric.addObject().put("name", f.name()).put("mean", f.mean()).put("std", f.std());
    }
    ArrayNode categorical = o.putArray("categorical");
    for (FeatureEncoding.Categorical c : enc.categorical()) {
      ObjectNode n = categorical.addObject().put("name", c.name());
      c.vocabulary().forEach(n.putArray("vocabulary")::add);
    }
    ArrayNode layers = o.putArray("layers");
    for (CompactModel.Layer l : model.network().layers()) {
      ObjectNode n = layers.addObject();
      n.put("in", l.in()).put("out", l.out()).put("activation", l.activation());
      ArrayNode w = n.putArray("W");
      for (float v : l.params().get("W")) {
        w.add(v);
      }
      ArrayNode b = n.putArray("b");
      for (float v : l.params().get("b")) {
        b.add(v);
      }
    }
    return o;
  }
}
