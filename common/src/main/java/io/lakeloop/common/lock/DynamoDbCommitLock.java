package io.lakeloop.common.lock;

import com.amazonaws.AmazonClientException;
import com.amazonaws.ClientConfiguration;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDB;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDBClientBuilder;
import com.amazonaws.services.dynamodbv2.model.AttributeValue;
import com.amazonaws.services.dynamodbv2.model.ConditionalCheckFailedException;
import com.amazonaws.services.dynamodbv2.model.GetItemRequest;
import com.amazonaws.services.dynamodbv2.model.KeySchemaElement;
import com.amazonaws.services.dynamodbv2.model.ResourceNotFoundException;
import com.amazonaws.services.dynamodbv2.model.ReturnValue;
import com.amazonaws.services.dynamodbv2.model.TableDescription;
import com.amazonaws.services.dynamodbv2.model.UpdateItemRequest;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.fault.Faults;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease per Delta table in a DynamoDB table, taken by a conditional write, so lakeloop jobs in
 * several drivers commit to one {@code s3a://} table one at a time (S3 has no put-if-absent, so
 * Delta's default S3 log store lets two drivers write the same commit version).
 *
 * <p>One item per Delta table, keyed by its path ({@code table_path}): {@code owner} (this holder,
 * unique per acquisition), {@code expires_at} (epoch milliseconds), {@code fence} (incremented at
 * every acquisition, so a holder is the pair owner + fence). A writer takes the lease when the item
 * is missing or expired; while held, a daemon thread renews it every third of the lease, on the
 * condition that owner and fence are still this holder's. So a killed holder keeps others waiting
 * at most one lease, and a holder that lost its lease (paused past its expiry, renewals failing)
 * finds out before it commits — it fails rather than commit beside the new holder — and after it
 * committed, when the lease lapsed during the commit, it fails naming the race so the job is rerun
 * (lakeloop's commits are idempotent). Expiry compares the holders' clocks: keep them in sync (NTP)
 * to well within the lease.
 */
public final class DynamoDbCommitLock implements CommitLock {
  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbCommitLock.class);
  static final String KEY = "table_path";
  private static final long FIRST_BACKOFF_MS = 50;
  private static final long MAX_BACKOFF_MS = 1000;
  private static final long WAIT_LOG_EVERY_MS = 30_000;

  private final AmazonDynamoDB db;
  private final CommitLockSettings settings;
  private final String holder;
  private final ScheduledExecutorService renewer;
  private final ThreadLocal<Set<String>> heldByThisThread = ThreadLocal.withInitial(HashSet::new);

  private DynamoDbCommitLock(AmazonDynamoDB db, CommitLockSettings settings) {
    this.db = db;
    this.settings = settings;
    this.holder = holderName();
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lakeloop-commit-lock-renewer");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Connects to the lock table and checks it exists with the right key.
   *
   * @throws LakeloopException naming the table and the fix when it is missing, has another key or
   *     cannot be reached
   */
  public static DynamoDbCommitLock open(CommitLockSettings settings) {
    AmazonDynamoDBClientBuilder b =
        AmazonDynamoDBClientBuilder.standard()
            .withClientConfiguration(
                new ClientConfiguration()
                    .withConnectionTimeout(5_000)
                    .withRequestTimeout(10_000)
                    .withMaxErrorRetry(3));
    if (settings.endpoint().isEmpty()) {
      b.withRegion(settings.region());
    } else {
      b.withEndpointConfiguration(
          new AwsClientBuilder.EndpointConfiguration(settings.endpoint(), settings.region()));
    }
    AmazonDynamoDB db = b.build();
    TableDescription table;
    try {
      table = db.describeTable(settings.table()).getTable();
    } catch (ResourceNotFoundException missing) {
      db.shutdown();
      throw new LakeloopException(
          "the commit lock "
              + settings.describe()
              + " does not exist: create it once with partition key "
              + KEY
              + " (string), e.g. aws dynamodb create-table --table-name "
              + settings.table()
              + " --attribute-definitions AttributeName="
              + KEY
              + ",AttributeType=S --key-schema AttributeName="
              + KEY
              + ",KeyType=HASH --billing-mode PAY_PER_REQUEST (README, \"Several writers on S3\"),"
              + " or unset lakeloop.s3.commit-lock.table");
    } catch (AmazonClientException unreachable) {
      db.shutdown();
      throw unreachable(settings, unreachable);
    }
    List<KeySchemaElement> key = table.getKeySchema();
    if (key.size() != 1 || !KEY.equals(key.get(0).getAttributeName())) {
      db.shutdown();
      throw new LakeloopException(
          "the commit lock "
              + settings.describe()
              + " has key "
              + key
              + ": it needs the single partition key "
              + KEY
              + " (string); create a table of its own for lakeloop's commit lock");
    }
    return new DynamoDbCommitLock(db, settings);
  }

  private static LakeloopException unreachable(CommitLockSettings s, AmazonClientException e) {
    return new LakeloopException(
        "cannot reach the commit lock "
            + s.describe()
            + ": "
            + e.getMessage()
            + "; check lakeloop.s3.commit-lock.region / endpoint and the AWS credentials"
            + " (the environment or the provider chain)",
        e);
  }

  @Override
  public <T> T around(String tablePath, Supplier<T> commit) {
    if (!heldByThisThread.get().add(tablePath)) {
      return commit.get(); // this thread holds it already (a commit inside a commit)
    }
    try {
      Lease lease = acquire(tablePath);
      try {
        Faults.point("commit-lock.held");
        lease.check("before committing");
        T out = commit.get();
        lease.check("while it committed: another lakeloop writer may have committed beside it");
        return out;
      } finally {
        release(lease);
      }
    } finally {
      heldByThisThread.get().remove(tablePath);
    }
  }

  /** One held lease. */
  private final class Lease {
    final String table;
    final String owner;
    final long fence;
    final long acquiredAt;
    volatile long validUntil;
    volatile boolean lost;
    ScheduledFuture<?> renewal;

    Lease(String table, String owner, long fence, long acquiredAt, long validUntil) {
      this.table = table;
      this.owner = owner;
      this.fence = fence;
      this.acquiredAt = acquiredAt;
      this.validUntil = validUntil;
    }

    /** Fails when this holder can no longer be sure it holds the lease. */
    void check(String when) {
      long now = System.currentTimeMillis();
      if (lost || now >= validUntil) {
        throw new LakeloopException(
            "lost the commit lock of "
                + table
                + " (fence "
                + fence
                + ", held "
                + (now - acquiredAt)
                + " ms, lease "
                + settings.lease().toMillis()
                + " ms) "
                + when
                + "; rerun the job (its reruns change nothing once it succeeded) and, if the"
                + " driver pauses this long, raise lakeloop.s3.commit-lock.lease");
      }
    }
  }

  private Lease acquire(String table) {
    long t0 = System.currentTimeMillis();
    long giveUp = t0 + settings.maxWait().toMillis();
    long backoff = FIRST_BACKOFF_MS;
    long lastLog = 0;
    while (true) {
      String owner = holder + "/" + UUID.randomUUID().toString().substring(0, 8);
      long now = System.currentTimeMillis();
      long until = now + settings.lease().toMillis();
      Map<String, AttributeValue> values = new HashMap<>();
      values.put(":me", new AttributeValue(owner));
      values.put(":now", number(now));
      values.put(":until", number(until));
      values.put(":one", number(1));
      try {
        Map<String, AttributeValue> item =
            db.updateItem(
                    new UpdateItemRequest()
                        .withTableName(settings.table())
                        .withKey(key(table))
                        .withUpdateExpression(
                            "SET #owner = :me, expires_at = :until, acquired_at = :now"
                                + " ADD fence :one")
                        .withConditionExpression(
                            "attribute_not_exists(#owner) OR expires_at < :now")
                        .withExpressionAttributeNames(Map.of("#owner", "owner"))
                        .withExpressionAttributeValues(values)
                        .withReturnValues(ReturnValue.ALL_NEW))
                .getAttributes();
        Lease lease = new Lease(table, owner, Long.parseLong(item.get("fence").getN()), now, until);
        long every = Math.max(200, settings.lease().toMillis() / 3);
        lease.renewal =
            renewer.scheduleAtFixedRate(() -> renew(lease), every, every, TimeUnit.MILLISECONDS);
        LOG.debug("commit lock of {} taken (fence {}) after {} ms", table, lease.fence, now - t0);
        return lease;
      } catch (ConditionalCheckFailedException held) {
        if (now >= giveUp) {
          throw new LakeloopException(
              "waited "
                  + settings.maxWait()
                  + " for the commit lock of "
                  + table
                  + ", "
                  + holderOf(table)
                  + "; another lakeloop job is committing to it (or a killed one's lease has"
                  + " not expired): rerun later, or raise lakeloop.s3.commit-lock.wait");
        }
        if (now - lastLog >= WAIT_LOG_EVERY_MS) {
          LOG.info("waiting for the commit lock of {}: {}", table, holderOf(table));
          lastLog = now;
        }
        sleep(backoff + ThreadLocalRandom.current().nextLong(backoff));
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      } catch (ResourceNotFoundException gone) {
        throw new LakeloopException(
            "the commit lock " + settings.describe() + " no longer exists: recreate it", gone);
      } catch (AmazonClientException unreachable) {
        throw unreachable(settings, unreachable);
      }
    }
  }

  /** Extends the lease while this holder still has it; marks it lost when another took it. */
  private void renew(Lease lease) {
    long until = System.currentTimeMillis() + settings.lease().toMillis();
    try {
      whileHeld(lease, "SET expires_at = :at", until);
      lease.validUntil = until;
    } catch (ConditionalCheckFailedException taken) {
      lease.lost = true;
      LOG.warn(
          "the commit lock of {} (fence {}) was taken by another holder", lease.table, lease.fence);
    } catch (RuntimeException e) {
      // kept until validUntil: the next renewal may get through
      LOG.warn("could not renew the commit lock of {}: {}", lease.table, e.getMessage());
    }
  }

  /** Gives the lease up (expires it now) if this holder still has it. */
  private void release(Lease lease) {
    lease.renewal.cancel(false);
    try {
      whileHeld(lease, "SET expires_at = :at REMOVE #owner", 0);
    } catch (ConditionalCheckFailedException taken) {
      LOG.warn("the commit lock of {} (fence {}) had been taken over", lease.table, lease.fence);
    } catch (RuntimeException e) {
      LOG.warn(
          "could not release the commit lock of {} (it expires by itself): {}",
          lease.table,
          e.getMessage());
    }
  }

  /**
   * Updates the lease item ({@code :at} = {@code expiresAt}) on the condition that this holder
   * (owner and fence) still has it.
   *
   * @throws ConditionalCheckFailedException when another holder has taken it
   */
  private void whileHeld(Lease lease, String update, long expiresAt) {
    db.updateItem(
        new UpdateItemRequest()
            .withTableName(settings.table())
            .withKey(key(lease.table))
            .withUpdateExpression(update)
            .withConditionExpression("#owner = :me AND fence = :fence")
            .withExpressionAttributeNames(Map.of("#owner", "owner"))
            .withExpressionAttributeValues(
                Map.of(
                    ":me",
                    new AttributeValue(lease.owner),
                    ":fence",
                    number(lease.fence),
                    ":at",
                    number(expiresAt))));
  }

  /** Who holds the table's lease and until when, for messages. */
  private String holderOf(String table) {
    try {
      Map<String, AttributeValue> item =
          db.getItem(
                  new GetItemRequest()
                      .withTableName(settings.table())
                      .withKey(key(table))
                      .withConsistentRead(true))
              .getItem();
      if (item == null || !item.containsKey("owner")) {
        return "free now";
      }
      return "held by "
          + item.get("owner").getS()
          + " (fence "
          + item.get("fence").getN()
          + ") until "
          + Instant.ofEpochMilli(Long.parseLong(item.get("expires_at").getN()));
    } catch (RuntimeException e) {
      return "its holder unknown (" + e.getMessage() + ")";
    }
  }

  private static Map<String, AttributeValue> key(String table) {
    return Map.of(KEY, new AttributeValue(table));
  }

  private static AttributeValue number(long n) {
    return new AttributeValue().withN(Long.toString(n));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LakeloopException("interrupted while waiting for a commit lock", e);
    }
  }

  private static String holderName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "unknown-host";
    }
    return host + "/" + ManagementFactory.getRuntimeMXBean().getPid();
  }

  @Override
  public String toString() {
    return "commit lock in " + settings.describe();
  }
}
