import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.PublishedModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Test helper of tests/test_s3_demo.py, run as a single-file program (java -cp CP this.java):
 * loads a published model through lakeloop's Spark-free consumer API from a warehouse on s3a://
 * and prints, for each JSON object of feature values read from stdin, the predicted class
 * probabilities (one comma-separated line per row). The S3 endpoint and credentials come from the
 * environment, as a service's would.
 *
 * <p>Arguments: WAREHOUSE REF (e.g. s3a://bucket/lakehouse churn@champion).
 */
public class ConsumePublished {
  public static void main(String[] args) throws Exception {
    Configuration hadoop = new Configuration();
    hadoop.set("fs.s3a.endpoint", System.getenv("LAKELOOP_S3_ENDPOINT"));
    hadoop.set("fs.s3a.path.style.access", "true");
    hadoop.set("fs.s3a.connection.ssl.enabled", "false");
    hadoop.set("fs.s3a.endpoint.region", "us-east-1");
    PublishedModels registry = new PublishedModels(hadoop, args[0]);
    PublishedModels.Model model =
        registry.load(ModelRef.parse(args[1]), Files.createTempDirectory("consume-published"));
    System.out.println("loaded " + model.entry().ref());
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isBlank()) {
          continue;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> row = json.readValue(line, Map.class);
        double[] p = model.predict(row).probabilities();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < p.length; i++) {
          out.append(i == 0 ? "" : ",").append(p[i]);
        }
        System.out.println(out);
      }
    }
  }
}
