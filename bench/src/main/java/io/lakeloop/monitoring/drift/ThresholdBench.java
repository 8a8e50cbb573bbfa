package io.lakeloop.monitoring.drift;

import io.lakeloop.common.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * False alarms and detections of drift's thresholds, fixed vs size-aware, side by side on the same
 * windows (bench/README.md). Stable traffic is drawn from fixed distributions — normal, log-normal,
 * Poisson (ties), a bimodal mixture, a column with 5 % nulls; categorical columns over 5, 20 (Zipf)
 * and 1,000 (Zipf) values — never from the histogram the size-aware thresholds sample. A baseline
 * of {@code --baseline} rows is profiled on its exact quantile edges as drift builds them; each
 * window of each size is profiled, compared with the baseline by {@link DriftStatistics} (the drift
 * job's code) and judged by both kinds of threshold. Shifted windows measure detection: a location
 * shift of 0.1 and 0.5 baseline standard deviations (numeric), 3 and 15 % of rows moved to one
 * mid-frequency value (categorical). Runs in one JVM without Spark: it measures the statistics and
 * thresholds, not the scan.
 */
public final class ThresholdBench {
  private ThresholdBench() {}

  /** One column: draws a value (numeric: NaN for null; categorical: null) under a shift. */
  private record Column(String name, boolean numeric, Draw draw) {}

  private interface Draw {
    Object at(SplittableRandom r, double shift);
  }

  private static final String[] SCENARIOS = {"drift-free", "small shift", "large shift"};

  public static void main(String[] args) {
    int baselineRows = 50_000;
    int baselines = 5;
    Map<Integer, Integer> sizes = new LinkedHashMap<>();
    sizes.put(100, 2_000);
    sizes.put(1_000, 1_000);
    sizes.put(100_000, 200);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--baseline" -> baselineRows = Integer.parseInt(args[++i]);
        case "--baselines" -> baselines = Integer.parseInt(args[++i]);
        case "--sizes" -> {
          sizes.clear();
          for (String s : args[++i].split(",")) {
            String[] p = s.split(":");
            sizes.put(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
          }
        }
        default ->
            throw new IllegalArgumentException(
                "unknown flag "
                    + args[i]
                    + "; use --baseline N --baselines B --sizes ROWS:WINDOWS,...");
      }
    }
    DriftSettings settings =
        DriftSettings.from(
            ConfigLoader.load(Optional.of(Path.of("configs/local.conf")), List.of()));
    List<Column> columns = columns();
    SplittableRandom rng = new SplittableRandom(20261205);
    // tallies: scenario -> kind/statistic -> size -> {fixed hits, size-aware hits, trials}
    Map<String, Map<String, Map<Integer, long[]>>> tally = new LinkedHashMap<>();
    final int perBaseline = baselines;
    // drift-free, size-aware: kind/statistic -> size -> {hits, trials} per baseline
    Map<String, Map<Integer, long[]>> worst = new LinkedHashMap<>();
    long thresholdNanos = 0;
    int thresholdSets = 0;
    for (Map.Entry<Integer, Integer> size : sizes.entrySet()) {
      int rows = size.getKey();
      for (int baselineNo = 0; baselineNo < baselines; baselineNo++) {
        // a fresh baseline, profiled on its exact quantile edges, for this share of the windows
        Map<String, NumericProfile> numericBase = new LinkedHashMap<>();
        Map<String, int[]> psiIndex = new LinkedHashMap<>();
        Map<String, CategoricalProfile> categoricalBase = new LinkedHashMap<>();
        Map<String, List<String>> kept = new LinkedHashMap<>();
        for (Column c : columns) {
          Object[] values = new Object[baselineRows];
          for (int i = 0; i < baselineRows; i++) {
            values[i] = c.draw.at(rng, 0);
          }
          if (c.numeric) {
            Baseline.Edges edges =
                Baseline.exactEdges(
                    Arrays.stream(values).mapToDouble(v -> (Double) v).toArray(),
                    settings.fineQuantiles(),
                    settings.psiBins());
            NumericProfile p = new NumericProfile(edges.fine());
            for (Object v : values) {
              p.add(Double.isNaN((Double) v) ? null : (Double) v);
            }
            numericBase.put(c.name, p);
            psiIndex.put(c.name, edges.psiIndex());
          } else {
            CategoricalProfile p = new CategoricalProfile();
            for (Object v : values) {
              p.add((String) v);
            }
            categoricalBase.put(c.name, p);
            kept.put(c.name, p.top(settings.topKCategories()));
          }
        }
        NullThresholds sizeAware = new NullThresholds(settings);
        for (int s = 0; s < SCENARIOS.length; s++) {
          for (int w = 0; w < size.getValue() / baselines; w++) {
            for (Column c : columns) {
              double shift = s == 0 ? 0 : (s == 1 ? 0.1 : 0.5);
              List<DriftStatistics.Statistic> stats;
              Map<String, Double> limits;
              long t0 = System.nanoTime();
              if (c.numeric) {
                NumericProfile base = numericBase.get(c.name);
                NumericProfile cur = new NumericProfile(base.edges());
                for (int i = 0; i < rows; i++) {
                  double v = (Double) c.draw.at(rng, shift);
                  cur.add(Double.isNaN(v) ? null : v);
                }
                stats = DriftStatistics.numeric(base, cur, base.std(), psiIndex.get(c.name));
                t0 = System.nanoTime();
                limits =
                    sizeAware.numeric(
                        c.name,
                        base,
                        base.count(),
                        cur.count(),
                        true,
                        base.std(),
                        psiIndex.get(c.name));
              } else {
                CategoricalProfile base = categoricalBase.get(c.name);
                CategoricalProfile cur = new CategoricalProfile();
                double moved = s == 0 ? 0 : (s == 1 ? 0.03 : 0.15);
                for (int i = 0; i < rows; i++) {
                  cur.add((String) c.draw.at(rng, moved));
                }
                stats = DriftStatistics.categorical(base, cur, kept.get(c.name));
                t0 = System.nanoTime();
                limits =
                    sizeAware.categorical(
                        c.name, base, kept.get(c.name), base.count(), cur.count(), true);
              }
              if (s == 0 && w == 0) { // the set computed for this column, size and baseline
                thresholdNanos += System.nanoTime() - t0;
                thresholdSets++;
              }
              for (DriftStatistics.Statistic x : stats) {
                Double fixed = settings.threshold(x.name());
                if (fixed == null || x.name().equals(DriftSettings.UNSEEN_SHARE)) {
                  continue;
                }
                long[] t =
                    tally
                        .computeIfAbsent(SCENARIOS[s], k -> new LinkedHashMap<>())
                        .computeIfAbsent(
                            (c.numeric ? "numeric " : "categorical ") + x.name(),
                            k -> new LinkedHashMap<>())
                        .computeIfAbsent(rows, k -> new long[3]);
                t[0] += DriftSettings.drifted(x.name(), x.value(), x.pValue(), fixed) ? 1 : 0;
                t[1] +=
                    DriftSettings.drifted(x.name(), x.value(), x.pValue(), limits.get(x.name()))
                        ? 1
                        : 0;
                t[2]++;
                if (s == 0) {
                  long[] per =
                      worst
                          .computeIfAbsent(
                              (c.numeric ? "numeric " : "categorical ") + x.name(),
                              k -> new LinkedHashMap<>())
                          .computeIfAbsent(rows, k -> new long[2 * perBaseline]);
                  per[2 * baselineNo] +=
                      DriftSettings.drifted(x.name(), x.value(), x.pValue(), limits.get(x.name()))
                          ? 1
                          : 0;
                  per[2 * baselineNo + 1]++;
                }
              }
            }
          }
        }
      }
      System.err.printf(Locale.ROOT, "bench: %,d-row windows done%n", rows);
    }
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "%n### Thresholds: fixed vs size-aware (α = %.2f, %,d replicates), %d baselines of %,d"
                + " rows each, %d numeric + %d categorical columns%n",
            settings.falseAlarmRate(),
            settings.nullReplicates(),
            baselines,
            baselineRows,
            columns.stream().filter(Column::numeric).count(),
            columns.stream().filter(c -> !c.numeric()).count()));
    for (String scenario : SCENARIOS) {
      md.append(
          String.format(
              Locale.ROOT,
              "%n%s windows: share called drifted (fixed / size-aware)%n%n",
              scenario));
      md.append("| statistic |");
      for (Map.Entry<Integer, Integer> size : sizes.entrySet()) {
        md.append(
            String.format(
                Locale.ROOT, " %,d rows (%,d windows) |", size.getKey(), size.getValue()));
      }
      md.append("\n|---|");
      md.append("---:|".repeat(sizes.size()));
      md.append("\n");
      for (Map.Entry<String, Map<Integer, long[]>> stat : tally.get(scenario).entrySet()) {
        md.append("| ").append(stat.getKey()).append(" |");
        for (int rows : sizes.keySet()) {
          long[] t = stat.getValue().get(rows);
          md.append(
              t == null
                  ? " - |"
                  : String.format(
                      Locale.ROOT,
                      " %.1f %% / %.1f %% |",
                      100.0 * t[0] / t[2],
                      100.0 * t[1] / t[2]));
        }
        md.append("\n");
      }
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%nDrift-free windows, size-aware: the worst of the %d baselines (each judged"
                + " %s)%n%n| statistic |",
            baselines,
            "a share of the windows"));
    for (int rows : sizes.keySet()) {
      md.append(String.format(Locale.ROOT, " %,d rows |", rows));
    }
    md.append("\n|---|").append("---:|".repeat(sizes.size())).append("\n");
    for (Map.Entry<String, Map<Integer, long[]>> stat : worst.entrySet()) {
      md.append("| ").append(stat.getKey()).append(" |");
      for (int rows : sizes.keySet()) {
        long[] per = stat.getValue().get(rows);
        double max = 0;
        for (int b = 0; per != null && b < baselines; b++) {
          max = Math.max(max, per[2 * b + 1] == 0 ? 0 : (double) per[2 * b] / per[2 * b + 1]);
        }
        md.append(String.format(Locale.ROOT, " %.1f %% |", 100 * max));
      }
      md.append("\n");
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%n- size-aware thresholds: %.1f ms per column and window size on average (%d"
                + " sets computed; every other window of a size reused its column's set)%n",
            thresholdSets == 0 ? 0 : thresholdNanos / 1e6 / thresholdSets,
            thresholdSets));
    System.out.print(md);
  }

  private static List<Column> columns() {
    List<Column> out = new ArrayList<>();
    out.add(new Column("normal", true, (r, s) -> gaussian(r) + s));
    out.add(
        new Column("lognormal", true, (r, s) -> Math.exp(0.8 * gaussian(r)) * Math.exp(s * 0.8)));
    out.add(new Column("poisson", true, (r, s) -> (double) poisson(r, 3 + s * Math.sqrt(3))));
    out.add(
        new Column(
            "bimodal",
            true,
            (r, s) -> (r.nextDouble() < 0.3 ? gaussian(r) - 2 : gaussian(r) + 2) + s * 2.1));
    out.add(
        new Column(
            "with_nulls",
            true,
            (r, s) -> r.nextDouble() < 0.05 ? Double.NaN : 10 + 2 * gaussian(r) + 2 * s));
    out.add(categorical("plan", new double[] {0.4, 0.3, 0.15, 0.1, 0.05}));
    out.add(categorical("region", zipf(20)));
    out.add(categorical("city", zipf(1_000)));
    return out;
  }

  private static Column categorical(String name, double[] weights) {
    String[] values = new String[weights.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = name + i;
    }
    String moved = values[Math.min(values.length - 1, 3)];
    return new Column(
        name,
        false,
        (r, s) -> {
          if (r.nextDouble() < s) {
            return moved;
          }
          double u = r.nextDouble();
          for (int i = 0; i < weights.length; i++) {
            u -= weights[i];
            if (u < 0) {
              return values[i];
            }
          }
          return values[values.length - 1];
        });
  }

  private static double[] zipf(int n) {
    double[] w = new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) {
      w[i] = 1.0 / (i + 1);
      total += w[i];
    }
    for (int i = 0; i < n; i++) {
      w[i] /= total;
    }
    return w;
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller (SplittableRandom has no nextGaussian before Java 17's default method)
    double u = r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
  }

  private static int poisson(SplittableRandom r, double mean) {
    double l = Math.exp(-mean);
    int k = 0;
    double p = r.nextDouble();
    while (p > l) {
      k++;
      p *= r.nextDouble();
    }
    return k;
  }
}
