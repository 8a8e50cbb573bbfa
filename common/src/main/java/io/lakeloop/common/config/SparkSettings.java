package io.lakeloop.common.config;

import java.util.Map;

/**
 * How lakeloop starts Spark when nothing else did (under spark-submit the submitted master and conf
 * win).
 *
 * @param master master URL used when spark-submit gave none
 * @param appName application name
 * @param uiEnabled whether to start the Spark UI
 * @param conf extra Spark settings, passed through verbatim
 */
public record SparkSettings(
    String master, String appName, boolean uiEnabled, Map<String, String> conf) {
  public SparkSettings {
    conf = Map.copyOf(conf);
  }
}
