package io.lakeloop.monitoring.ingest;

import io.lakeloop.common.LakeloopException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a landing source for ingest. CSV and JSON are read as text columns (so a value of the wrong
 * type becomes a reported defect, not a silent null) with malformed lines kept in {@link
 * Validation#CORRUPT_COL}; Parquet keeps its own types. CSV columns are matched by header name,
 * never by position.
 */
public final class SourceReader {
  private SourceReader() {}

  /** The formats a landing source can have. */
  public static final List<String> FORMATS = List.of("csv", "json", "parquet", "delta");

  /** Fails, naming the formats there are, unless {@code format} is one of {@link #FORMATS}. */
  public static void checkFormat(String format) {
    if (!FORMATS.contains(format.toLowerCase(Locale.ROOT))) {
      throw unsupported(format);
    }
  }

  private static LakeloopException unsupported(String format) {
    return new LakeloopException(
        "--format '" + format + "' is not supported; use csv, json, parquet or delta");
  }

  public static Dataset<Row> read(
      SparkSession spark, String format, String path, StructType expected) {
    String f = format.toLowerCase(Locale.ROOT);
    try {
      return switch (f) {
        case "delta" -> spark.read().format("delta").load(path);
        case "parquet" -> spark.read().parquet(path);
        case "json" ->
            spark
                .read()
                .schema(asText(expected.fieldNames()))
                .option("mode", "PERMISSIVE")
                .option("columnNameOfCorruptRecord", Validation.CORRUPT_COL)
                .json(path);
        case "csv" -> {
          String[] header = spark.read().option("header", "true").csv(path).columns();
          yield spark
              .read()
              .schema(asText(header))
              .option("header", "true")
              .option("mode", "PERMISSIVE")
              .option("columnNameOfCorruptRecord", Validation.CORRUPT_COL)
              .csv(path);
        }
        default -> throw unsupported(format);
      };
    } catch (Exception e) {
      if (e instanceof AnalysisException a) {
        throw new LakeloopException(
            "cannot read " + f + " source at " + path + ": " + a.getSimpleMessage(), e);
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  /** How many lines of a JSON source {@link #columns} reads to find its keys. */
  public static final int JSON_KEY_SAMPLE = 10_000;

  /**
   * The source's column names. A JSON source is read with the expected fields only, so its keys are
   * found apart: the top-level keys of its first {@link #JSON_KEY_SAMPLE} lines (one small job; a
   * key that first appears later is not seen). Other formats: {@code raw}'s columns.
   */
  public static List<String> columns(
      SparkSession spark, String format, String path, Dataset<Row> raw) {
    if (!format.equalsIgnoreCase("json")) {
      return Arrays.asList(raw.columns());
    }
    Dataset<String> head = spark.read().textFile(path).limit(JSON_KEY_SAMPLE);
    return Arrays.stream(
            spark
                .read()
                .option("columnNameOfCorruptRecord", Validation.CORRUPT_COL)
                .json(head)
                .columns())
        .toList();
  }

  private static StructType asText(String[] names) {
    StructType t = new StructType();
    for (String n : names) {
      if (!n.equals(Validation.CORRUPT_COL)) {
        t = t.add(n, DataTypes.StringType, true);
      }
    }
    return t.add(Validation.CORRUPT_COL, DataTypes.StringType, true);
  }
}
