package io.lakeloop.bench;

import io.lakeloop.common.spark.Sessions;
import io.lakeloop.modeling.model.Hyper;
import io.lakeloop.modeling.tune.Search;
import io.lakeloop.modeling.tune.TrialData;
import io.lakeloop.modeling.tune.TrialFit;
import io.lakeloop.modeling.tune.Trials;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The tuning benchmark of bench/README.md: one search space (72 configurations) on the same rows
 * three ways, in one run —
 *
 * <ol>
 *   <li><b>sequential grid</b>: every configuration fitted one after another in this JVM's main
 *       thread ({@link Trials#attempt}, the same fit a task runs), the textbook loop;
 *   <li><b>Spark grid</b>: lakeloop's grid, one Spark task per trial on {@code local[2]};
 *   <li><b>Spark halving</b>: lakeloop's successive halving of the same 72 (eta 3, rungs of 1, 3
 *       and 9 epochs).
 * </ol>
 *
 * Then each method's winner is fitted again and scored on rows no search saw (held out): the
 * halving winner's held-out accuracy against the grid winner's. Data: scikit-learn's digits and the
 * demo's churn model (CompressBench's loaders); of their training rows every fifth validates.
 */
public final class TuneBench {
  private TuneBench() {}

  private static final long SEED = 17;

  public static void main(String[] args) throws Exception {
    String digits = "jobs/modeling/src/test/resources/digits.csv.gz";
    int churnRows = 40_000;
    int maxEpochs = 9;
    boolean searches = true;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--searches" -> searches = Boolean.parseBoolean(args[i + 1]);
        case "--digits" -> digits = args[i + 1];
        case "--churn-rows" -> churnRows = Integer.parseInt(args[i + 1]);
        case "--max-epochs" -> maxEpochs = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    List<Hyper> space = new ArrayList<>();
    for (double lr : new double[] {0.001, 0.003, 0.01}) {
      for (List<Integer> hidden : List.of(List.of(32), List.of(64), List.of(128, 64))) {
        for (double l2 : new double[] {0, 1e-4}) {
          for (double dropout : new double[] {0, 0.2}) {
            for (int batch : new int[] {32, 128}) {
              space.add(new Hyper(lr, hidden, l2, dropout, batch));
            }
          }
        }
      }
    }
    List<CompressBench.Data> sets =
        List.of(CompressBench.digits(Path.of(digits)), CompressBench.churn(churnRows));
    SparkSession spark = Sessions.create(CompressBench.localConfig("lakeloop-tune-bench-"));
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    System.out.println("## Tuning: sequential grid vs lakeloop's grid and halving (bench/tune)");
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Commit %s, `%s`; %d configurations (learning rate 0.001/0.003/0.01 × hidden"
            + " [32]/[64]/[128, 64] × l2 0/1e-4 × dropout 0/0.2 × batch 32/128), %d epochs per full"
            + " trial, halving eta 3; Spark local[2]; %d cores.%n%n",
        System.getProperty("lakeloop.bench.commit", "unknown"),
        System.getProperty("lakeloop.bench.command", "bench/tune"),
        space.size(),
        maxEpochs,
        Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| data | train / validation / held-out rows | method | trials | seconds | vs sequential"
            + " | winner | validation accuracy | held-out accuracy | vs grid winner (points) |");
    System.out.println("| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
    for (CompressBench.Data d : sets) {
      if (searches) {
        run(sc, d, space, maxEpochs);
      }
    }
    spark.stop();
    System.out.println();
    System.out.println(
        "Two fits at once without Spark: the same trial fitted in one thread, then in two threads"
            + " at once (the ceiling of (b) on these cores):");
    System.out.println();
    System.out.println("| data | trial | one fit (s) | two fits at once (s) | speed-up of two |");
    System.out.println("| --- | --- | ---: | ---: | ---: |");
    for (CompressBench.Data d : sets) {
      scaling(d, space.get(space.size() - 1), maxEpochs);
      scaling(d, space.get(0), maxEpochs);
    }
  }

  /** One fit alone, then two of the same at once in two threads: 2 × alone / together. */
  private static void scaling(CompressBench.Data d, Hyper h, int epochs) throws Exception {
    TrialData data = split(d);
    Trials.Trial t = new Trials.Trial(0, 0, epochs, h);
    Trials.attempt(t, data, SEED, TrialFit.DL4J); // warm-up
    long t0 = System.nanoTime();
    Trials.attempt(t, data, SEED, TrialFit.DL4J);
    double alone = (System.nanoTime() - t0) / 1e9;
    Thread[] threads = new Thread[2];
    t0 = System.nanoTime();
    for (int i = 0; i < threads.length; i++) {
      threads[i] = new Thread(() -> Trials.attempt(t, data, SEED, TrialFit.DL4J));
      threads[i].start();
    }
    for (Thread th : threads) {
      th.join();
    }
    double together = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "| %s | %s, %d epochs | %.1f | %.1f | %.2fx |%n",
        d.name(),
        h,
        epochs,
        alone,
        together,
        2 * alone / together);
  }

