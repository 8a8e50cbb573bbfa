package io.lakeloop.bench;

import io.lakeloop.monitoring.drift.NumericProfile;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.*;

/**
 * Microbenchmark of the drift profiler's numeric binning (bench/README.md): 2M rows x 15 columns
 * drawn like bench/drift's features, 999 quantile edges per column; prints ns per value for a plain
 * binary search, the EdgeIndex row by row, and the EdgeIndex fed a block of 1,024 values per column
 * (as Profiler does), plus a plain scan of the values.
 */
public class EdgeIndexMicro {
  public static void main(String[] a) throws Exception {
    int cols = 15, rows = 2_000_000;
    Random r = new Random(1);
    double[][] data = new double[rows][cols];
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++) {
        double x =
            switch (j % 4) {
              case 0 -> r.nextGaussian() * 10 + 50;
              case 1 -> Math.exp(r.nextGaussian() * 0.7 + 1);
              case 2 -> r.nextDouble() * 100;
              default -> Math.floor(Math.pow(r.nextDouble(), 2) * 20);
            };
        data[i][j] = x;
      }
    double[][] edges = new double[cols][];
    for (int j = 0; j < cols; j++) {
      double[] s = new double[200000];
      for (int i = 0; i < s.length; i++) s[i] = data[i][j];
      Arrays.sort(s);
      TreeSet<Double> e = new TreeSet<>();
      for (int q = 1; q < 1000; q++) e.add(s[q * 200]);
      edges[j] = e.stream().mapToDouble(Double::doubleValue).toArray();
    }
    Constructor<?> ctor =
        Class.forName("io.lakeloop.monitoring.drift.EdgeIndex").getDeclaredConstructors()[0];
    Method of =
        Class.forName("io.lakeloop.monitoring.drift.EdgeIndex")
            .getDeclaredMethod("of", double[].class);
    of.setAccessible(true);
    Constructor<NumericProfile> pc =
        NumericProfile.class.getDeclaredConstructor(
            Class.forName("io.lakeloop.monitoring.drift.EdgeIndex"));
    pc.setAccessible(true);
    for (int rep = 0; rep < 5; rep++) {
      NumericProfile[] p = new NumericProfile[cols];
      for (int j = 0; j < cols; j++) p[j] = pc.newInstance(of.invoke(null, (Object) edges[j]));
      long t = System.nanoTime();
      for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) p[j].add(data[i][j]);
      long rowwise = System.nanoTime() - t;
      for (int j = 0; j < cols; j++) p[j] = pc.newInstance(of.invoke(null, (Object) edges[j]));
      double[][] buf = new double[cols][1024];
      int[] n = new int[cols];
      t = System.nanoTime();
      for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
          buf[j][n[j]++] = data[i][j];
          if (n[j] == 1024) {
            for (int k = 0; k < 1024; k++) p[j].add(buf[j][k]);
            n[j] = 0;
          }
        }
      long blocked = System.nanoTime() - t;
      long[][] cnt = new long[cols][1001];
      double[][] sm = new double[cols][1001];
      t = System.nanoTime();
      for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
          double v = data[i][j];
          double[] e = edges[j];
          int lo = 0, hi = e.length;
          while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (e[mid] <= v) lo = mid + 1;
            else hi = mid;
          }
          cnt[j][lo]++;
          sm[j][lo] += v;
        }
      long bs = System.nanoTime() - t;
      double acc = 0;
      t = System.nanoTime();
      for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) acc += data[i][j];
      long scan = System.nanoTime() - t;
      System.out.printf(
          "binsearch rowwise %.1f, scan only %.1f (%s) | ",
          bs / (double) rows / cols, scan / (double) rows / cols, acc > 0);
      System.out.printf(
          "rowwise %.1f ns/value, blocked %.1f ns/value%n",
          rowwise / (double) rows / cols, blocked / (double) rows / cols);
    }
  }
}
