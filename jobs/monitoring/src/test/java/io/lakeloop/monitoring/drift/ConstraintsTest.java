package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.table.Tables;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRow;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.junit.jupiter.api.Test;

/**
 * Suggested constraints and their checks against direct computations on the raw values: a baseline,
 * a clean window and a window with one injected violation of every kind.
 */
class ConstraintsTest {
  private static final ConstraintSettings SETTINGS = new ConstraintSettings(0.1, 0.02, 50, 0.02);
  private static final double[] EDGES = IntStream.range(1, 100).mapToDouble(i -> i * 5.0).toArray();
  private static final List<String> PLANS = List.of("basic", "standard", "premium", "family");

  /** Raw values of one data set: age (≥ 0, with nulls), spend (any sign), plan, city. */
  private record Data(Double[] age, Double[] spend, String[] plan, String[] city) {
    static Data draw(SplittableRandom r, int n, int newCities) {
      Double[] age = new Double[n];
      Double[] spend = new Double[n];
      String[] plan = new String[n];
      String[] city = new String[n];
      for (int i = 0; i < n; i++) {
        age[i] = r.nextDouble() < 0.03 ? null : 18 + Math.floor(r.nextDouble() * 70);
        spend[i] = -50 + r.nextDouble() * 550;
        plan[i] = r.nextDouble() < 0.01 ? null : PLANS.get(r.nextInt(PLANS.size()));
        city[i] =
            i < newCities
                ? "new-" + i
                : "city-" + (int) Math.floor(Math.pow(r.nextDouble(), 3) * 5000);
      }
      return new Data(age, spend, plan, city);
    }

    Map<String, NumericProfile> numeric() {
      Map<String, NumericProfile> m = new LinkedHashMap<>();
      m.put("age", profile(age));
      m.put("spend", profile(spend));
      return m;
    }

    Map<String, CategoricalProfile> categorical() {
      Map<String, CategoricalProfile> m = new LinkedHashMap<>();
      m.put("plan", profile(plan));
      m.put("city", profile(city));
      return m;
    }
  }

  private static NumericProfile profile(Double[] values) {
    NumericProfile p = new NumericProfile(EDGES);
    Arrays.stream(values).forEach(p::add);
    return p;
  }

  private static CategoricalProfile profile(String[] values) {
    CategoricalProfile p = new CategoricalProfile();
    Arrays.stream(values).forEach(p::add);
    return p;
  }

  private static Baseline baseline(Data d) {
    return new Baseline(
        "base-run",
        "test",
        null,
        null,
        LocalDate.of(2026, 1, 1),
        List.of("age", "spend"),
        List.of("plan", "city"),
        Map.of(),
        d.numeric(),
        d.categorical(),
        null,
        Map.of());
  }

  private static final Data BASE = Data.draw(new SplittableRandom(7), 20_000, 0);
  private static final List<Constraint> SUGGESTED =
      ConstraintSuggestions.from(baseline(BASE), Set.of(), true, SETTINGS);

  /** Row-level counts of a window of {@code rows} rows starting on day 0: all valid, no repeat. */
  private static ConstraintChecks.Rows cleanRows(int rows) {
    RowChecks k = new RowChecks(true);
    for (int i = 0; i < rows; i++) {
      k.addScores(false);
    }
    return new ConstraintChecks.Rows(rows, k, 0);
  }

