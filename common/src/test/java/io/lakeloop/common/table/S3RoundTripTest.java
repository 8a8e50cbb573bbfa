package io.lakeloop.common.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.testing.MotoServer;
import io.lakeloop.common.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Delta table round trip on a real S3-compatible server (moto) through s3a://, with credentials
 * from the environment (Surefire sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as a user's shell
 * or instance profile would) and the endpoint set per bucket; model artifacts the same way.
 */
class S3RoundTripTest extends SparkTestBase {
  /** Points the session's s3a settings for {@code bucket} at the moto server. */
  private static Configuration s3a(MotoServer moto, String bucket) {
    return moto.bucket(spark().sparkContext().hadoopConfiguration(), bucket);
  }

  @Test
  void modelArtifactsAreStoredAndFetchedVerifiedOnS3a(@TempDir Path tmp) throws Exception {
    try (MotoServer moto = MotoServer.start()) {
      String bucket = "lakeloop-artifacts";
      ArtifactStore store = new ArtifactStore(s3a(moto, bucket), "s3a://" + bucket + "/wh");
      byte[] bytes = new byte[70_001];
      new Random(3).nextBytes(bytes);
      Path local = Files.write(tmp.resolve("m.zip"), bytes);
      ArtifactStore.Stored s = store.put("churn", local, "zip");
      assertThat(s.uri()).isEqualTo("s3a://" + bucket + "/wh/models/churn/" + s.sha256() + ".zip");
      assertThat(moto.client().listObjectsV2(bucket, "wh/models/churn/").getKeyCount())
          .isEqualTo(1);
      assertThat(Files.readAllBytes(store.fetch(s.uri(), s.sha256(), tmp.resolve("back.zip"))))
          .isEqualTo(bytes);
    }
  }

  @Test
  void deltaTableWritesAppendsReadsAndTimeTravelsOnS3a() throws Exception {
    try (MotoServer moto = MotoServer.start()) {
      String bucket = "lakeloop-roundtrip";
      s3a(moto, bucket);

      Lakehouse lh = new Lakehouse(spark(), "s3a://" + bucket + "/warehouse");
      assertThat(lh.root()).isEqualTo("s3a://" + bucket + "/warehouse");
      lh.ensure(Tables.LABELS);
      lh.ensure(Tables.LABELS);
      long v1 = lh.appendOnce(LakehouseTest.labels("a", "b"), Tables.LABELS, "s3-run", "s3/1", 1);
      long again =
          lh.appendOnce(LakehouseTest.labels("a", "b"), Tables.LABELS, "s3-run", "s3/1", 1);
      long v2 = lh.appendOnce(LakehouseTest.labels("c"), Tables.LABELS, "s3-run-2", "s3/2", 1);
      assertThat(again).isEqualTo(v1);
      assertThat(v2).isEqualTo(v1 + 1);
      assertThat(lh.read(Tables.LABELS_TABLE).data().count()).isEqualTo(3);
      assertThat(lh.readAt(Tables.LABELS_TABLE, v1).count()).isEqualTo(2);
      assertThat(lh.readAt(Tables.LABELS_TABLE, 0).count()).isZero();
      // The objects really are in the bucket.
      assertThat(moto.client().listObjectsV2(bucket, "warehouse/labels/_delta_log/").getKeyCount())
          .isGreaterThanOrEqualTo(3);
    }
  }
}
