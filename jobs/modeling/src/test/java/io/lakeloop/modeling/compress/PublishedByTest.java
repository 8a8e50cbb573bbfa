package io.lakeloop.modeling.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeloop.common.registry.ModelRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which registry row a rerun of a compress run promotes instead of compressing again. */
class PublishedByTest {
  private static ModelRegistry.Entry entry(
      int version, String status, String runId, Integer parent) {
    return new ModelRegistry.Entry(
        "churn",
        version,
        "file:/a/" + version,
        "sha" + version,
        1L,
        "f",
        parent,
        List.of(),
        Map.of(),
        null,
        status,
        Instant.EPOCH,
        runId);
  }

  @Test
  void theRunsPublishedVersionOfTheSameSourceOnly() {
    var versions =
        List.of(
            // an Airflow run id is shared by the DAG's tasks: train's candidates are not it
            entry(1, ModelRegistry.CANDIDATE, "dag-1", null),
            entry(2, ModelRegistry.CANDIDATE, "dag-1", 1),
            entry(3, CompressJob.PUBLISHED, "other-run", 1),
            entry(4, CompressJob.PUBLISHED, "dag-1", 2),
            entry(5, CompressJob.PUBLISHED, "dag-1", 1));
    assertEquals(5, CompressJob.publishedBy(versions, "dag-1", 1).orElseThrow().version());
    assertEquals(4, CompressJob.publishedBy(versions, "dag-1", 2).orElseThrow().version());
    assertTrue(CompressJob.publishedBy(versions, "dag-2", 1).isEmpty());
  }
}
