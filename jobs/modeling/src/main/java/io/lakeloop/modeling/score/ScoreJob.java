package io.lakeloop.modeling.score;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.lit;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.job.StagedJob;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.common.table.Tables;
import io.lakeloop.modeling.Scratch;
import io.lakeloop.modeling.artifact.ModelArtifact;
import io.lakeloop.monitoring.ingest.Ingestion;
import io.lakeloop.monitoring.ingest.SourceReader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code bin/lakeloop score --date D --input PATH}: scores a feature table with a registered model
 * and appends the predictions to {@code prediction_log} under that model's name and version. The
 * model ({@code --ref}, default {@code <model>@champion}) is fetched once on the driver, its
 * SHA-256 verified, and broadcast: each executor receives its bytes once and each task scores its
 * rows in minibatches ({@link ModelScorer}). The input needs {@code request_id}, {@code
 * event_time}, the model spec's feature and slice columns; columns of an earlier prediction (model,
 * prediction, scores) are replaced. Rows go through ingest's validation: malformed ones, duplicates
 * and request ids already in prediction_log are quarantined with their reason, never lost and never
 * written twice. A rerun of the same run id writes nothing.
 */
public final class ScoreJob
    implements StagedJob<ScoreJob.Planned, ScoreJob.Computed, ScoreJob.Outcome> {
  static final List<Flag> FLAGS =
      List.of(
          Flag.value("input", "PATH", "the feature table or files to score"),
          Flag.value("format", "delta|parquet|json|csv", "format of --input (default delta)"),
          Flag.value(
              "ref",
              "NAME@ALIAS|NAME/VERSION",
              "the model to score with (default <model>@champion)"));

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new ScoreJob(), args));
  }

  @Override
  public String name() {
    return "score";
  }

  @Override
  public String description() {
    return "Score a feature table with a registered model (default: the champion) on Spark and"
        + " append the predictions to prediction_log with the model's name and version.";
  }

  @Override
  public List<Flag> flags() {
    return FLAGS;
  }

  /** What a run will do: the model spec, the input and its format, the registered model used. */
  record Planned(ModelSpec spec, String input, String format, ModelRef ref) {}

  /** The registry entry scoring the rows, and the scored rows classified by ingest's validation. */
  record Computed(ModelRegistry.Entry entry, Dataset<Row> classified) {}

  /** What a run wrote. */
  record Outcome(
      Planned planned, ModelRegistry.Entry entry, String runId, Ingestion.Outcome written) {}

  /** Rows appended or a version published are not written twice: a succeeded run answers so. */
  @Override
  public boolean skipsSucceededRun() {
    return true;
  }

  @Override
  public Planned plan(JobContext ctx) {
    ModelSpec spec = ctx.model();
    ctx.logicalDate().orElseThrow(() -> new LakeloopException("score needs --date YYYY-MM-DD"));
    String input =
        ctx.args()
            .get("input")
            .orElseThrow(
                () -> new LakeloopException("score needs --input PATH (the features to score)"));
    String format = ctx.args().get("format").orElse("delta");
    ModelRef ref =
        ModelRef.parse(ctx.args().get("ref").orElse(spec.name() + "@" + ModelRegistry.CHAMPION));
    if (!ref.model().equals(spec.name())) {
      throw new LakeloopException(
          "--ref "
              + ref
              + " names model "
              + ref.model()
              + " but the run is for model "
              + spec.name()
              + "; pass --model "
              + ref.model()
              + " or a reference to "
              + spec.name());
    }
    return new Planned(spec, input, format, ref);
  }

  @Override
  public Computed compute(JobContext ctx, Planned p) {
    ModelSpec spec = p.spec();
    ModelRegistry.Entry entry = new ModelRegistry(ctx.lakehouse()).resolve(p.ref());
    ModelArtifact artifact = fetch(ctx, entry);
    Dataset<Row> raw =
        SourceReader.read(ctx.spark(), p.format(), p.input(), Tables.predictionLog(spec).schema());
    Dataset<Row> features = raw.drop(MODEL_NAME, MODEL_VERSION, PREDICTION, SCORES, EVENT_DATE);
    Dataset<Row> scored =
        ModelScorer.score(
                JavaSparkContext.fromSparkContext(ctx.spark().sparkContext()),
                artifact,
                spec,
                features)
            .withColumn(MODEL_NAME, lit(entry.modelName()))
            .withColumn(MODEL_VERSION, lit(Integer.toString(entry.version())));
    return new Computed(
        entry, Ingestion.classifyPredictions(ctx.tables(), ctx.config(), spec, scored));
  }

  @Override
  public Outcome commit(JobContext ctx, Planned p, Computed c) {
    Ingestion.Outcome o =
        Ingestion.commitPredictions(
            ctx.tables(), name(), p.spec(), ctx.logicalDate(), c.classified(), p.input());
    return new Outcome(p, c.entry(), ctx.runId(), o);
  }

  @Override
  public JobResult render(Outcome outcome) {
    Ingestion.Outcome o = outcome.written();
    String ref = outcome.entry().ref();
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("model", ref);
    summary.put("written", Long.toString(o.written()));
    summary.put("quarantined", Long.toString(o.quarantined()));
    summary.put("version", Long.toString(o.tableVersion()));
    return new JobResult(
        String.format(
            "score: %,d rows of %s scored by %s into prediction_log (v%d), %,d quarantined"
                + " (see: bin/lakeloop query \"select reason, count(*) from quarantine where"
                + " run_id = '%s' group by reason\")",
            o.written(),
            outcome.planned().input(),
            ref,
            o.tableVersion(),
            o.quarantined(),
            outcome.runId()),
        summary);
  }

  /**
   * The entry's artifact, fetched to a scratch directory, its SHA-256 verified, and read into
   * memory (the scratch copy is deleted before this returns).
   */
  private static ModelArtifact fetch(JobContext ctx, ModelRegistry.Entry entry) {
    ArtifactStore store =
        new ArtifactStore(ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
    Path scratch = Scratch.create("lakeloop-score-");
    try {
      return ModelArtifact.fetch(store, entry, scratch.resolve("model"));
    } finally {
      Scratch.delete(scratch);
    }
  }
}
