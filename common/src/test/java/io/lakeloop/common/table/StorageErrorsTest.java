package io.lakeloop.common.table;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import org.junit.jupiter.api.Test;

/** Refusals of the object store, wherever they sit in a stack, become a message with the fix. */
class StorageErrorsTest {
  @Test
  void aRefusedAccessDeepInTheChainNamesThePathAndTheCredentialsToCheck() {
    var denied =
        new AccessDeniedException(
            "s3a://bucket/lh/job_runs/_delta_log", null, "getFileStatus: 403 FORBIDDEN");
    var wrapped = new IllegalStateException("job aborted", new RuntimeException("task", denied));
    assertThat(StorageErrors.explain(wrapped))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("refused access to s3a://bucket/lh/job_runs/_delta_log")
                    .contains("AWS_ACCESS_KEY_ID")
                    .contains("bucket and prefix"));
  }

  @Test
  void missingCredentialsSayWhereToSetThem() {
    var none =
        new IOException(
            "s3a://bucket/lh/job_runs: No AWS Credentials provided by"
                + " SimpleAWSCredentialsProvider EnvironmentVariableCredentialsProvider");
    assertThat(StorageErrors.explain(new RuntimeException(none)))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("no S3 credentials were found to access s3a://bucket/lh/job_runs:")
                    .contains("AWS_SECRET_ACCESS_KEY"));
  }

  @Test
  void otherFailuresAreLeftAlone() {
    assertThat(StorageErrors.explain(new IOException("disk full", new IllegalStateException())))
        .isEmpty();
  }
}
