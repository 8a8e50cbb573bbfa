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
 * here, as the profiler does, and compared at 1e-9 (p-values relative to their size); the exact
 * (unbinned) KS statistic and Wasserstein distance must lie within the error bounds our binned ones
 * report, and those bounds must be small where the data allow it.
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
    assertThat(actual)
        .as(what)
        .isCloseTo(expected, within(1e-9 * Math.abs(expected) + Double.MIN_NORMAL));
  }

  @Test
  void numericStatisticsMatchScipy() throws IOException {
    List<Map<String, String>> base = csv("baseline.csv");
    List<Map<String, String>> cur = csv("current.csv");
    Map<String, Expected> exp = expected();
    Map<String, double[]> fine = edges("fine");
    Map<String, double[]> psi = edges("psi");
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
      close(e.length, exp.get(c + "/fine_edges_count").value(), c + " fine edges");
      close(psiIndex.length, exp.get(c + "/psi_edges_count").value(), c + " psi edges");
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
      // one-sided: the binned value never exceeds the exact one, which is within value + bound
      assertThat(w.value()).as(c + ": W1 ≤ exact").isLessThanOrEqualTo(exactW + 1e-12);
      assertThat(exactW - w.value())
          .as(c + ": exact Wasserstein within the reported bound")
          .isLessThanOrEqualTo(w.errorBound() + 1e-12);
      if (exp.containsKey(c + "/wasserstein_norm")) {
        DriftStatistics.Statistic norm = s.get("wasserstein_norm");
        double exactNorm = exp.get(c + "/wasserstein_norm").value();
        assertThat(exactNorm - norm.value())
            .as(c + ": exact normalised Wasserstein within its bound")
            .isBetween(-1e-12, norm.errorBound() + 1e-12);
      } else {
        assertThat(s).as(c + ": zero baseline std").doesNotContainKey("wasserstein_norm");
      }
      switch (c) {
        case "n_same", "n_shift", "n_nulls" -> {
          // continuous: fine bins hold 1/1000 of the baseline each
          assertThat(ks.errorBound()).as(c + " KS bound").isLessThan(0.002);
          assertThat(w.errorBound()).as(c + " W1 bound").isLessThan(0.01);
        }
        case "n_ties" -> {
          // every value on a baseline edge: both are exact
          assertThat(ks.errorBound()).as(c + " KS bound").isZero();
          assertThat(w.errorBound()).as(c + " W1 bound").isZero();
        }
        case "n_const" -> {
          // the new value 4.0 sits inside the baseline's last bin: W1 is still exact, but from
          // counts and sums the current could sit anywhere above 3, so KS is known only to ≤ 1
          assertThat(w.errorBound()).as(c + " W1 bound").isZero();
          assertThat(ks.errorBound()).as(c + " KS bound").isEqualTo(1.0);
        }
        default -> throw new AssertionError(c);
      }
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
