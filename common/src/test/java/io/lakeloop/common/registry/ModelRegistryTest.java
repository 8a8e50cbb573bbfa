package io.lakeloop.common.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ModelRegistryTest extends SparkTestBase {
  private static ModelRegistry.Entry entry(String model, String sha, String run) {
    return new ModelRegistry.Entry(
        model,
        0,
        "file:/models/" + sha + ".zip",
        sha,
        1234L,
        "dl4j-multilayer",
        null,
        List.of(new ModelRegistry.Lineage(Tables.PREDICTION_LOG, 3, 7)),
        Map.of("accuracy", 0.9, "params", 42.0),
        null,
        ModelRegistry.CANDIDATE,
        Instant.parse("2026-01-14T10:00:00Z"),
        run);
  }

  @Test
  void versionsCountUpPerModelAndARetriedRegistrationAddsNothing() {
    Lakehouse lh = newLakehouse("registry-versions");
    ModelRegistry r = new ModelRegistry(lh);
    assertThat(r.register(entry("a", "s1", "run-1")).version()).isEqualTo(1);
    assertThat(r.register(entry("a", "s2", "run-1")).version()).isEqualTo(2);
    assertThat(r.register(entry("b", "s1", "run-1")).version()).isEqualTo(1);
    // the same bytes from the same run: already there
    assertThat(r.register(entry("a", "s1", "run-1")).version()).isEqualTo(1);
    // the same bytes from another run: a new version
    assertThat(r.register(entry("a", "s1", "run-2")).version()).isEqualTo(3);
    assertThat(lh.read(Tables.MODEL_REGISTRY).data().count()).isEqualTo(4);
    assertThat(r.latestVersion("a")).contains(3);
    assertThat(r.latestVersion("none")).isEmpty();
  }

  @Test
  void anEntryReadsBackAsWritten() {
    ModelRegistry r = new ModelRegistry(newLakehouse("registry-roundtrip"));
    ModelRegistry.Entry plain = entry("m", "abc", "run-9");
    ModelRegistry.Entry compressed =
        new ModelRegistry.Entry(
            "m",
            0,
            "s3a://bucket/models/m/def.llc",
            "def",
            99L,
            "lakeloop-compact",
            1,
            List.of(),
            Map.of(),
            new ModelRegistry.Compression(0.8, 8, 9.5),
            "published",
            Instant.now().truncatedTo(ChronoUnit.MICROS),
            "run-10");
    assertThat(r.register(plain)).isEqualTo(plain.withVersion(1));
    assertThat(r.register(compressed)).isEqualTo(compressed.withVersion(2));
    assertThat(r.get("m", 2)).contains(compressed.withVersion(2));
    assertThat(r.versions("m")).extracting(ModelRegistry.Entry::version).containsExactly(1, 2);
    assertThat(r.get("m", 3)).isEmpty();
  }

  @Test
  void concurrentRegistrationsGetDistinctVersions() throws Exception {
    Lakehouse lh = newLakehouse("registry-race");
    ModelRegistry r = new ModelRegistry(lh);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<ModelRegistry.Entry>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String sha = "sha-" + i;
        futures.add(pool.submit(() -> r.register(entry("race", sha, "run-" + sha))));
      }
      Set<Integer> versions = new HashSet<>();
      for (Future<ModelRegistry.Entry> f : futures) {
        versions.add(f.get().version());
      }
      assertThat(versions).containsExactlyInAnyOrder(1, 2, 3, 4);
    } finally {
      pool.shutdownNow();
    }
    assertThat(lh.read(Tables.MODEL_REGISTRY).data().count()).isEqualTo(4);
  }

  @Test
  void aliasesMoveOnlyFromTheExpectedVersion() {
    ModelRegistry r = new ModelRegistry(newLakehouse("registry-alias"));
    for (int i = 1; i <= 3; i++) {
      r.register(entry("m", "s" + i, "run"));
    }
    assertThat(r.alias("m", ModelRegistry.CHAMPION)).isEmpty();
    assertThat(r.setAlias("m", ModelRegistry.CHAMPION, Optional.empty(), 1, "p1")).isTrue();
    // expecting it unset when it is set: refused
    assertThat(r.setAlias("m", ModelRegistry.CHAMPION, Optional.empty(), 2, "p2")).isFalse();
    assertThat(r.alias("m", ModelRegistry.CHAMPION)).contains(1);
    assertThat(r.setAlias("m", ModelRegistry.CHAMPION, Optional.of(1), 2, "p3")).isTrue();
    // a stale expectation: refused
    assertThat(r.setAlias("m", ModelRegistry.CHAMPION, Optional.of(1), 3, "p4")).isFalse();
    assertThat(r.resolve("m", ModelRegistry.CHAMPION).map(ModelRegistry.Entry::sha256))
        .contains("s2");
    assertThat(r.alias("m", ModelRegistry.CHALLENGER)).isEmpty();
    assertThatThrownBy(() -> r.setAlias("m", ModelRegistry.CHAMPION, Optional.of(2), 7, "p5"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("no such version");
  }

  @Test
  void ofTwoConcurrentPromotionsFromTheSameStateExactlyOneWins() throws Exception {
    ModelRegistry r = new ModelRegistry(newLakehouse("registry-alias-race"));
    for (int i = 1; i <= 3; i++) {
      r.register(entry("m", "s" + i, "run"));
    }
    r.setAlias("m", ModelRegistry.CHAMPION, Optional.empty(), 1, "first");
    for (int round = 0; round < 2; round++) {
      int from = r.alias("m", ModelRegistry.CHAMPION).orElseThrow();
      int a = from % 3 + 1;
      int b = a % 3 + 1;
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        Callable<Boolean> promoteA =
            () -> r.setAlias("m", ModelRegistry.CHAMPION, Optional.of(from), a, "a-" + from);
        Callable<Boolean> promoteB =
            () -> r.setAlias("m", ModelRegistry.CHAMPION, Optional.of(from), b, "b-" + from);
        Future<Boolean> fa = pool.submit(promoteA);
        Future<Boolean> fb = pool.submit(promoteB);
        boolean wonA = fa.get();
        boolean wonB = fb.get();
        assertThat(wonA ^ wonB).as("exactly one promotion from %d wins", from).isTrue();
        assertThat(r.alias("m", ModelRegistry.CHAMPION)).contains(wonA ? a : b);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
