package io.lakeloop.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;

/**
 * One measured phase of a benchmark: wall time, the Spark jobs it started (a listener counts them)
 * and the peak heap in use after garbage collection while it ran (sampled every 50 ms from the
 * JVM's post-GC pool usage, so transient garbage is not counted). In local mode the driver and the
 * executors share the JVM, so the heap figure is an upper bound on the driver's.
 */
record Phase(String name, double seconds, int jobs, long peakHeapBytes, Object result) {

  static <T> Phase run(SparkSession spark, String name, Callable<T> body) throws Exception {
    System.gc();
    AtomicInteger jobs = new AtomicInteger();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart jobStart) {
            jobs.incrementAndGet();
          }
        };
    spark.sparkContext().listenerBus().waitUntilEmpty();
    spark.sparkContext().addSparkListener(listener);
    AtomicLong peak = new AtomicLong(heapAfterGc());
    Thread sampler =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(heapAfterGc(), Math::max);
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "bench-heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    long start = System.nanoTime();
    T result;
    double seconds;
    try {
      result = body.call();
      seconds = (System.nanoTime() - start) / 1e9;
    } finally {
      sampler.interrupt();
      sampler.join();
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(listener);
    }
    peak.accumulateAndGet(heapAfterGc(), Math::max);
    return new Phase(name, seconds, jobs.get(), peak.get(), result);
  }

  /** Heap in use right after the last collection of each heap pool, summed. */
  static long heapAfterGc() {
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        used += pool.getCollectionUsage().getUsed();
      }
    }
    return used;
  }

  /** This phase as a row of a report table: name, seconds, rows/s/core, jobs, peak heap MiB. */
  String tableRow(long rows, int cores) {
    return String.format(
        Locale.ROOT,
        "| %s | %.1f | %,.0f | %d | %.0f |%n",
        name,
        seconds,
        rows / seconds / cores,
        jobs,
        mib(peakHeapBytes));
  }

  static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  /** Progress for the person running a bench (stderr; stdout is the report). */
  static void log(String what) {
    System.err.println("bench: " + what);
  }
}
