package io.lakeloop.common.lock;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import java.time.Duration;

/**
 * {@code lakeloop.s3.commit-lock}: the DynamoDB table holding one lease per Delta table, where it
 * is, how long a lease lasts unrenewed and how long a commit waits for one.
 *
 * @param table the DynamoDB table (partition key {@code table_path}, a string); empty = no lock
 * @param region its AWS region
 * @param endpoint its endpoint, or empty for AWS's endpoint of the region
 * @param lease how long a lease lasts without renewal (renewed every third of it while held): the
 *     longest a killed holder keeps others waiting
 * @param maxWait how long a commit waits for the lock before it fails
 */
public record CommitLockSettings(
    String table, String region, String endpoint, Duration lease, Duration maxWait) {
  private static final String SECTION = "s3.commit-lock";

  public CommitLockSettings {
    if (lease.toMillis() < 1000) {
      throw new ConfigError(
          "lakeloop.s3.commit-lock.lease must be at least 1s (it is " + lease + ")");
    }
    if (maxWait.isNegative()) {
      throw new ConfigError("lakeloop.s3.commit-lock.wait must not be negative");
    }
  }

  public static CommitLockSettings from(LakeloopConfig config) {
    Settings s = config.section(SECTION);
    return new CommitLockSettings(
        s.string("table").trim(),
        s.string("region").trim(),
        s.string("endpoint").trim(),
        s.duration("lease"),
        s.duration("wait"));
  }

  /** Whether a lock table is configured. */
  public boolean enabled() {
    return !table.isEmpty();
  }

  /** Where the table is, as errors name it. */
  public String describe() {
    return "DynamoDB table '"
        + table
        + "' (region "
        + region
        + (endpoint.isEmpty() ? "" : ", endpoint " + endpoint)
        + ")";
  }
}
