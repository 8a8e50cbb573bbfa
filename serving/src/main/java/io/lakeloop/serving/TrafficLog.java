package io.lakeloop.serving;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The served traffic's log, and its durability contract: {@link #append} returns only once the
 * lines are written to a local segment file <em>and fsynced</em>, so every answer the server sends
 * is on disk first (concurrent requests share one fsync: a group commit). A segment is sealed after
 * {@code segmentAge} or {@code segmentRows}, when the UTC date of its rows changes, and on close; a
 * sealed segment is published to {@code <landing>/event_date=<D>/<segment>.jsonl} (a hidden
 * temporary name, then a rename: readers never see half a file) and removed from the spool. On
 * start, segments left in the spool by a killed process are sealed (a torn last line, never
 * acknowledged, is cut) and published. Lines are rows of {@code prediction_log} in JSON, for {@code
 * bin/lakeloop ingest-served}, which de-duplicates by request id and event time.
 */
final class TrafficLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrafficLog.class);

  private final Path open;
  private final Path sealed;
  private final String landing;
  private final Configuration hadoop;
  private final Duration segmentAge;
  private final long segmentRows;
  private final Duration fsyncInterval;
  private final ServeMetrics metrics;
  private final ScheduledExecutorService background;

  // The open segment: guarded by this.
  private FileChannel channel;
  private Path segment;
  private LocalDate segmentDate;
  private Instant segmentStart;
  private long segmentLines;
  private long sequence;
  private long written;
  // Every append up to this number is on disk.
  private final AtomicLong synced = new AtomicLong();
  private final Object syncLock = new Object();
  private final AtomicLong unpublished = new AtomicLong();

  TrafficLog(
      Path spool,
      String landing,
      Configuration hadoop,
      Duration segmentAge,
      long segmentRows,
      Duration fsyncInterval,
      ServeMetrics metrics) {
    this.open = spool.resolve("open");
    this.sealed = spool.resolve("sealed");
    this.landing = landing.replaceAll("/+$", "");
    this.hadoop = hadoop;
    this.segmentAge = segmentAge;
    this.segmentRows = segmentRows;
    this.fsyncInterval = fsyncInterval;
    this.metrics = metrics;
    try {
      Files.createDirectories(open);
      Files.createDirectories(sealed);
      recover();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use the traffic log's spool " + spool, e);
    }
    // Two threads: publishing (possibly slow, to S3) never delays the periodic fsync.
    background =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "lakeloop-traffic-log");
              t.setDaemon(true);
              return t;
            });
    background.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    if (!fsyncInterval.isZero()) {
      long ms = Math.max(1, fsyncInterval.toMillis());
      background.scheduleWithFixedDelay(this::syncWritten, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Appends one JSON line per answered prediction (all of event date {@code date}) and returns once
   * they are on disk.
   */
  void append(List<String> lines, LocalDate date) throws IOException {
    StringBuilder b = new StringBuilder();
    for (String l : lines) {
      b.append(l).append('\n');
    }
    ByteBuffer bytes = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
    long mine;
    synchronized (this) {
      if (channel == null || !date.equals(segmentDate) || segmentLines >= segmentRows) {
        rotate(date);
      }
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      segmentLines += lines.size();
      mine = ++written;
    }
    unpublished.addAndGet(lines.size());
    metrics.logBacklog(unpublished.get());
    if (fsyncInterval.isZero()) {
      sync(mine);
    }
  }

  /** The periodic fsync: everything written so far. */
  private void syncWritten() {
    try {
      long upTo;
      synchronized (this) {
        upTo = written;
      }
      sync(upTo);
    } catch (Exception e) {
      LOG.warn("traffic log: fsync failed (retrying): {}", e.toString());
    }
  }

  /** Makes every append up to {@code upTo} durable: one fsync covers all appends before it. */
  private void sync(long upTo) throws IOException {
    synchronized (syncLock) {
      if (synced.get() >= upTo) {
        return;
      }
      long target;
      FileChannel ch;
      synchronized (this) {
        if (synced.get() >= upTo) {
          return; // sealed meanwhile: sealing forced every append before it
        }
        target = written;
        ch = channel;
      }
      try {
        ch.force(false);
      } catch (ClosedChannelException e) {
        // sealed meanwhile: sealing forced it, with every append up to target
      }
      synced.accumulateAndGet(target, Math::max);
    }
  }

  /** Seals the open segment (if any) and opens a new one for {@code date}. Holds this. */
  private void rotate(LocalDate date) throws IOException {
    sealOpen();
    segmentDate = date;
    segmentStart = Instant.now();
    segmentLines = 0;
    segment =
        open.resolve(
            String.format(
                "%s_%d_%s_%06d.jsonl",
                date,
                segmentStart.toEpochMilli(),
                UUID.randomUUID().toString().substring(0, 8),
                ++sequence));
    channel = FileChannel.open(segment, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** Forces, closes and moves the open segment to sealed/. Holds this. */
  private void sealOpen() throws IOException {
    if (channel == null) {
      return;
    }
    channel.force(false);
    channel.close();
    synced.accumulateAndGet(written, Math::max);
    channel = null;
    if (segmentLines == 0) {
      Files.delete(segment);
    } else {
      Files.move(segment, sealed.resolve(segment.getFileName()), StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private void tick() {
    try {
      synchronized (this) {
        if (channel != null
            && segmentLines > 0
            && Duration.between(segmentStart, Instant.now()).compareTo(segmentAge) >= 0) {
          sealOpen();
        }
      }
      publishSealed();
    } catch (Exception e) {
      // The segment stays in the spool and is published on a later tick or start.
      metrics.logPublishFailed();
      LOG.warn("traffic log: cannot publish to {} yet (retrying): {}", landing, e.toString());
    }
  }

  /** Publishes every sealed segment, oldest first. */
  private void publishSealed() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(sealed)) {
      files = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      String date = name.substring(0, name.indexOf('_'));
      org.apache.hadoop.fs.Path dir =
          new org.apache.hadoop.fs.Path(landing + "/event_date=" + date);
      org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "." + name + ".tmp");
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
      FileSystem fs = target.getFileSystem(hadoop);
      fs.setWriteChecksum(false);
      fs.mkdirs(dir);
      try (InputStream in = Files.newInputStream(f);
          OutputStream out = fs.create(tmp, true)) {
        in.transferTo(out);
      }
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("cannot rename " + tmp + " to " + target);
      }
      long lines = lines(f);
      Files.delete(f);
      unpublished.addAndGet(-lines);
      metrics.logBacklog(unpublished.get());
      metrics.segmentPublished(lines);
      LOG.info("traffic log: published {} ({} rows)", target, lines);
    }
  }

  /** Seals what a killed process left open: cuts a torn last line, then moves it to sealed/. */
  private void recover() throws IOException {
    List<Path> left;
    try (Stream<Path> s = Files.list(open)) {
      left = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
    for (Path f : left) {
      byte[] data = Files.readAllBytes(f);
      int end = data.length;
      while (end > 0 && data[end - 1] != '\n') {
        end--;
      }
      if (end < data.length) {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
          ch.truncate(end);
          ch.force(true);
        }
        LOG.warn(
            "traffic log: {} ended in a torn line ({} bytes, never acknowledged): cut",
            f,
            data.length - end);
      }
      if (end == 0) {
        Files.delete(f);
      } else {
        Files.move(f, sealed.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        LOG.info("traffic log: sealed {} left by a previous run", f.getFileName());
      }
    }
    try (Stream<Path> s = Files.list(sealed)) {
      for (Path f : s.toList()) {
        unpublished.addAndGet(lines(f));
      }
    }
  }

  private static long lines(Path f) throws IOException {
    long n = 0;
    for (byte b : Files.readAllBytes(f)) {
      if (b == '\n') {
        n++;
      }
    }
    return n;
  }

  /** Rows appended and not yet published. */
  long backlog() {
    return unpublished.get();
  }

  /** Seals the open segment and publishes everything (what a clean stop does). */
  @Override
  public void close() {
    background.shutdown();
    try {
      background.awaitTermination(30, TimeUnit.SECONDS);
      synchronized (this) {
        sealOpen();
      }
      publishSealed();
    } catch (IOException e) {
      LOG.warn(
          "traffic log: could not publish on stop ({}); the spool keeps the segments and the"
              + " next start publishes them",
          e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static LocalDate dateOf(Instant t) {
    return LocalDate.ofInstant(t, ZoneOffset.UTC);
  }
}
