package io.lakeloop.common.table;

import java.nio.file.AccessDeniedException;
import java.util.Optional;

/**
 * Turns the object store's refusals, deep in a Spark or Delta stack, into a message that names the
 * problem and the fix. Only paths and status words are quoted, never a credential: the messages
 * come from the exception's path and class, not from the configuration.
 */
public final class StorageErrors {
  private static final String CREDENTIALS =
      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary"
          + " credentials) in the job's environment, or a profile or instance role of the AWS"
          + " provider chain";

  private StorageErrors() {}

  /**
   * The explanation of {@code e} if a cause in its chain is a refused or unauthenticated access.
   */
  public static Optional<String> explain(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String type = t.getClass().getSimpleName();
      String message = String.valueOf(t.getMessage());
      if (type.equals("NoAuthWithAWSException")
          || message.contains("No AWS Credentials provided")) {
        return Optional.of(
            "no S3 credentials were found"
                + where(t)
                + ": set "
                + CREDENTIALS
                + "; configs/s3.conf says where lakeloop takes them from");
      }
      if (t instanceof AccessDeniedException denied) {
        return Optional.of(
            "the object store refused access to "
                + Optional.ofNullable(denied.getFile()).orElse("the warehouse")
                + " (403: unknown key, wrong secret, expired token or no permission): check "
                + CREDENTIALS
                + ", and that they may list, read and write the warehouse's bucket and prefix");
      }
    }
    return Optional.empty();
  }

  private static String where(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int at = m.indexOf("s3a://");
    if (at < 0) {
      return "";
    }
    int end = at + "s3a://".length();
    while (end < m.length() && !Character.isWhitespace(m.charAt(end)) && m.charAt(end) != ':') {
      end++;
    }
    return " to access " + m.substring(at, end);
  }
}
