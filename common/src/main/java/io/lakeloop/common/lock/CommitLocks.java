package io.lakeloop.common.lock;

import io.lakeloop.common.config.LakeloopConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The commit lock a warehouse needs, one per settings and JVM. */
public final class CommitLocks {
  private static final Logger LOG = LoggerFactory.getLogger(CommitLocks.class);
  private static final Map<CommitLockSettings, CommitLock> OPEN = new ConcurrentHashMap<>();

  private CommitLocks() {}

  /**
   * The DynamoDB lease when {@code lakeloop.s3.commit-lock.table} is set and the warehouse is on
   * {@code s3a://}; no lock otherwise (local disk needs none).
   */
  public static CommitLock of(LakeloopConfig config) {
    return of(CommitLockSettings.from(config), config.warehouse());
  }

  public static CommitLock of(CommitLockSettings settings, String warehouse) {
    if (!settings.enabled()) {
      return CommitLock.NONE;
    }
    if (!warehouse.startsWith("s3a://")) {
      LOG.info(
          "lakeloop.s3.commit-lock is set but the warehouse {} is not on s3a://: no lock",
          warehouse);
      return CommitLock.NONE;
    }
    return OPEN.computeIfAbsent(
        settings,
        s -> {
          DynamoDbCommitLock lock = DynamoDbCommitLock.open(s);
          LOG.info("commits to {} take a lease in the {}", warehouse, s.describe());
          return lock;
        });
  }
}
