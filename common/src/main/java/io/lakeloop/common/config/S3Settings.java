package io.lakeloop.common.config;

/**
 * S3A connection settings that are not secrets. Credentials never pass through lakeloop's config:
 * S3A reads them from the environment or the AWS provider chain.
 *
 * @param endpoint fs.s3a.endpoint, or empty for AWS's default
 * @param pathStyleAccess fs.s3a.path.style.access (S3-compatible servers usually need it)
 * @param sslEnabled fs.s3a.connection.ssl.enabled
 */
public record S3Settings(String endpoint, boolean pathStyleAccess, boolean sslEnabled) {}
