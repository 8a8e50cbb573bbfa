package io.lakeloop.common.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.testing.SparkTestBase;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Predicates evaluated by Spark itself on rows whose strings hold what SQL literals must escape
 * (quotes, backslashes, LIKE's wildcards): each predicate selects exactly the rows whose values
 * equal its own, and a replaceWhere with one replaces exactly those rows.
 */
class PredicateTest extends SparkTestBase {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType)
          .add("day", DataTypes.DateType)
          .add("at", DataTypes.TimestampType)
          .add("n", DataTypes.IntegerType);
  private static final List<String> IDS =
      List.of("it's", "its", "it\\'s", "back\\slash", "backslash", "a_b%c", "axbyc", "a_b%cd");
  private static final Instant T0 = Instant.parse("2026-01-14T00:00:00Z");

  private static Dataset<Row> rows() {
    List<Row> rows =
        IntStream.range(0, IDS.size())
            .mapToObj(
                i ->
                    RowFactory.create(
                        IDS.get(i),
                        Date.valueOf(LocalDate.parse("2026-01-10").plusDays(i)),
                        Timestamp.from(T0.plusSeconds(3600L * i)),
                        i))
            .toList();
    return spark().createDataFrame(rows, SCHEMA);
  }

  private static List<Integer> matching(Predicate p) {
    return rows().where(p.column()).orderBy("n").collectAsList().stream()
        .map(r -> r.getInt(3))
        .toList();
  }

  @Test
  void aStringIsMatchedAsItselfWhateverItHolds() {
    for (int i = 0; i < IDS.size(); i++) {
      assertThat(matching(Predicate.eq("id", IDS.get(i)))).as(IDS.get(i)).containsExactly(i);
    }
    // LIKE's % and _ in a prefix are themselves, not wildcards: "a_b%c" and "a_b%cd", not "axbyc"
    assertThat(matching(Predicate.startsWith("id", "a_b%c"))).containsExactly(5, 7);
    assertThat(matching(Predicate.startsWith("id", "back\\"))).containsExactly(3);
    assertThat(matching(Predicate.startsWith("id", "it'"))).containsExactly(0);
  }

  @Test
  void datesInstantsAndTheirCombinations() {
    LocalDate d2 = LocalDate.parse("2026-01-12");
    assertThat(matching(Predicate.eq("day", d2))).containsExactly(2);
    assertThat(matching(Predicate.atLeast("day", d2))).containsExactly(2, 3, 4, 5, 6, 7);
    assertThat(matching(Predicate.atMost("day", d2))).containsExactly(0, 1, 2);
    assertThat(matching(Predicate.in("day", List.of(d2, d2.plusDays(3))))).containsExactly(2, 5);
    assertThat(matching(Predicate.eq("at", T0.plusSeconds(3600)))).containsExactly(1);
    assertThat(matching(Predicate.atLeast("at", T0.plusSeconds(3600 * 6)))).containsExactly(6, 7);
    assertThat(
            matching(
                Predicate.inInstants(
                    "at", List.of(T0.plusSeconds(3600 * 2), T0, T0.plusSeconds(3600 * 7)))))
        .containsExactly(0, 2, 7);
    Predicate either =
        Predicate.or(
            List.of(
                Predicate.and(Predicate.eq("id", "its"), Predicate.atMost("day", d2)),
                Predicate.and(Predicate.eq("id", "axbyc"), Predicate.atMost("day", d2))));
    assertThat(matching(either)).containsExactly(1);
    assertThat(matching(Predicate.and(Predicate.ALL, Predicate.eq("id", "its"))))
        .containsExactly(1);
    assertThat(matching(Predicate.and())).hasSize(IDS.size());
    assertThatThrownBy(() -> Predicate.or(List.of())).isInstanceOf(LakeloopException.class);
    assertThatThrownBy(() -> Predicate.in("day", List.of())).isInstanceOf(LakeloopException.class);
    assertThatThrownBy(() -> Predicate.inInstants("at", List.of()))
        .isInstanceOf(LakeloopException.class);
  }

  @Test
  void replaceWhereReplacesExactlyTheRowsOfAQuotedValue() {
    Lakehouse lh = newLakehouse("predicate");
    TableSpec spec = new TableSpec("quoted", SCHEMA, List.of(), false);
    lh.ensure(spec);
    lh.append(rows(), spec, "r1");
    Dataset<Row> replacement =
        spark()
            .createDataFrame(
                List.of(
                    RowFactory.create("it's", Date.valueOf("2026-02-01"), Timestamp.from(T0), 100)),
                SCHEMA);
    lh.replaceWhere(replacement, spec, Predicate.eq("id", "it's"), "r2");
    List<Row> after = lh.read("quoted").data().orderBy("n").collectAsList();
    assertThat(after).extracting(r -> r.getInt(3)).containsExactly(1, 2, 3, 4, 5, 6, 7, 100);
  }
}
