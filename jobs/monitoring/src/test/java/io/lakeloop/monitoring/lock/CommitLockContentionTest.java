package io.lakeloop.monitoring.lock;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.dynamodbv2.model.AttributeValue;
import io.lakeloop.common.lock.CommitLockSettings;
import io.lakeloop.common.lock.DynamoDbCommitLock;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.MotoServer;
import io.lakeloop.common.testing.SparkTestBase;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two lakeloop drivers (JVMs of their own, {@link ContentionWorker}) write one S3 warehouse at the
 * same time, on a real S3-compatible server with DynamoDB (moto on loopback), with the commit lock
 * on: versions registered at once are unique and gapless, of two compare-and-set changes of an
 * alias from the same state exactly one wins each round, job_runs rows appended back to back by
 * both land exactly once, and two ingest runs at once land every row of prediction_log and their
 * job_runs rows exactly once. A third driver is killed while it holds a lease: the next writer
 * proceeds once the lease expired, and the table holds what it committed and nothing of the killed
 * one.
 *
 * <p>{@code -Dlakeloop.contention.without-lock=true} runs the same drivers without the lock and
 * prints what went wrong (the figures of docs/RELIABILITY.md); it asserts nothing then and reports
 * the test as skipped.
 */
class CommitLockContentionTest extends SparkTestBase {
  private static final boolean WITHOUT_LOCK =
      Boolean.getBoolean("lakeloop.contention.without-lock");
  private static final int VERSIONS = Integer.getInteger("lakeloop.contention.versions", 2);
  private static final int ROUNDS = Integer.getInteger("lakeloop.contention.rounds", 3);
  private static final int LEDGER = Integer.getInteger("lakeloop.contention.ledger", 5);
  private static final int INGESTS = 1;
  private static final int ROWS = 30;
  private static final String LOCKS = "lakeloop_locks";
  private static final String BUCKET = "contended";

  @Test
  void lakeloopDriversOnOneS3WarehouseCommitOneAtATimeUnderTheLock(@TempDir Path work)
      throws Exception {
    try (MotoServer moto = MotoServer.start()) {
      moto.bucket(spark().sparkContext().hadoopConfiguration(), BUCKET);
      moto.createLockTable(LOCKS);
      String warehouse = "s3a://" + BUCKET + "/wh";
      Map<String, List<String>> ids = landing(work.resolve("landing"));
      String lock = WITHOUT_LOCK ? "-" : LOCKS;

      Process holder =
          WITHOUT_LOCK ? null : start(work, moto, warehouse, "holder", -1, lock, 3, true);
      Process a = start(work, moto, warehouse, "a", 0, lock, 60, false);
      Process b = start(work, moto, warehouse, "b", 1, lock, 60, false);
      if (holder != null) {
        aKilledHolderBlocksOnlyUntilItsLeaseExpires(work, moto, warehouse, holder);
      }
      for (Process p : List.of(a, b)) {
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("a driver finished").isTrue();
      }
      assertThat(a.exitValue()).as(log(work, "a")).isZero();
      assertThat(b.exitValue()).as(log(work, "b")).isZero();

      for (String w : List.of("a", "b")) {
        System.out.println(
            "driver "
                + w
                + ": ms before each phase "
                + Files.readAllLines(work.resolve(w + ".out")).stream()
                    .filter(l -> l.startsWith("phase "))
                    .toList());
      }
      Lakehouse lh = new Lakehouse(spark(), warehouse);
      Figures f = figures(work, lh, ids);
      System.out.println(
          "commit contention, " + (WITHOUT_LOCK ? "without" : "with") + " the lock: " + f);
      Assumptions.assumeFalse(WITHOUT_LOCK, "measured without the lock (asserts nothing): " + f);

      assertThat(f.versionsTable)
          .as("registered versions, unique and gapless")
          .containsExactlyElementsOf(IntStream.rangeClosed(1, 2 * VERSIONS).boxed().toList());
      assertThat(f.versionsAnswered)
          .as("the versions register answered")
          .isEqualTo(f.versionsTable);
      assertThat(f.winners).as("winners per alias round").containsOnly(1).hasSize(ROUNDS);
      assertThat(f.aliasRows).as("rows of the contended alias").isEqualTo(1);
      assertThat(f.aliasVersion)
          .as("the alias points at the last round's winner")
          .isEqualTo(f.lastWinner);
      assertThat(f.rowsOnce).as("ingested rows present exactly once").isEqualTo(f.rowsExpected);
      assertThat(f.rowsMissing + f.rowsRepeated).isZero();
      assertThat(f.ledgerOnce)
          .as("job_runs rows appended back to back, each once")
          .isEqualTo(f.ledgerExpected);
      assertThat(f.ledgerRuns)
          .as("job_runs: each ingest run's RUNNING and SUCCEEDED rows")
          .hasSize(2 * INGESTS)
          .allSatisfy(
              (run, statuses) ->
                  assertThat(statuses).containsExactly(JobRuns.RUNNING, JobRuns.SUCCEEDED));
    }
  }

