package io.lakeloop.common.lock;

import java.util.function.Supplier;

/**
 * What runs around every lakeloop commit to a Delta table: {@link #NONE} on local disk (the file
 * system's atomic rename already makes Delta's commits safe for several writers), a lease per table
 * in DynamoDB ({@link DynamoDbCommitLock}) for an {@code s3a://} warehouse when {@code
 * lakeloop.s3.commit-lock.table} is set, so that lakeloop jobs in several drivers never commit to
 * one table at the same time.
 */
public interface CommitLock {
  /**
   * Runs {@code commit} (one Delta transaction on the table at {@code tablePath}: its reads of the
   * table's state and its commit) while holding the table's lock, and returns its result.
   */
  <T> T around(String tablePath, Supplier<T> commit);

  /** No lock: the commit runs as it is. */
  CommitLock NONE =
      new CommitLock() {
        @Override
        public <T> T around(String tablePath, Supplier<T> commit) {
          return commit.get();
        }

        @Override
        public String toString() {
          return "no commit lock";
        }
      };
}
