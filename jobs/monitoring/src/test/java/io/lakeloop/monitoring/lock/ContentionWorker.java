package io.lakeloop.monitoring.lock;

import io.lakeloop.common.cli.CliArgs;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.lock.CommitLocks;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.registry.ModelRegistry.Entry;
import io.lakeloop.common.run.JobRuns;
import io.lakeloop.common.spark.Sessions;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.ProjectFiles;
import io.lakeloop.monitoring.ingest.IngestJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * One lakeloop driver of {@link CommitLockContentionTest}, in a JVM of its own: the same writes
 * another such driver makes at the same time on the same S3 warehouse, each phase started together
 * through a barrier of files. Writes what each of its writes answered to its output file, one line
 * per write, for the test to check against the tables.
 *
 * <p>Arguments: {@code name index warehouse endpoint lockTable leaseSeconds workDir versions rounds
 * ingests ledgerRows}; {@code lockTable} "-" runs without the commit lock. Mode {@code hold} (index
 * -1) only appends to {@code labels}, for a test that kills it while it holds the lease.
 */
public final class ContentionWorker {
  private final String name;
  private final Path work;

  private ContentionWorker(String name, Path work) {
    this.name = name;
    this.work = work;
  }

  /** The config a worker (and the test) uses for the warehouse on the moto server. */
  static LakeloopConfig config(String warehouse, String endpoint, String lockTable, int lease) {
    List<String> sets = new ArrayList<>();
    sets.add("lakeloop.warehouse=\"" + warehouse + "\"");
    sets.add("lakeloop.spark.master=\"local[1]\"");
    sets.add("lakeloop.spark.conf.\"spark.sql.shuffle.partitions\"=\"1\"");
    sets.add("lakeloop.s3.endpoint=\"" + endpoint + "\"");
    sets.add("lakeloop.s3.path-style-access=true");
    sets.add("lakeloop.s3.ssl-enabled=false");
    sets.add("lakeloop.s3.commit-lock.table=\"" + ("-".equals(lockTable) ? "" : lockTable) + "\"");
    sets.add("lakeloop.s3.commit-lock.endpoint=\"" + endpoint + "\"");
    sets.add("lakeloop.s3.commit-lock.lease=" + lease + "s");
    return ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), sets);
  }

  public static void main(String[] args) throws Exception {
    String name = args[0];
    int index = Integer.parseInt(args[1]);
    LakeloopConfig config = config(args[2], args[3], args[4], Integer.parseInt(args[5]));
    Path work = Path.of(args[6]);
    SparkSession spark = Sessions.create(config);
    Lakehouse lh = new Lakehouse(spark, config.warehouse(), CommitLocks.of(config));
    ContentionWorker w = new ContentionWorker(name, work);
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(work.resolve(name + ".out")))) {
      if (index < 0) {
        lh.ensure(Tables.LABELS); // pauses holding the lease (LAKELOOP_PAUSE_AT) until killed
        out.println("hold done");
      } else {
        w.run(spark, lh, config, index, args, out);
      }
    }
    spark.stop();
    System.exit(0);
  }

  private void run(
      SparkSession spark,
      Lakehouse lh,
      LakeloopConfig config,
      int index,
      String[] args,
      PrintWriter out)
      throws Exception {
    int versions = Integer.parseInt(args[7]);
    int rounds = Integer.parseInt(args[8]);
    int ingests = Integer.parseInt(args[9]);
    int ledgerRows = Integer.parseInt(args[10]);
    barrier("start");
    ModelRegistry registry = new ModelRegistry(lh);

    // versions registered at once by both drivers
    barrier("register");
    phase(out, "register");
    for (int i = 0; i < versions; i++) {
      Entry e =
          new Entry(
              "contended",
              0,
              "s3a://nowhere/" + name + "-" + i,
              name + "-sha-" + i,
              1L,
              "zip",
              null,
              List.of(),
              Map.of(),
              null,
              ModelRegistry.CANDIDATE,
              Instant.now(),
              "register-" + name + "-" + i);
      out.println("register " + i + " " + registry.register(e).version());
      out.flush();
    }

    // compare-and-set of one alias from the same state, both drivers each round
    for (int r = 0; r < rounds; r++) {
      barrier("round-" + r);
      Optional<Integer> current = registry.alias("contended", "champion");
      int target = (current.orElse(0) + index) % 3 + 1; // differs from current and the other's
      boolean won =
          registry.setAlias("contended", "champion", current, target, "alias-" + name + "-" + r);
      out.println("alias " + r + " " + current.orElse(0) + " " + target + " " + won);
      out.flush();
    }

    // job_runs rows appended back to back by both drivers, as every job's ledger appends them
    barrier("ledger");
    phase(out, "ledger");
    JobRuns ledger = new JobRuns(lh);
    for (int i = 0; i < ledgerRows; i++) {
      ledger.start("contention", "ledger-" + name + "-" + i, null, "contended", Instant.now());
    }
    out.println("ledger " + ledgerRows);

    // ingest runs appending to prediction_log (each also commits job_runs twice)
    barrier("ingest");
    phase(out, "ingest");
    for (int j = 0; j < ingests; j++) {
      String runId = "ingest-" + name + "-" + j;
      String[] argv = {
        "--run-id",
        runId,
        "--table",
        "prediction_log",
        "--format",
        "json",
        "--path",
        work.resolve("landing").resolve(name + "-" + j + ".json").toString()
      };
      IngestJob job = new IngestJob();
      JobLauncher.run(job, CliArgs.parse(job.name(), argv, job.flags(), false), config, spark);
      out.println("ingest " + j + " " + runId);
      out.flush();
    }
    barrier("done");
    phase(out, "done");
  }

  private long phaseStart = System.currentTimeMillis();

  /** Records how long the phase before {@code next} took (for the test's output). */
  private void phase(PrintWriter out, String next) {
    long now = System.currentTimeMillis();
    out.println("phase " + next + " " + (now - phaseStart));
    out.flush();
    phaseStart = now;
  }

  /** Waits until both drivers reached {@code phase} (a file each in the work folder). */
  private void barrier(String phase) throws IOException, InterruptedException {
    Files.createFile(work.resolve("barrier-" + phase + "." + name));
    long deadline = System.currentTimeMillis() + 5 * 60_000;
    while (count(phase) < 2) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the other driver never reached " + phase);
      }
      Thread.sleep(20);
    }
  }

  private long count(String phase) throws IOException {
    try (Stream<Path> files = Files.list(work)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("barrier-" + phase + "."))
          .count();
    }
  }
}
