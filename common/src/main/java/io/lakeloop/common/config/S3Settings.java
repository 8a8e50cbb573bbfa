package io.lakeloop.common.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * S3A connection settings that are not secrets. Credentials never pass through lakeloop's config:
 * S3A reads them from the environment or the AWS provider chain.
 *
 * @param endpoint fs.s3a.endpoint, or empty for AWS's default
 * @param pathStyleAccess fs.s3a.path.style.access (S3-compatible servers usually need it)
 * @param sslEnabled fs.s3a.connection.ssl.enabled
 */
public record S3Settings(String endpoint, boolean pathStyleAccess, boolean sslEnabled) {
  /**
   * These settings as Hadoop configuration keys ({@code fs.s3a.*}): what a Spark session gets under
   * {@code spark.hadoop.} and the Spark-free server sets on its Hadoop configuration.
   */
  public Map<String, String> hadoopConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    if (!endpoint.isEmpty()) {
      conf.put("fs.s3a.endpoint", endpoint);
    }
    conf.put("fs.s3a.path.style.access", Boolean.toString(pathStyleAccess));
    conf.put("fs.s3a.connection.ssl.enabled", Boolean.toString(sslEnabled));
    conf.put("fs.s3a.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
    return conf;
  }
}
