package io.lakeloop.common.table;

import io.lakeloop.common.LakeloopException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Whole small files beside the tables (reports, constraint files), through Hadoop's FileSystem, so
 * local disk and s3a behave alike. A write goes to a temporary name beside the target and is
 * renamed over it, so readers never see half a file.
 */
public final class WarehouseFiles {
  private WarehouseFiles() {}

  /**
   * Writes {@code bytes} to {@code target} (its folder made if missing) and returns its qualified
   * path; {@code what} names the file in the error.
   */
  public static Path write(Configuration hadoop, Path target, byte[] bytes, String what) {
    try (FileSystem fs = FileSystem.newInstance(target.toUri(), hadoop)) {
      fs.setWriteChecksum(false); // no .crc beside it: people edit these files by hand
      Path qualified = fs.makeQualified(target);
      fs.mkdirs(qualified.getParent());
      Path tmp =
          new Path(
              qualified.getParent(), "." + qualified.getName() + "." + UUID.randomUUID() + ".tmp");
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(bytes);
      }
      if (fs.exists(qualified)) {
        fs.delete(qualified, false);
      }
      if (!fs.rename(tmp, qualified)) {
        fs.delete(tmp, false);
        throw new IOException("rename of " + tmp + " to " + qualified + " failed");
      }
      return qualified;
    } catch (IOException e) {
      throw new LakeloopException(
          "cannot write the "
              + what
              + " "
              + target
              + ": "
              + e
              + "; check that the warehouse is writable (and the s3a credentials, for s3a://)",
          e);
    }
  }

  /** The bytes of {@code target}, or empty if there is no such file. */
  public static Optional<byte[]> read(Configuration hadoop, Path target, String what) {
    try (FileSystem fs = FileSystem.newInstance(target.toUri(), hadoop)) {
      if (!fs.exists(target)) {
        return Optional.empty();
      }
      fs.setVerifyChecksum(false); // a file edited by hand no longer matches a stale .crc
      try (InputStream in = fs.open(target)) {
        return Optional.of(in.readAllBytes());
      }
    } catch (IOException e) {
      throw new LakeloopException(
          "cannot read the "
              + what
              + " "
              + target
              + ": "
              + e
              + "; check that the warehouse is readable (and the s3a credentials, for s3a://)",
          e);
    }
  }
}
