package io.lakeloop.common.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.dynamodbv2.model.AttributeValue;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.testing.MotoServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The commit lease against a real DynamoDB API (moto on loopback): a held lease outlives its
 * duration while renewed and a waiter gets it only on release, a holder that lost it fails rather
 * than report a clean commit, waiting ends with the holder named, and a missing or unreachable lock
 * table is named with its fix. (Two drivers on S3: CommitLockContentionTest in monitoring.)
 */
class DynamoDbCommitLockTest {
  private static MotoServer moto;
  private static final String TABLE = "locks";

  @BeforeAll
  static void start() throws Exception {
    moto = MotoServer.start();
    moto.createLockTable(TABLE);
  }

  @AfterAll
  static void stop() {
    moto.close();
  }

  private static CommitLockSettings settings(
      String table, String endpoint, int leaseMs, int waitMs) {
    return new CommitLockSettings(
        table, "us-east-1", endpoint, Duration.ofMillis(leaseMs), Duration.ofMillis(waitMs));
  }

  private static DynamoDbCommitLock lock(int leaseMs, int waitMs) {
    return DynamoDbCommitLock.open(settings(TABLE, moto.endpoint(), leaseMs, waitMs));
  }

  private static void holdForever(String path, String owner) {
    moto.dynamoDb()
        .putItem(
            TABLE,
            Map.of(
                "table_path",
                new AttributeValue(path),
                "owner",
                new AttributeValue(owner),
                "fence",
                new AttributeValue().withN("7"),
                "expires_at",
                new AttributeValue().withN(Long.toString(Long.MAX_VALUE / 2))));
  }

  @Test
  void aLeaseHeldPastItsDurationIsRenewedAndAWaiterGetsItOnlyOnRelease() throws Exception {
    String path = "s3a://b/wh/renewed";
    // renewed every 667 ms: only a stall of over 1.3 s on a loaded machine could lose it
    DynamoDbCommitLock first = lock(2000, 60_000);
    DynamoDbCommitLock second = lock(2000, 60_000);
    CountDownLatch holding = new CountDownLatch(1);
    long[] firstEnded = new long[1];
    CompletableFuture<Void> holder =
        CompletableFuture.runAsync(
            () ->
                first.around(
                    path,
                    () -> {
                      holding.countDown();
                      sleep(5000); // two and a half lease durations: only renewals keep it
                      firstEnded[0] = System.currentTimeMillis();
                      return null;
                    }));
    assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
    long secondStarted = second.around(path, System::currentTimeMillis);
    holder.get(30, TimeUnit.SECONDS);
    assertThat(secondStarted).isGreaterThanOrEqualTo(firstEnded[0]);
  }

  @Test
  void aHolderWhoseLeaseWasTakenFailsNamingTheRace() {
    String path = "s3a://b/wh/taken";
    DynamoDbCommitLock lock = lock(1200, 60_000);
    assertThatThrownBy(
            () ->
                lock.around(
                    path,
                    () -> {
                      holdForever(path, "another-driver"); // as if this lease had expired
                      sleep(1000); // the next renewal finds the lease gone
                      return null;
                    }))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("lost the commit lock of " + path)
        .hasMessageContaining("another lakeloop writer may have committed beside it");
    // the other holder's lease was not touched by this one's release
    assertThat(
            moto.dynamoDb()
                .getItem(TABLE, Map.of("table_path", new AttributeValue(path)), true)
                .getItem()
                .get("owner")
                .getS())
        .isEqualTo("another-driver");
  }

  @Test
  void waitingEndsWithTheHolderNamed() {
    String path = "s3a://b/wh/busy";
    holdForever(path, "host-9/4242/abcd");
    boolean[] ran = {false};
    assertThatThrownBy(() -> lock(5000, 700).around(path, () -> ran[0] = true))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("for the commit lock of " + path)
        .hasMessageContaining("held by host-9/4242/abcd (fence 7)")
        .hasMessageContaining("lakeloop.s3.commit-lock.wait");
    assertThat(ran[0]).isFalse();
  }

  @Test
  void aMissingLockTableIsNamedWithTheCommandThatCreatesIt() {
    assertThatThrownBy(() -> DynamoDbCommitLock.open(settings("nope", moto.endpoint(), 5000, 1000)))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("DynamoDB table 'nope'")
        .hasMessageContaining("does not exist")
        .hasMessageContaining("aws dynamodb create-table --table-name nope")
        .hasMessageContaining("AttributeName=table_path,KeyType=HASH");
  }

  @Test
  void anUnreachableLockTableIsNamed() {
    assertThatThrownBy(
            () -> DynamoDbCommitLock.open(settings(TABLE, "http://127.0.0.1:9", 5000, 1000)))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("cannot reach the commit lock DynamoDB table 'locks'")
        .hasMessageContaining("endpoint http://127.0.0.1:9")
        .hasMessageContaining("lakeloop.s3.commit-lock.region / endpoint");
  }

  @Test
  void noLockUnlessConfiguredAndTheWarehouseIsOnS3() {
    CommitLockSettings on = settings(TABLE, moto.endpoint(), 5000, 1000);
    assertThat(CommitLocks.of(settings("", moto.endpoint(), 5000, 1000), "s3a://b/wh"))
        .isSameAs(CommitLock.NONE);
    assertThat(CommitLocks.of(on, "file:/tmp/wh")).isSameAs(CommitLock.NONE);
    assertThat(CommitLocks.of(on, "s3a://b/wh")).isInstanceOf(DynamoDbCommitLock.class);
    assertThatThrownBy(() -> settings(TABLE, "", 500, 0))
        .hasMessageContaining("lakeloop.s3.commit-lock.lease must be at least 1s");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
