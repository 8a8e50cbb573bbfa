package io.lakeloop.common.testing;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDB;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDBClientBuilder;
import com.amazonaws.services.dynamodbv2.model.AttributeDefinition;
import com.amazonaws.services.dynamodbv2.model.BillingMode;
import com.amazonaws.services.dynamodbv2.model.CreateTableRequest;
import com.amazonaws.services.dynamodbv2.model.KeySchemaElement;
import com.amazonaws.services.dynamodbv2.model.KeyType;
import com.amazonaws.services.dynamodbv2.model.ScalarAttributeType;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-compatible server (moto's {@code moto_server}) on a free loopback port, started and
 * stopped by the test that needs it. Found via $LAKELOOP_MOTO_SERVER, the project venv
 * (.venv/bin/moto_server, made by bin/setup-python) or the PATH.
 */
public final class MotoServer implements AutoCloseable {
  private final Process process;
  private final int port;

  private MotoServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static MotoServer start() throws IOException, InterruptedException {
    String exe = executable();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    File log = File.createTempFile("moto-", ".log");
    Process p =
        new ProcessBuilder(exe, "-H", "127.0.0.1", "-p", Integer.toString(port))
            .redirectErrorStream(true)
            .redirectOutput(log)
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "moto_server exited at start: " + Files.readString(log.toPath()));
      }
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return new MotoServer(p, port);
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("moto_server did not listen on port " + port + " within 60 s");
  }

  private static String executable() {
    String env = System.getenv("LAKELOOP_MOTO_SERVER");
    if (env != null && !env.isBlank()) {
      return env;
    }
    Path venv = ProjectFiles.root().resolve(".venv/bin/moto_server");
    if (Files.isExecutable(venv)) {
      return venv.toString();
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "moto_server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException(
        "moto_server not found: run bin/setup-python (it installs moto[server] into .venv) or set LAKELOOP_MOTO_SERVER");
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** An S3 client for test set-up (bucket creation), with moto's dummy credentials. */
  public AmazonS3 client() {
    return AmazonS3ClientBuilder.standard()
        .withEndpointConfiguration(
            new AwsClientBuilder.EndpointConfiguration(endpoint(), "us-east-1"))
        .withPathStyleAccessEnabled(true)
        .withCredentials(
            new AWSStaticCredentialsProvider(new BasicAWSCredentials("testing", "testing")))
        .build();
  }

  /** A DynamoDB client for test set-up (the commit lock's table), with moto's dummy credentials. */
  public AmazonDynamoDB dynamoDb() {
    return AmazonDynamoDBClientBuilder.standard()
        .withEndpointConfiguration(
            new AwsClientBuilder.EndpointConfiguration(endpoint(), "us-east-1"))
        .withCredentials(
            new AWSStaticCredentialsProvider(new BasicAWSCredentials("testing", "testing")))
        .build();
  }

  /** Creates a commit lock table as README tells users to: partition key table_path (string). */
  public void createLockTable(String name) {
    dynamoDb()
        .createTable(
            new CreateTableRequest()
                .withTableName(name)
                .withKeySchema(new KeySchemaElement("table_path", KeyType.HASH))
                .withAttributeDefinitions(
                    new AttributeDefinition("table_path", ScalarAttributeType.S))
                .withBillingMode(BillingMode.PAY_PER_REQUEST));
  }

  /**
   * Points s3a's settings for {@code bucket} in {@code hadoop} at this server (path-style, no TLS)
   * and creates the bucket.
   */
  public Configuration bucket(Configuration hadoop, String bucket) {
    client().createBucket(bucket);
    hadoop.set("fs.s3a.bucket." + bucket + ".endpoint", endpoint());
    hadoop.set("fs.s3a.bucket." + bucket + ".path.style.access", "true");
    hadoop.set("fs.s3a.bucket." + bucket + ".connection.ssl.enabled", "false");
    hadoop.set("fs.s3a.bucket." + bucket + ".endpoint.region", "us-east-1");
    return hadoop;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
