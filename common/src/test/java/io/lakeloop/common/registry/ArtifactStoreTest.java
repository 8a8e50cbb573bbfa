package io.lakeloop.common.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {
  @TempDir Path tmp;

  /** The hash as coreutils' sha256sum computes it: an independent reference. */
  private static String sha256sum(Path file) throws Exception {
    Process p = new ProcessBuilder("sha256sum", file.toString()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(p.waitFor()).isZero();
    return out.substring(0, 64);
  }

  @Test
  void storesByContentHashAndFetchesVerified() throws Exception {
    byte[] bytes = new byte[200_003];
    new Random(7).nextBytes(bytes);
    Path local = Files.write(tmp.resolve("model.zip"), bytes);
    String warehouse = tmp.resolve("warehouse").toUri().toString();
    ArtifactStore store = new ArtifactStore(new Configuration(), warehouse);

    ArtifactStore.Stored s = store.put("churn", local, "zip");
    assertThat(s.sha256()).isEqualTo(sha256sum(local));
    assertThat(s.sizeBytes()).isEqualTo(bytes.length);
    assertThat(s.uri()).endsWith("/models/churn/" + s.sha256() + ".zip");
    // the same bytes again: the same place, one file, no temporary left behind
    assertThat(store.put("churn", local, "zip")).isEqualTo(s);
    try (var files = Files.list(tmp.resolve("warehouse/models/churn"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(s.sha256() + ".zip");
    }
    Path back = store.fetch(s.uri(), s.sha256(), tmp.resolve("back.zip"));
    assertThat(Files.readAllBytes(back)).isEqualTo(bytes);
  }

  @Test
  void aTamperedArtifactIsRefusedAndNotLeftBehind() throws Exception {
    Path local = Files.writeString(tmp.resolve("m.zip"), "weights");
    // a warehouse given as a plain path: the stored URI still names its file system
    ArtifactStore store = new ArtifactStore(new Configuration(), tmp.toString());
    ArtifactStore.Stored s = store.put("m", local, "zip");
    assertThat(s.uri()).startsWith("file:/");
    Files.writeString(tmp.resolve("models/m/" + s.sha256() + ".zip"), "weightz");
    Path target = tmp.resolve("fetched.zip");
    assertThatThrownBy(() -> store.fetch(s.uri(), s.sha256(), target))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("was changed after it was published")
        .hasMessageContaining(s.sha256());
    assertThat(target).doesNotExist();
    assertThatThrownBy(() -> store.fetch(s.uri() + ".missing", s.sha256(), target))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("cannot read the model artifact");
  }
}