  /**
   * The holder paused holding the lease of {@code labels} (before its first commit) is killed; a
   * writer here waits for that lease to expire, then creates the table and appends: the table is
   * exactly its commits.
   */
  private void aKilledHolderBlocksOnlyUntilItsLeaseExpires(
      Path work, MotoServer moto, String warehouse, Process holder) throws Exception {
    Path marker = work.resolve("holder.paused");
    long deadline = System.currentTimeMillis() + 5 * 60_000;
    while (!Files.exists(marker) || Files.readString(marker).isBlank()) {
      assertThat(holder.isAlive()).as(log(work, "holder")).isTrue();
      assertThat(System.currentTimeMillis())
          .as("the holder paused holding the lease")
          .isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(Files.readString(marker)).startsWith("commit-lock.held");
    holder.destroyForcibly().waitFor(); // SIGKILL: no release, no last renewal
    String table = warehouse + "/" + Tables.LABELS_TABLE;
    Map<String, AttributeValue> held = lockItem(moto, table);
    long expiresAt = Long.parseLong(held.get("expires_at").getN());
    assertThat(held.get("fence").getN()).isEqualTo("1");

    Lakehouse lh =
        new Lakehouse(
            spark(),
            warehouse,
            DynamoDbCommitLock.open(
                new CommitLockSettings(
                    LOCKS,
                    "us-east-1",
                    moto.endpoint(),
                    Duration.ofSeconds(3),
                    Duration.ofMinutes(2))));
    lh.ensure(Tables.LABELS);
    long created = System.currentTimeMillis();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rows.add(
          RowFactory.create(
              "after-kill-" + i,
              1.0,
              Timestamp.valueOf("2026-01-02 10:00:00"),
              Date.valueOf("2026-01-02")));
    }
    Dataset<Row> labels = spark().createDataFrame(rows, Tables.LABELS.schema());
    long version = lh.appendOnce(labels, Tables.LABELS, "after-kill", "after-kill", 1);

    assertThat(created)
        .as("the table was created only after the killed holder's lease expired")
        .isGreaterThanOrEqualTo(expiresAt);
    assertThat(version).as("create, then the append: nothing of the killed holder").isEqualTo(1);
    assertThat(lh.read(Tables.LABELS_TABLE).data().count()).isEqualTo(5);
    Map<String, AttributeValue> after = lockItem(moto, table);
    assertThat(Long.parseLong(after.get("fence").getN())).as("two more leases taken").isEqualTo(3);
    assertThat(after).as("released").doesNotContainKey("owner");
  }

  private static Map<String, AttributeValue> lockItem(MotoServer moto, String table) {
    return moto.dynamoDb()
        .getItem(LOCKS, Map.of("table_path", new AttributeValue(table)), true)
        .getItem();
  }

  /** What the drivers answered and what the tables hold. */
  record Figures(
      List<Integer> versionsTable,
      List<Integer> versionsAnswered,
      List<Integer> winners,
      long aliasRows,
      int aliasVersion,
      int lastWinner,
      long rowsExpected,
      long rowsOnce,
      long rowsMissing,
      long rowsRepeated,
      Map<String, List<String>> ledgerRuns,
      long ledgerExpected,
      long ledgerOnce) {}

