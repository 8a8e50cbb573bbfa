package io.lakeloop.common;

/**
 * An error whose message tells the user what is wrong and how to fix it: a bad config key, a
 * missing column, an incompatible table. The CLI prints only its message (no stack trace unless
 * {@code --verbose}) and exits with status 2.
 */
public class LakeloopException extends RuntimeException {
  public LakeloopException(String message) {
    super(message);
  }

  public LakeloopException(String message, Throwable cause) {
    super(message, cause);
  }
}