  private static Constraint suggested(String name) {
    return SUGGESTED.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  private static double nullShare(Object[] v) {
    return Arrays.stream(v).filter(Objects::isNull).count() / (double) v.length;
  }

  private static double min(Double[] v) {
    return Arrays.stream(v).filter(Objects::nonNull).mapToDouble(x -> x).min().orElseThrow();
  }

  private static double max(Double[] v) {
    return Arrays.stream(v).filter(Objects::nonNull).mapToDouble(x -> x).max().orElseThrow();
  }

  @Test
  void suggestionsFollowTheBaselineWithTheConfiguredSlackAndMargin() {
    assertThat(SUGGESTED.stream().map(Constraint::name))
        .containsExactly(
            "scores.valid_scores",
            "request_id.unique",
            "age.completeness",
            "age.min",
            "age.max",
            "age.non_negative",
            "spend.completeness",
            "spend.min",
            "spend.max",
            "plan.completeness",
            "plan.allowed_values",
            "city.completeness",
            "city.unseen_share");
    // bounds: the direct value with its slack or margin, rounded outward to 4 digits
    double ageNulls = nullShare(BASE.age()) + 0.02;
    assertThat(suggested("age.completeness").bound())
        .isGreaterThanOrEqualTo(ageNulls)
        .isCloseTo(ageNulls, within(1e-3 * ageNulls));
    double range = max(BASE.spend()) - min(BASE.spend());
    double lo = min(BASE.spend()) - 0.1 * range;
    double hi = max(BASE.spend()) + 0.1 * range;
    assertThat(suggested("spend.min").bound())
        .isLessThanOrEqualTo(lo)
        .isCloseTo(lo, within(1e-3 * Math.abs(lo)));
    assertThat(suggested("spend.max").bound())
        .isGreaterThanOrEqualTo(hi)
        .isCloseTo(hi, within(1e-3 * hi));
    // age never went below 0: it gets non_negative, spend does not
    double ageLo = min(BASE.age()) - 0.1 * (max(BASE.age()) - min(BASE.age()));
    assertThat(suggested("age.min").bound())
        .isLessThanOrEqualTo(ageLo)
        .isCloseTo(ageLo, within(0.01));
    assertThat(SUGGESTED).noneMatch(c -> c.name().equals("spend.non_negative"));
    // and a never-negative column's range stops at 0: {1, 100} would reach 1 - 9.9
    Data tiny =
        new Data(
            new Double[] {1.0, 100.0},
            new Double[] {1.0, 2.0},
            new String[] {"basic", "basic"},
            new String[] {"a", "b"});
    assertThat(ConstraintSuggestions.from(baseline(tiny), Set.of(), true, SETTINGS))
        .filteredOn(c -> c.name().equals("age.min"))
        .singleElement()
        .extracting(Constraint::bound)
        .isEqualTo(0.0);
    // a small domain is listed (most frequent first), a large one bounded by its unseen share
    assertThat(suggested("plan.allowed_values").values())
        .containsExactlyInAnyOrderElementsOf(PLANS);
    // Good-Turing: the baseline's share of cities seen once, plus the slack
    Map<String, Long> cityCounts =
        Arrays.stream(BASE.city()).collect(Collectors.groupingBy(c -> c, Collectors.counting()));
    double missed = cityCounts.values().stream().filter(x -> x == 1).count() / 20_000.0 + 0.02;
    assertThat(suggested("city.unseen_share").bound())
        .isGreaterThanOrEqualTo(missed)
        .isCloseTo(missed, within(1e-3 * missed));
    // whole rows: no invalid score vector, no repeated request id; a regression model logs no
    // score vector
    assertThat(suggested("scores.valid_scores").bound()).isZero();
    assertThat(suggested("request_id.unique").bound()).isZero();
    assertThat(ConstraintSuggestions.from(baseline(BASE), Set.of(), false, SETTINGS))
        .noneMatch(c -> c.kind() == Constraint.Kind.VALID_SCORES)
        .anyMatch(c -> c.kind() == Constraint.Kind.UNIQUE);
    // where a null means "not known yet" there is no completeness constraint
    assertThat(ConstraintSuggestions.from(baseline(BASE), Set.of("plan"), true, SETTINGS))
        .noneMatch(c -> c.name().equals("plan.completeness"));
  }

  @Test
  void aWindowCountsTheRepeatsWhoseEarlierRowIsInsideIt() {
    // day 10: two repeats of earlier rows of the same day, one of a row of day 8; day 12: one of
    // a row of day 11 and one of day 6
    RowChecks day10 = new RowChecks(true);
    day10.addRepeat(10, 0, 6);
    day10.addRepeat(10, 0, 6);
    day10.addRepeat(10, 2, 6);
    RowChecks day12 = new RowChecks(true);
    day12.addRepeat(12, 1, 6);
    day12.addRepeat(12, 6, 6);
    RowChecks window = new RowChecks(true).merge(day10).merge(day12);
    Map<Integer, Long> expected = Map.of(6, 5L, 7, 4L, 8, 4L, 9, 3L, 10, 3L, 11, 1L, 12, 0L);
    expected.forEach(
        (start, n) -> assertThat(window.repeats(start)).as("from day %d", start).isEqualTo(n));
    // stored and read back, as a later run merges it
    Row stored =
        ProfileRows.rowChecks(
            new ProfileRows.Meta(
                "m",
                "1",
                ProfileRows.WINDOW,
                "1 week",
                null,
                null,
                "prediction_log",
                1L,
                "b",
                "r",
                LocalDate.ofEpochDay(6),
                Slice.ALL),
            window,
            6);
    RowChecks back =
        ProfileRows.rowChecksOf(
            new GenericRowWithSchema(
                ((GenericRow) stored).values(), Tables.PROFILES_SPEC.schema()));
    expected.forEach((start, n) -> assertThat(back.repeats(start)).isEqualTo(n));
    // request ids never looked at: unknown, not zero
    assertThat(window.merge(new RowChecks(false)).repeats(6)).isEqualTo(-1);
    assertThat(new RowChecks(false).combine(day10).repeats(10)).isEqualTo(2);
  }

  @Test
  void aCleanWindowPassesEveryConstraint() {
    Data clean = Data.draw(new SplittableRandom(8), 3_000, 0);
    List<ConstraintChecks.Check> checks =
        ConstraintChecks.check(
            SUGGESTED, clean.numeric(), clean.categorical(), BASE.categorical(), cleanRows(3_000));
    assertThat(checks).hasSize(SUGGESTED.size()).allMatch(ConstraintChecks.Check::passed);
  }

  @Test
  void everyInjectedViolationFailsWithTheDirectlyComputedValue() {
    SplittableRandom r = new SplittableRandom(9);
    Data bad = Data.draw(r, 3_000, 300); // 10 % of cities never seen
    for (int i = 0; i < bad.age().length; i++) {
      if (r.nextDouble() < 0.3) {
        bad.age()[i] = null; // completeness
      }
      if (i % 100 == 0) {
        bad.plan()[i] = "platinum"; // not an allowed value
      }
    }
    bad.age()[5] = -1.0; // below 0 and below the range
    bad.spend()[6] = 10_000.0; // above the range
    // whole rows of a week starting on day 100: 30 invalid score vectors; request ids repeated
    // 4 times on its first day (gap 0), twice 3 days after an earlier row, and once 5 days after
    // one on day 98, before the window (not a repeat within it)
    RowChecks rowCounts = new RowChecks(true);
    for (int i = 0; i < 3_000; i++) {
      rowCounts.addScores(i % 100 == 0);
    }
    for (int i = 0; i < 4; i++) {
      rowCounts.addRepeat(100, 0, 6);
    }
    rowCounts.addRepeat(103, 3, 6);
    rowCounts.addRepeat(104, 3, 6);
    rowCounts.addRepeat(103, 5, 6);
    Map<String, ConstraintChecks.Check> byName =
        ConstraintChecks.check(
                SUGGESTED,
                bad.numeric(),
                bad.categorical(),
                BASE.categorical(),
                new ConstraintChecks.Rows(3_000, rowCounts, 100))
            .stream()
            .collect(Collectors.toMap(c -> c.constraint().name(), Function.identity()));

    Map<String, Double> expected = new LinkedHashMap<>();
    expected.put("age.completeness", nullShare(bad.age()));
    expected.put("age.min", min(bad.age()));
    expected.put("age.non_negative", min(bad.age()));
    expected.put("spend.max", max(bad.spend()));
    long plans = Arrays.stream(bad.plan()).filter(Objects::nonNull).count();
    expected.put(
        "plan.allowed_values",
        Arrays.stream(bad.plan()).filter(p -> p != null && !PLANS.contains(p)).count()
            / (double) plans);
    Set<String> baseCities = new HashSet<>(Arrays.asList(BASE.city()));
    expected.put(
        "city.unseen_share",
        Arrays.stream(bad.city()).filter(c -> !baseCities.contains(c)).count()
            / (double) bad.city().length);
    expected.put("scores.valid_scores", 30 / 3_000.0);
    expected.put("request_id.unique", 6 / 3_000.0);
    expected.forEach(
        (name, value) -> {
          ConstraintChecks.Check c = byName.get(name);
          assertThat(c.observed()).as(name).isCloseTo(value, within(1e-12));
          assertThat(c.passed()).as(name).isFalse();
          assertThat(c.rows()).as(name).isEqualTo(3_000);
        });
    assertThat(byName.values().stream().filter(c -> !c.passed()).map(c -> c.constraint().name()))
        .containsExactlyInAnyOrderElementsOf(expected.keySet());
  }

  @Test
  void theFileRoundTripsAndItsErrorsNameTheFix() {
    ConstraintFile file = new ConstraintFile("churn", "base-run", 3, SUGGESTED);
    assertThat(ConstraintFile.parse(file.render(), "f.conf")).isEqualTo(file);
    String unknownKind = file.render().replace("kind = non_negative", "kind = positive");
    assertThatThrownBy(() -> ConstraintFile.parse(unknownKind, "f.conf"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("f.conf, constraint #6 (age.non_negative): unknown kind 'positive'")
        .hasMessageContaining("non_negative");
    String twice = file.render().replace("\"spend.min\"", "\"age.min\"");
    assertThatThrownBy(() -> ConstraintFile.parse(twice, "f.conf"))
        .hasMessageContaining("the name 'age.min' is used twice");
    assertThatThrownBy(() -> ConstraintFile.parse("format = 1\nmodel = x\n", "f.conf"))
        .hasMessageContaining("cannot read the constraints file f.conf")
        .hasMessageContaining("constraints suggest --replace");
  }

  @Test
  void aWideBaselineWithAHugeDomainGivesOneConstraintPerColumnAndKind() {
    // 500 numeric columns and a 100,000-value domain: suggestion reads profiles, never values,
    // and a domain past max-domain-size is one bound, not a list
    SplittableRandom r = new SplittableRandom(10);
    Map<String, NumericProfile> numeric = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (int j = 0; j < 500; j++) {
      NumericProfile p = new NumericProfile(EDGES);
      for (int i = 0; i < 200; i++) {
        p.add(r.nextDouble() * 100);
      }
      numeric.put("x" + j, p);
      names.add("x" + j);
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    for (int v = 0; v < 100_000; v++) {
      counts.put("v" + v, 1L + (v % 3));
    }
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    CategoricalProfile huge = new CategoricalProfile(total, 0, counts);
    Baseline wide =
        new Baseline(
            "wide",
            "test",
            null,
            null,
            LocalDate.of(2026, 1, 1),
            names,
            List.of("id"),
            Map.of(),
            numeric,
            Map.of("id", huge),
            null,
            Map.of());
    List<Constraint> s = ConstraintSuggestions.from(wide, Set.of(), false, SETTINGS);
    assertThat(s).hasSize(1 + 500 * 4 + 2);
    assertThat(s.get(s.size() - 1).kind()).isEqualTo(Constraint.Kind.UNSEEN_SHARE);
    assertThat(new ConstraintFile("wide", "wide", 1, s).render().length()).isLessThan(200_000);
  }
}
