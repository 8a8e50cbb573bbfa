package io.lakeloop.modeling.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.registry.ModelRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which registry rows a rerun of a train run reuses instead of training again. */
class CommittedCandidatesTest {
  private static ModelRegistry.Entry entry(int version, String status, String runId) {
    return new ModelRegistry.Entry(
        "churn",
        version,
        "file:/a/" + version,
        "sha" + version,
        1L,
        "dl4j-zip",
        null,
        List.of(),
        Map.of(),
        null,
        status,
        Instant.EPOCH,
        runId);
  }

  @Test
  void theRunsCandidatesInVersionOrderAreTeacherThenStudent() {
    var versions =
        List.of(
            entry(4, ModelRegistry.CANDIDATE, "r2"),
            entry(1, ModelRegistry.CANDIDATE, "r1"),
            entry(3, ModelRegistry.CANDIDATE, "r2"),
            // compress under the same Airflow run id registers a published row: not a candidate
            entry(5, "published", "r2"));
    var got = TrainJob.committedCandidates(versions, "churn", "r2");
    assertEquals(List.of(TrainJob.TEACHER, TrainJob.STUDENT), List.copyOf(got.keySet()));
    assertEquals(3, got.get(TrainJob.TEACHER).version());
    assertEquals(4, got.get(TrainJob.STUDENT).version());
  }

  @Test
  void onlyATeacherWhenTheAttemptStoppedBetweenTheTwoCommits() {
    var got =
        TrainJob.committedCandidates(
            List.of(
                entry(1, ModelRegistry.CANDIDATE, "r1"), entry(2, ModelRegistry.CANDIDATE, "r2")),
            "churn",
            "r2");
    assertEquals(Map.of(TrainJob.TEACHER, got.get(TrainJob.TEACHER)), got);
    assertEquals(2, got.get(TrainJob.TEACHER).version());
    assertTrue(
        TrainJob.committedCandidates(got.values().stream().toList(), "churn", "r9").isEmpty());
  }

  @Test
  void moreThanATeacherAndAStudentIsRefusedNamingTheRunAndTheFix() {
    var versions =
        List.of(
            entry(1, ModelRegistry.CANDIDATE, "r1"),
            entry(2, ModelRegistry.CANDIDATE, "r1"),
            entry(3, ModelRegistry.CANDIDATE, "r1"));
    var e =
        assertThrows(
            LakeloopException.class, () -> TrainJob.committedCandidates(versions, "churn", "r1"));
    assertTrue(e.getMessage().contains("3 candidates of model churn from run r1"), e.getMessage());
    assertTrue(e.getMessage().contains("--run-id"), e.getMessage());
  }
}
