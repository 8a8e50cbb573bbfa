package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * The counter against a HashMap of Java strings on values of every length the table treats apart.
 */
class CategoryCounterTest {
  /** A value inside a larger buffer, as in a Spark row whose bytes are reused for the next row. */
  private static UTF8String inBuffer(String s, byte[] buffer, int at) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    Arrays.fill(buffer, (byte) 'x');
    System.arraycopy(b, 0, buffer, at, b.length);
    return UTF8String.fromBytes(buffer, at, b.length);
  }

  @Test
  void countsExactlyAsAHashMapForShortLongAndPrefixSharingValues() {
    List<String> values = new ArrayList<>();
    values.add("");
    values.add("a");
    values.add("a\0"); // the same prefix as "a" once zero-padded: only the length tells them apart
    values.add("a\0\0\0\0\0\0\0");
    values.add("12345678"); // exactly eight bytes
    values.add("123456789");
    values.add("month-to-month"); // long values sharing an 8-byte prefix
    values.add("month-to-year");
    values.add("month-to-monti");
    values.add("ü-ß-€"); // multi-byte UTF-8
    for (int i = 0; i < 200; i++) {
      values.add("c_" + i);
      values.add("category-with-a-long-name-" + i);
    }
    Random random = new Random(5);
    CategoryCounter counter = new CategoryCounter(10_000);
    Map<String, Long> expected = new HashMap<>();
    byte[] buffer = new byte[64];
    for (int k = 0; k < 100_000; k++) {
      String v = values.get(random.nextInt(values.size()));
      counter.add(inBuffer(v, buffer, 8 * random.nextInt(4)));
      expected.merge(v, 1L, Long::sum);
    }
    assertThat(counter.counts()).isEqualTo(expected);
    assertThat(counter.overflow()).isZero();
  }

  @Test
  void valuesBeyondTheLimitAreCountedAsOverflowAndKnownOnesStillCount() {
    CategoryCounter counter = new CategoryCounter(3);
    for (String v : new String[] {"a", "b", "c", "d", "a", "e", "b", "d", "long-value-number-1"}) {
      counter.add(UTF8String.fromString(v));
    }
    assertThat(counter.counts()).isEqualTo(Map.of("a", 2L, "b", 2L, "c", 1L));
    assertThat(counter.overflow()).isEqualTo(4);
  }

  @Test
  void aZeroLimitCountsEverythingAsOverflowAndANegativeOneIsRefused() {
    CategoryCounter counter = new CategoryCounter(0);
    counter.add(UTF8String.fromString("a"));
    assertThat(counter.counts()).isEmpty();
    assertThat(counter.overflow()).isEqualTo(1);
    assertThatThrownBy(() -> new CategoryCounter(-1)).hasMessageContaining("≥ 0");
  }
}
