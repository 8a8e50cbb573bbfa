package io.lakeloop.common.table;

/**
 * Where files wait in the warehouse before a job loads them (no Spark types here: the Spark-free
 * server uses it too).
 */
public final class Landing {
  private Landing() {}

  /**
   * The folder {@code bin/lakeloop serve} publishes a model's served traffic to and {@code
   * ingest-served} loads it from: {@code <warehouse>/landing/served/<model>}, one {@code
   * event_date=<YYYY-MM-DD>} folder per UTC day of JSON-lines segments.
   */
  public static String served(String warehouse, String model) {
    return warehouse.replaceAll("/+$", "") + "/landing/served/" + model;
  }
}
