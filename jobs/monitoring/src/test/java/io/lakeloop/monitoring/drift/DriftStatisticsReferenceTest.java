package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Drift statistics against SciPy on the same data: {@code drift-reference/} holds a baseline (4,000
 * rows) and a current sample (3,000 rows) with shifted, tied, constant, null-heavy, all-null and
 * categorical columns, the baseline's quantile edges, and SciPy's values (make_reference.py
 * regenerates them; test_drift_reference.py checks they are current). Profiles are built row by row
 * here, as the profiler does, and compared at 1e-9; the exact (unbinned) KS statistic and
 * Wasserstein distance must lie within the error bounds our binned ones report.
 */
class DriftStatisticsReferenceTest {
  private static final String DIR = "/drift-reference/";
  private static final List<String> NUMERIC =
      List.of("n_same", "n_shift", "n_ties", "n_const", "n_nulls", "n_allnull");
  private static final List<String> CATEGORICAL = List.of("c_same", "c_shift", "c_many");

  private static List<Map<String, String>> csv(String name) throws IOException {
    try (InputStream in = DriftStatisticsReferenceTest.class.getResourceAsStream(DIR + name)) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      String[] header = lines[0].split(",", -1);
      List<Map<String, String>> rows = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        if (lines[i].isEmpty()) {
          continue;
        }
        String[] cells = lines[i].split(",", -1);
        Map<String, String> r = new HashMap<>();
        for (int j = 0; j < header.length; j++) {
          r.put(header[j], cells[j]);
        }
        rows.add(r);
      }
      return rows;
    }
  }

  private static Double number(String cell) {
    return switch (cell) {
      case "" -> null;
      case "NaN" -> Double.NaN;
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(cell);
    };
  }

  private record Expected(double value, Double pValue) {}

  private static Map<String, Expected> expected() throws IOException {
    Map<String, Expected> out = new HashMap<>();
    for (Map<String, String> r : csv("expected.csv")) {
      out.put(
          r.get("column") + "/" + r.get("statistic"),
          new Expected(number(r.get("value")), number(r.get("p_value"))));
    }
    return out;
  }

  private static Map<String, double[]> edges(String kind) throws IOException {
    Map<String, List<Double>> byColumn = new LinkedHashMap<>();
    for (Map<String, String> r : csv("edges.csv")) {
      if (r.get("kind").equals(kind)) {
        byColumn
            .computeIfAbsent(r.get("column"), c -> new ArrayList<>())
            .add(Double.parseDouble(r.get("edge")));
      }
    }
    Map<String, double[]> out = new HashMap<>();
    byColumn.forEach((c, l) -> out.put(c, l.stream().mapToDouble(Double::doubleValue).toArray()));
    return out;
  }

  private static NumericProfile numeric(List<Map<String, String>> rows, String c, double[] e) {
    NumericProfile p = new NumericProfile(e);
    for (Map<String, String> r : rows) {
      Double v = number(r.get(c));
      if (v == null) {
        p.addNull();
      } else {
        p.add(v);
      }
    }
    return p;
  }

  private static CategoricalProfile categorical(List<Map<String, String>> rows, String c) {
    Map<String, Long> counts = new HashMap<>();
    long nulls = 0;
    for (Map<String, String> r : rows) {
      String v = r.get(c);
      if (v.isEmpty()) {
        nulls++;
      } else {
        counts.merge(v, 1L, Long::sum);
      }
    }
    return new CategoricalProfile(rows.size(), nulls, counts);
  }

  private static Map<String, DriftStatistics.Statistic> byName(List<DriftStatistics.Statistic> l) {
    Map<String, DriftStatistics.Statistic> out = new HashMap<>();
    l.forEach(s -> out.put(s.name(), s));
    return out;
  }

  private static void close(double actual, double expected, String what) {
    assertThat(actual).as(what).isCloseTo(expected, within(1e-9 * Math.max(1, Math.abs(expected))));
  }

  private static void closeRelative(double actual, double expected, String what) {
    assertThat(actual).as(what).isCloseTo(expected, within(1e-8 * Math.abs(expected) + 1e-300));
  }

  @Test
  void numericStatisticsMatchScipy() throws IOException {
    List<Map<String, String>> base = csv("baseline.csv");
    List<Map<String, String>> cur = csv("current.csv");
    Map<String, Expected> exp = expected();
    Map<String, double[]> fine = edges("fine");
    Map<String, double[]> psi = edges("psi");
    StringBuilder report = new StringBuilder();
    for (String c : NUMERIC) {
      double[] e = fine.get(c);
      int[] psiIndex =
          Arrays.stream(psi.get(c))
              .mapToInt(
                  x -> {
                    int i = Arrays.binarySearch(e, x);
                    assertThat(i).as("%s: PSI edge %s is a fine edge", c, x).isNotNegative();
                    return i;
                  })
              .toArray();
      NumericProfile b = numeric(base, c, e);
      NumericProfile k = numeric(cur, c, e);
      // profile moments
      for (String side : List.of("baseline", "current")) {
        NumericProfile p = side.equals("baseline") ? b : k;
        close(p.count(), exp.get(c + "/" + side + "_count").value(), c + " " + side + " count");
        close(p.nullCount(), exp.get(c + "/" + side + "_null_count").value(), c + " nulls");
        close(p.nanCount(), exp.get(c + "/" + side + "_nan_count").value(), c + " NaNs");
        if (exp.containsKey(c + "/" + side + "_mean")) {
          close(p.mean(), exp.get(c + "/" + side + "_mean").value(), c + " " + side + " mean");
          close(p.std(), exp.get(c + "/" + side + "_std").value(), c + " " + side + " std");
          close(p.min(), exp.get(c + "/" + side + "_min").value(), c + " " + side + " min");
          close(p.max(), exp.get(c + "/" + side + "_max").value(), c + " " + side + " max");
        } else {
          assertThat(p.finiteCount()).as(c + " " + side + " has no finite values").isZero();
        }
      }
      Map<String, DriftStatistics.Statistic> s =
          byName(DriftStatistics.numeric(b, k, b.std(), psiIndex));
      close(s.get("psi").value(), exp.get(c + "/psi").value(), c + " psi");
      close(s.get("js_distance").value(), exp.get(c + "/js_distance").value(), c + " js");
      close(
          s.get("null_rate_change").value(),
          exp.get(c + "/null_rate_change").value(),
          c + " null_rate_change");
      if (!exp.containsKey(c + "/ks")) {
        assertThat(s)
            .as(c + ": no finite current values, no KS/Wasserstein")
            .doesNotContainKeys("ks", "wasserstein", "wasserstein_norm");
        continue;
      }
      DriftStatistics.Statistic ks = s.get("ks");
      close(ks.value(), exp.get(c + "/ks_grid").value(), c + " ks (grid)");
      closeRelative(ks.pValue(), exp.get(c + "/ks_grid").pValue(), c + " ks p-value");
      double exactKs = exp.get(c + "/ks").value();
      assertThat(Math.abs(exactKs - ks.value()))
          .as(c + ": exact KS within the grid's bound")
          .isLessThanOrEqualTo(ks.errorBound() + 1e-12);
      DriftStatistics.Statistic w = s.get("wasserstein");
      double exactW = exp.get(c + "/wasserstein").value();
      assertThat(Math.abs(exactW - w.value()))
          .as(c + ": exact Wasserstein within the reported bound")
          .isLessThanOrEqualTo(w.errorBound() + 1e-9 * Math.max(1, exactW));
      if (exp.containsKey(c + "/wasserstein_norm")) {
        assertThat(s).containsKey("wasserstein_norm");
      } else {
        assertThat(s).as(c + ": zero baseline std").doesNotContainKey("wasserstein_norm");
      }
      report.append(
          String.format(
              "%s: ks %.6f vs exact %.6f (bound %.6f); wasserstein %.6f vs exact %.6f (bound %.6f)%n",
              c, ks.value(), exactKs, ks.errorBound(), w.value(), exactW, w.errorBound()));
    }
    System.out.print(report);
    // continuous columns: the binned Wasserstein is within 1e-3 baseline standard deviations
    // of the exact one (the CDFs cross inside only a few of the 1,000 bins)
    for (String c : List.of("n_same", "n_shift", "n_nulls")) {
      NumericProfile b = numeric(base, c, fine.get(c));
      NumericProfile k = numeric(cur, c, fine.get(c));
      double[] w = DriftStatistics.wasserstein(b, k);
      assertThat(w[0])
          .as(c + " wasserstein")
          .isCloseTo(exp.get(c + "/wasserstein").value(), within(1e-3 * b.std()));
    }
  }

  @Test
  void categoricalStatisticsMatchScipy() throws IOException {
    List<Map<String, String>> base = csv("baseline.csv");
    List<Map<String, String>> cur = csv("current.csv");
    Map<String, Expected> exp = expected();
    for (String c : CATEGORICAL) {
      CategoricalProfile b = categorical(base, c);
      CategoricalProfile k = categorical(cur, c);
      Map<String, DriftStatistics.Statistic> s =
          byName(DriftStatistics.categorical(b, k, b.top(20)));
      for (String name :
          List.of(
              "psi",
              "js_distance",
              "linf",
              "total_variation",
              "unseen_share",
              "null_rate_change")) {
        close(s.get(name).value(), exp.get(c + "/" + name).value(), c + " " + name);
      }
      close(s.get("chi_square").value(), exp.get(c + "/chi_square").value(), c + " chi-square");
      closeRelative(
          s.get("chi_square").pValue(), exp.get(c + "/chi_square").pValue(), c + " chi-square p");
    }
  }
}
