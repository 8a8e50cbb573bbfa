package io.lakeloop.common.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points where the reliability tests (tests/test_reliability.py, docs/RELIABILITY.md) stop or
 * fail a run. Armed only by environment variables, never by configuration, and inert otherwise (one
 * lookup in a set read once per JVM):
 *
 * <ul>
 *   <li>{@code LAKELOOP_PAUSE_AT=point[,point…]}: the first thread to reach an armed point creates
 *       the file {@code LAKELOOP_PAUSE_MARKER} with {@code "<point> <pid>"} and waits there, as
 *       does every thread of that JVM reaching an armed point after it, so the test can SIGKILL the
 *       JVM at exactly that point (after 10 minutes it halts by itself, so a forgotten test never
 *       leaves a process behind). When the marker exists already (another JVM armed alike, such as
 *       a second executor, paused first) the point does nothing;
 *   <li>{@code LAKELOOP_FAIL_AT=point[,point…]}: inside a Spark task, the first attempt of every
 *       even-numbered partition that reaches an armed point throws, so Spark retries it (run with
 *       {@code local[N,maxFailures]} or a cluster's spark.task.maxFailures).
 * </ul>
 *
 * Points: {@code scan} (a partition of evaluate's or drift's scan starts), {@code
 * delta.write:<table>} (a write task of a Delta commit to the table has handed over all its rows;
 * the commit has not happened), {@code registry.before-commit} (a model artifact is stored, its
 * registry row not yet committed), {@code registry.after-commit}, {@code ledger.before-finish} (a
 * job's work is committed, its job_runs row still says RUNNING), {@code commit-lock.held} (a commit
 * lock's lease is taken, the commit not started; {@link
 * io.lakeloop.common.lock.DynamoDbCommitLock}).
 */
public final class Faults {
  private static final Logger LOG = LoggerFactory.getLogger(Faults.class);
  public static final String PAUSE_AT = "LAKELOOP_PAUSE_AT";
  public static final String PAUSE_MARKER = "LAKELOOP_PAUSE_MARKER";
  public static final String FAIL_AT = "LAKELOOP_FAIL_AT";
  private static final long PAUSE_MILLIS = 10 * 60 * 1000L;
  private static final Set<String> PAUSES = points(PAUSE_AT);
  private static final Set<String> FAILURES = points(FAIL_AT);
  private static volatile boolean paused;

  private Faults() {}

  /** Whether any fault is armed for {@code point} in this JVM. */
  public static boolean armed(String point) {
    return PAUSES.contains(point) || FAILURES.contains(point);
  }

  /** A point on the driver, or in a task of no particular partition. */
  public static void point(String point) {
    point(point, 0);
  }

  /** A point in a task processing {@code partition} (or on the driver: 0). */
  public static void point(String point, int partition) {
    if (PAUSES.isEmpty() && FAILURES.isEmpty()) {
      return;
    }
    if (FAILURES.contains(point)) {
      TaskContext task = TaskContext.get();
      if (task != null && task.attemptNumber() == 0 && partition % 2 == 0) {
        throw new IllegalStateException(
            "injected failure at "
                + point
                + " ("
                + FAIL_AT
                + "), partition "
                + partition
                + ", attempt 0: Spark retries the task");
      }
    }
    if (PAUSES.contains(point)) {
      pause(point);
    }
  }

  private static void pause(String point) {
    synchronized (Faults.class) {
      if (!paused) {
        String marker = System.getenv(PAUSE_MARKER);
        long pid = ProcessHandle.current().pid();
        if (marker != null) {
          try {
            // CREATE_NEW: of several JVMs armed alike (a cluster's executors), the first to get
            // here pauses and the others carry on, so the test can kill exactly one of them.
            Files.writeString(
                Path.of(marker),
                point + " " + pid + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
          } catch (FileAlreadyExistsException another) {
            LOG.info("fault: {} reached, another JVM paused there first; carrying on", point);
            return;
          } catch (IOException e) {
            LOG.error("fault: cannot write the pause marker {}", marker, e);
          }
        }
        paused = true;
        LOG.warn("fault: paused at {} (pid {}) for the test to kill this JVM", point, pid);
      }
    }
    try {
      Thread.sleep(PAUSE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Runtime.getRuntime().halt(137);
  }

  private static Set<String> points(String variable) {
    String v = System.getenv(variable);
    if (v == null || v.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(v.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }
}
