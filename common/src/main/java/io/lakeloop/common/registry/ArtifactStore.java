package io.lakeloop.common.registry;

import io.lakeloop.common.LakeloopException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Model artifacts under the warehouse's {@code models/} folder, content-addressed: a file is stored
 * at {@code <warehouse>/models/<model>/<sha256>.<extension>}, so the same bytes always land at the
 * same place and a stored artifact is never overwritten with other bytes. All I/O goes through
 * Hadoop's {@link FileSystem}, so {@code file:} and {@code s3a:} warehouses work alike. Needs no
 * Spark: consumers use it with a plain Hadoop configuration.
 */
public final class ArtifactStore {
  /** Where an artifact was stored and what it is. */
  public record Stored(String uri, String sha256, long sizeBytes) {}

  private final Configuration hadoop;
  private final String root;

  /**
   * @param hadoop the Hadoop configuration (a Spark job passes its session's, so s3a settings
   *     apply)
   * @param warehouse the warehouse root (artifacts go to its {@code models/} folder)
   */
  public ArtifactStore(Configuration hadoop, String warehouse) {
    this.hadoop = hadoop;
    this.root = warehouse.replaceAll("/+$", "") + "/models";
  }

  /**
   * Stores a local file as an artifact of {@code model}: hashes it, then copies it to a temporary
   * name next to its final path and renames it there, so a reader never sees a partial file. If the
   * final path already holds a file of the same size it is kept (same name, same hash: same bytes).
   */
  public Stored put(String model, java.nio.file.Path local, String extension) {
    String sha = sha256(local);
    long size;
    try {
      size = Files.size(local);
    } catch (IOException e) {
      throw new LakeloopException("cannot read the artifact " + local + ": " + e, e);
    }
    Path target = new Path(root + "/" + model + "/" + sha + "." + extension);
    try (FileSystem fs = fileSystem(target)) {
      // a full URI (file:/abs/path, s3a://bucket/key): the registry row must resolve anywhere
      target = fs.makeQualified(target);
      if (fs.exists(target) && fs.getFileStatus(target).getLen() == size) {
        return new Stored(target.toString(), sha, size);
      }
      Path tmp = new Path(target.getParent(), "." + sha + "." + UUID.randomUUID() + ".tmp");
      fs.mkdirs(target.getParent());
      try (InputStream in = Files.newInputStream(local);
          OutputStream out = fs.create(tmp, true)) {
        in.transferTo(out);
      }
      if (!fs.rename(tmp, target)) {
        fs.delete(tmp, false);
        if (!(fs.exists(target) && fs.getFileStatus(target).getLen() == size)) {
          throw new IOException("rename of " + tmp + " to " + target + " failed");
        }
      }
      return new Stored(target.toString(), sha, size);
    } catch (IOException e) {
      throw new LakeloopException(
          "cannot store the artifact of model "
              + model
              + " at "
              + target
              + ": "
              + e
              + "; check that the warehouse is writable (and the s3a credentials, for s3a://)",
          e);
    }
  }

  /**
   * Copies the artifact at {@code uri} to {@code local} and checks its SHA-256.
   *
   * @throws LakeloopException if it cannot be read or its hash is not {@code expectedSha256} (the
   *     local copy is deleted then: a tampered artifact is never used)
   */
  public java.nio.file.Path fetch(String uri, String expectedSha256, java.nio.file.Path local) {
    Path source = new Path(uri);
    try (FileSystem fs = fileSystem(source)) {
      try (InputStream in = fs.open(source)) {
        Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new LakeloopException("cannot read the model artifact " + uri + ": " + e, e);
    }
    String actual = sha256(local);
    if (!actual.equals(expectedSha256)) {
      try {
        Files.deleteIfExists(local);
      } catch (IOException ignored) {
        // the mismatch is the error to report
      }
      throw new LakeloopException(
          "the model artifact "
              + uri
              + " has SHA-256 "
              + actual
              + " but the registry recorded "
              + expectedSha256
              + ": it was changed after it was published; it is not used. Republish the model"
              + " or restore the file");
    }
    return local;
  }

  /**
   * The file system of a path, without Hadoop's own .crc side files on local disk: the SHA-256 in
   * the registry is the one integrity check, so a changed file is reported as such. A private
   * instance (closed by the caller), so the shared cached one that Spark uses is not changed.
   */
  private FileSystem fileSystem(Path p) throws IOException {
    FileSystem fs = FileSystem.newInstance(p.toUri(), hadoop);
    fs.setWriteChecksum(false);
    fs.setVerifyChecksum(false);
    return fs;
  }

  /** The SHA-256 of a local file, as 64 lowercase hex digits. */
  public static String sha256(java.nio.file.Path file) {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new LakeloopException("cannot read " + file + " to hash it: " + e, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
