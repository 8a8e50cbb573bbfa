package io.lakeloop.common.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.testing.MotoServer;
import io.lakeloop.common.testing.SparkTestBase;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * A Delta table round trip on a real S3-compatible server (moto) through s3a://, with credentials
 * from the environment (Surefire sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as a user's shell
 * or instance profile would) and the endpoint set per bucket.
 */
class S3RoundTripTest extends SparkTestBase {
  @Test
  void deltaTableWritesAppendsReadsAndTimeTravelsOnS3a() throws Exception {
    try (MotoServer moto = MotoServer.start()) {
      String bucket = "lakeloop-roundtrip";
      moto.client().createBucket(bucket);
      Configuration hadoop = spark().sparkContext().hadoopConfiguration();
      hadoop.set("fs.s3a.bucket." + bucket + ".endpoint", moto.endpoint());
      hadoop.set("fs.s3a.bucket." + bucket + ".path.style.access", "true");
      hadoop.set("fs.s3a.bucket." + bucket + ".connection.ssl.enabled", "false");
      hadoop.set("fs.s3a.bucket." + bucket + ".endpoint.region", "us-east-1");

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