  private static void run(
      JavaSparkContext sc, CompressBench.Data d, List<Hyper> space, int maxEpochs) {
    TrialData data = split(d);
    String rows =
        data.trainX().length + " / " + data.validX().length + " / " + d.test().numExamples();
    // warm-up: one small fit each way, so neither method pays the JIT or ND4J's start alone
    Trials.attempt(new Trials.Trial(0, 0, 1, space.get(0)), data, SEED, TrialFit.DL4J);
    Broadcast<TrialData> shared = sc.broadcast(data);
    Trials.run(sc, List.of(new Trials.Trial(0, 0, 1, space.get(0))), shared, SEED, TrialFit.DL4J);

    long t0 = System.nanoTime();
    List<Trials.Result> sequential = new ArrayList<>();
    for (int i = 0; i < space.size(); i++) {
      sequential.add(
          Trials.attempt(
              new Trials.Trial(i, 0, maxEpochs, space.get(i)), data, SEED, TrialFit.DL4J));
    }
    double seqSeconds = (System.nanoTime() - t0) / 1e9;
    Trials.Result seqBest = sequential.stream().sorted(Search.BEST_FIRST).findFirst().orElseThrow();

    t0 = System.nanoTime();
    Search.Outcome grid =
        Search.run(
            space,
            List.of(maxEpochs),
            3,
            trials -> Trials.run(sc, trials, shared, SEED, TrialFit.DL4J));
    double gridSeconds = (System.nanoTime() - t0) / 1e9;

    List<Integer> rungs = new ArrayList<>();
    for (int e = 1; e < maxEpochs; e *= 3) {
      rungs.add(e);
    }
    rungs.add(maxEpochs);
    t0 = System.nanoTime();
    Search.Outcome halving =
        Search.run(space, rungs, 3, trials -> Trials.run(sc, trials, shared, SEED, TrialFit.DL4J));
    double halvingSeconds = (System.nanoTime() - t0) / 1e9;
    shared.destroy();

    Trials.Result gridBest = grid.winner().orElseThrow();
    Trials.Result halvingBest = halving.winner().orElseThrow();
    if (!gridBest.trial().hyper().equals(seqBest.trial().hyper())
        || !gridBest.score().equals(seqBest.score())) {
      throw new IllegalStateException(
          "the Spark grid's best trial differs from the sequential one's: "
              + gridBest
              + " vs "
              + seqBest);
    }
    double gridHeld = heldOut(gridBest, data, d.test());
    double halvingHeld = heldOut(halvingBest, data, d.test());
    row(
        d.name(),
        rows,
        "sequential grid (one JVM, one thread)",
        space.size(),
        seqSeconds,
        seqSeconds,
        seqBest,
        gridHeld,
        gridHeld);
    row(
        d.name(),
        rows,
        "lakeloop grid (Spark local[2])",
        grid.entries().size(),
        gridSeconds,
        seqSeconds,
        gridBest,
        gridHeld,
        gridHeld);
    row(
        d.name(),
        rows,
        "lakeloop halving (Spark local[2])",
        halving.entries().size(),
        halvingSeconds,
        seqSeconds,
        halvingBest,
        halvingHeld,
        gridHeld);
  }

  private static void row(
      String name,
      String rows,
      String method,
      int trials,
      double seconds,
      double sequential,
      Trials.Result winner,
      double held,
      double gridHeld) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %s | %s | %d | %.1f | %.2fx faster | %s | %.4f | %.4f | %+.2f |%n",
        name,
        rows,
        method,
        trials,
        seconds,
        sequential / seconds,
        winner.trial().hyper(),
        winner.score().accuracy(),
        held,
        100 * (held - gridHeld));
  }

  /** The winner fitted again (the same figures: same seed) and scored on the held-out rows. */
  private static double heldOut(Trials.Result winner, TrialData data, DataSet test) {
    MultiLayerNetwork net =
        TrialFit.train(winner.trial().hyper(), winner.trial().epochs(), data, SEED).network();
    return TrialFit.score(
            net.output(test.getFeatures(), false).toFloatMatrix(),
            test.getLabels().toFloatMatrix(),
            0)
        .accuracy();
  }

  /** The data set's training rows, every fifth validating. */
  private static TrialData split(CompressBench.Data d) {
    List<float[]> tx = new ArrayList<>();
    List<float[]> ty = new ArrayList<>();
    List<float[]> vx = new ArrayList<>();
    List<float[]> vy = new ArrayList<>();
    int i = 0;
    for (DataSet b : d.train()) {
      float[][] x = b.getFeatures().toFloatMatrix();
      float[][] y = b.getLabels().toFloatMatrix();
      for (int k = 0; k < x.length; k++, i++) {
        (i % 5 == 4 ? vx : tx).add(x[k]);
        (i % 5 == 4 ? vy : ty).add(y[k]);
      }
    }
    return new TrialData(
        tx.toArray(float[][]::new),
        ty.toArray(float[][]::new),
        vx.toArray(float[][]::new),
        vy.toArray(float[][]::new));
  }
}