  private static Figures figures(Path work, Lakehouse lh, Map<String, List<String>> ids)
      throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(work.resolve("a.out")));
    lines.addAll(Files.readAllLines(work.resolve("b.out")));

    List<Integer> answered = new ArrayList<>();
    int[] winners = new int[ROUNDS];
    int lastWinner = 0;
    for (String line : lines) {
      String[] p = line.split(" ");
      if (p[0].equals("register")) {
        answered.add(Integer.parseInt(p[2]));
      } else if (p[0].equals("alias") && p[4].equals("true")) {
        int round = Integer.parseInt(p[1]);
        winners[round]++;
        if (round == ROUNDS - 1) {
          lastWinner = Integer.parseInt(p[3]);
        }
      }
    }
    answered.sort(null);
    List<Integer> inTable =
        lh
            .read(Tables.MODEL_REGISTRY)
            .data()
            .where(col("model_name").equalTo("contended"))
            .select("version")
            .orderBy("version")
            .collectAsList()
            .stream()
            .map(r -> r.getInt(0))
            .toList();
    List<Row> alias =
        lh.read(Tables.MODEL_ALIASES)
            .data()
            .where(col("model_name").equalTo("contended").and(col("alias").equalTo("champion")))
            .select("version")
            .collectAsList();

    Map<String, Long> seen = new HashMap<>();
    lh.read(Tables.PREDICTION_LOG)
        .data()
        .select("request_id")
        .collectAsList()
        .forEach(r -> seen.merge(r.getString(0), 1L, Long::sum));
    long expected = 0, once = 0, missing = 0, repeated = 0;
    for (List<String> file : ids.values()) {
      for (String id : file) {
        expected++;
        long n = seen.getOrDefault(id, 0L);
        once += n == 1 ? 1 : 0;
        missing += n == 0 ? 1 : 0;
        repeated += n > 1 ? 1 : 0;
      }
    }
    Map<String, List<String>> ledger = new TreeMap<>();
    lh.read(Tables.JOB_RUNS)
        .data()
        .where(col("run_id").startsWith("ingest-"))
        .select("run_id", "status", "attempt")
        .orderBy("run_id", "attempt", "status")
        .collectAsList()
        .forEach(
            r ->
                ledger.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getString(1)));
    // RUNNING (the start) before the row that ends the run
    ledger.values().forEach(s -> s.sort(Comparator.comparing(x -> !x.equals(JobRuns.RUNNING))));
    Map<String, Long> appended = new HashMap<>();
    lh.read(Tables.JOB_RUNS)
        .data()
        .where(col("job").equalTo("contention"))
        .select("run_id")
        .collectAsList()
        .forEach(r -> appended.merge(r.getString(0), 1L, Long::sum));
    long ledgerOnce = 0;
    for (String w : List.of("a", "b")) {
      for (int i = 0; i < LEDGER; i++) {
        ledgerOnce += appended.getOrDefault("ledger-" + w + "-" + i, 0L) == 1 ? 1 : 0;
      }
    }
    return new Figures(
        inTable,
        answered,
        IntStream.of(winners).boxed().toList(),
        alias.size(),
        alias.isEmpty() ? 0 : alias.get(0).getInt(0),
        lastWinner,
        expected,
        once,
        missing,
        repeated,
        ledger,
        2L * LEDGER,
        ledgerOnce);
  }

  /** The JSON files the ingest runs load: ROWS predictions each, ids unique over all files. */
  private static Map<String, List<String>> landing(Path dir) throws Exception {
    Files.createDirectories(dir);
    Map<String, List<String>> ids = new TreeMap<>();
    for (String w : List.of("a", "b")) {
      for (int j = 0; j < INGESTS; j++) {
        List<String> lines = new ArrayList<>();
        List<String> mine = new ArrayList<>();
        for (int k = 0; k < ROWS; k++) {
          String id = w + "-" + j + "-" + k;
          mine.add(id);
          lines.add(
              "{\"request_id\": \""
                  + id
                  + "\", \"event_time\": \"2026-01-02T10:00:00Z\","
                  + " \"model_name\": \"churn\", \"model_version\": \"1\", \"monthly_charges\": 52.5,"
                  + " \"data_usage_gb\": 3.1, \"tenure_months\": 12, \"support_calls\": 1,"
                  + " \"plan\": \"basic\", \"device\": \"ios\", \"region\": \"eu\","
                  + " \"prediction\": 1, \"scores\": [0.3, 0.7]}");
        }
        Files.write(dir.resolve(w + "-" + j + ".json"), lines);
        ids.put(w + "-" + j, mine);
      }
    }
    return ids;
  }

  /** A driver in a JVM of its own, on this test's classpath and Java module flags. */
  private static Process start(
      Path work,
      MotoServer moto,
      String warehouse,
      String name,
      int index,
      String lock,
      int lease,
      boolean pause)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dlog4j2.configurationFile")) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add(ContentionWorker.class.getName());
    cmd.addAll(
        List.of(
            name,
            Integer.toString(index),
            warehouse,
            moto.endpoint(),
            lock,
            Integer.toString(lease),
            work.toString(),
            Integer.toString(VERSIONS),
            Integer.toString(ROUNDS),
            Integer.toString(INGESTS),
            Integer.toString(LEDGER)));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve(name + ".log").toFile());
    if (pause) {
      pb.environment().put("LAKELOOP_PAUSE_AT", "commit-lock.held");
      pb.environment().put("LAKELOOP_PAUSE_MARKER", work.resolve("holder.paused").toString());
    }
    return pb.start();
  }

  private static String log(Path work, String name) {
    try {
      List<String> lines = Files.readAllLines(work.resolve(name + ".log"));
      // the driver's last 60 lines that are not stack frames (a Spark error's frames fill a tail)
      List<String> told = lines.stream().filter(l -> !l.stripLeading().startsWith("at ")).toList();
      return String.join("\n", told.subList(Math.max(0, told.size() - 60), told.size()));
    } catch (Exception e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
