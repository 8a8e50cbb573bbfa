package io.lakeloop.modeling.score;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.PublishedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * A model consumer as a service would be one, run by the test in its own JVM on a classpath without
 * Spark, Scala or DL4J: {@code WAREHOUSE REF CACHE_DIR IN OUT} — IN holds one JSON object of raw
 * feature values per line, OUT gets one JSON array of class probabilities per line, after a first
 * line naming the model loaded and whether Spark could be loaded at all.
 */
public final class ConsumerProbe {
  private ConsumerProbe() {}

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    PublishedModels registry = new PublishedModels(new Configuration(), args[0]);
    PublishedModels.Model model = registry.load(ModelRef.parse(args[1]), Path.of(args[2]));
    boolean spark;
    try {
      Class.forName("org.apache.spark.sql.SparkSession");
      spark = true;
    } catch (ClassNotFoundException e) {
      spark = false;
    }
    List<String> out = new ArrayList<>();
    out.add(model.entry().ref() + " spark=" + spark);
    for (String line : Files.readAllLines(Path.of(args[3]))) {
      @SuppressWarnings("unchecked")
      Map<String, Object> features = json.readValue(line, Map.class);
      out.add(json.writeValueAsString(model.predict(features).probabilities()));
    }
    Files.write(Path.of(args[4]), out);
  }
}
