package io.lakeloop.modeling.registry;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.registry.ArtifactStore;
import io.lakeloop.common.registry.ModelRef;
import io.lakeloop.common.registry.ModelRegistry;
import io.lakeloop.modeling.artifact.ModelArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * {@code bin/lakeloop registry list|show|verify|alias|load}: the model registry from the command
 * line. {@code list [NAME]} prints every version (status, parent, aliases, size, held-out
 * accuracy); {@code show REF} one version in full (metrics, lineage, compression); {@code verify
 * [NAME]} re-hashes every artifact and exits with {@link #VERIFY_FAILED} if one is missing or
 * changed; {@code alias NAME ALIAS VERSION [--expect V|none]} moves an alias by compare-and-set;
 * {@code load REF} fetches, verifies and loads a model and prints its summary. REF is NAME/VERSION
 * or NAME@ALIAS.
 */
public final class RegistryJob implements Job {
  /** Exit status of a verify that found a missing or changed artifact. */
  public static final int VERIFY_FAILED = 5;

  private static final String USAGE =
      "registry list [NAME] | show REF | verify [NAME] | alias NAME ALIAS VERSION [--expect V|none]"
          + " | load REF   (REF = NAME/VERSION or NAME@ALIAS)";

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new RegistryJob(), args));
  }

  @Override
  public String name() {
    return "registry";
  }

  @Override
  public String description() {
    return "List, show, verify and load registered models and move their aliases by"
        + " compare-and-set: "
        + USAGE
        + ".";
  }

  @Override
  public List<Flag> flags() {
    return List.of(
        Flag.value(
            "expect",
            "VERSION|none",
            "alias: move it only if it points at this version now (none: only if unset);"
                + " default: the version it points at when read"));
  }

  @Override
  public String positionalHelp() {
    return USAGE;
  }

  @Override
  public boolean recordsRun() {
    return false;
  }

  @Override
  public JobResult run(JobContext ctx) throws Exception {
    List<String> pos = ctx.args().positional();
    if (pos.isEmpty()) {
      throw new LakeloopException("registry needs a subcommand: " + USAGE);
    }
    ModelRegistry registry = new ModelRegistry(ctx.lakehouse());
    ArtifactStore store =
        new ArtifactStore(ctx.spark().sparkContext().hadoopConfiguration(), ctx.lakehouse().root());
    String sub = pos.get(0);
    List<String> rest = pos.subList(1, pos.size());
    return switch (sub) {
      case "list" -> JobResult.of(list(registry, optionalName(sub, rest)));
      case "show" -> JobResult.of(show(registry, ModelRef.parse(one(sub, rest))));
      case "verify" -> verify(registry, store, optionalName(sub, rest));
      case "alias" -> alias(ctx, registry, rest);
      case "load" -> JobResult.of(load(registry, store, ModelRef.parse(one(sub, rest))));
      default ->
          throw new LakeloopException("registry: unknown subcommand '" + sub + "'; " + USAGE);
    };
  }

  private static Optional<String> optionalName(String sub, List<String> rest) {
    if (rest.size() > 1) {
      throw new LakeloopException("registry " + sub + " takes at most one model name; " + USAGE);
    }
    return rest.stream().findFirst();
  }

  private static String one(String sub, List<String> rest) {
    if (rest.size() != 1) {
      throw new LakeloopException("registry " + sub + " takes one REF; " + USAGE);
    }
    return rest.get(0);
  }

  private static List<ModelRegistry.Entry> entries(ModelRegistry registry, Optional<String> model) {
    return model.map(registry::versions).orElseGet(registry::all);
  }

  static String list(ModelRegistry registry, Optional<String> model) {
    List<ModelRegistry.Entry> entries = entries(registry, model);
    if (entries.isEmpty()) {
      return "no registered models" + model.map(m -> " named " + m).orElse("");
    }
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%-16s %7s %-10s %6s %-20s %10s %9s  %-20s %s%n",
            "model",
            "version",
            "status",
            "parent",
            "aliases",
            "bytes",
            "accuracy",
            "created_at",
            "run_id"));
    Map<String, Map<String, Integer>> aliases = new HashMap<>();
    for (ModelRegistry.Entry e : entries) {
      Map<String, Integer> a = aliases.computeIfAbsent(e.modelName(), registry::aliases);
      List<String> names = new ArrayList<>();
      a.forEach(
          (alias, v) -> {
            if (v == e.version()) {
              names.add(alias);
            }
          });
      Double accuracy = e.metrics().get("holdout.accuracy");
      sb.append(
          String.format(
              Locale.ROOT,
              "%-16s %7d %-10s %6s %-20s %10d %9s  %-20s %s%n",
              e.modelName(),
              e.version(),
              e.status(),
              e.parentVersion() == null ? "-" : e.parentVersion().toString(),
              names.isEmpty() ? "-" : String.join(",", names),
              e.sizeBytes(),
              accuracy == null ? "-" : String.format(Locale.ROOT, "%.4f", accuracy),
              e.createdAt().toString().replaceAll("\\.\\d+Z$", "Z"),
              e.runId()));
    }
    return sb.toString().stripTrailing();
  }

  static String show(ModelRegistry registry, ModelRef ref) {
    ModelRegistry.Entry e = registry.resolve(ref);
    List<String> lines = new ArrayList<>();
    lines.add(e.ref() + (ref.alias().isPresent() ? " (" + ref + ")" : ""));
    lines.add("  status         " + e.status());
    lines.add(
        "  parent         "
            + (e.parentVersion() == null
                ? "-"
                : e.ref().replaceAll("/\\d+$", "/" + e.parentVersion())));
    List<String> aliases = new ArrayList<>();
    registry
        .aliases(e.modelName())
        .forEach(
            (a, v) -> {
              if (v == e.version()) {
                aliases.add(a);
              }
            });
    lines.add("  aliases        " + (aliases.isEmpty() ? "-" : String.join(", ", aliases)));
    lines.add("  artifact       " + e.artifactUri());
    lines.add("  sha256         " + e.sha256());
    lines.add("  size           " + e.sizeBytes() + " bytes, format " + e.format());
    lines.add("  created        " + e.createdAt() + " by run " + e.runId());
    for (ModelRegistry.Lineage l : e.trainingData()) {
      lines.add(
          "  trained on     "
              + l.table()
              + " at Delta version "
              + (l.versionFrom() == l.versionTo()
                  ? Long.toString(l.versionTo())
                  : l.versionFrom() + ".." + l.versionTo()));
    }
    if (e.compression() != null) {
      lines.add(
          String.format(
              Locale.ROOT,
              "  compression    sparsity %s, %s bits, %s x smaller",
              e.compression().sparsity(),
              e.compression().bits(),
              e.compression().sizeRatio()));
    }
    lines.add("  metrics");
    e.metrics().forEach((k, v) -> lines.add(String.format(Locale.ROOT, "    %-40s %s", k, fmt(v))));
    return String.join("\n", lines);
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%.6g", v);
  }

  static JobResult verify(ModelRegistry registry, ArtifactStore store, Optional<String> model)
      throws Exception {
    List<ModelRegistry.Entry> entries = entries(registry, model);
    Path dir = Files.createTempDirectory("lakeloop-verify-");
    int bad = 0;
    List<String> lines = new ArrayList<>();
    try {
      for (ModelRegistry.Entry e : entries) {
        Path local = dir.resolve(e.modelName() + "-" + e.version());
        String verdict;
        try {
          store.fetch(e.artifactUri(), e.sha256(), local);
          verdict = "ok";
        } catch (LakeloopException problem) {
          bad++;
          verdict = "FAILED: " + problem.getMessage();
        } finally {
          Files.deleteIfExists(local);
        }
        lines.add(String.format(Locale.ROOT, "  %-24s %s", e.ref(), verdict));
      }
    } finally {
      Files.deleteIfExists(dir);
    }
    lines.add(
        0,
        "verified "
            + entries.size()
            + " artifact(s): "
            + (entries.size() - bad)
            + " intact, "
            + bad
            + " missing or changed");
    return new JobResult(
        String.join("\n", lines),
        Map.of("verified", Integer.toString(entries.size()), "failed", Integer.toString(bad)),
        bad == 0 ? JobLauncher.OK : VERIFY_FAILED);
  }

  static JobResult alias(JobContext ctx, ModelRegistry registry, List<String> rest) {
    if (rest.size() != 3) {
      throw new LakeloopException("registry alias takes NAME ALIAS VERSION; " + USAGE);
    }
    String model = rest.get(0);
    String alias = rest.get(1);
    int version;
    try {
      version = Integer.parseInt(rest.get(2));
    } catch (NumberFormatException e) {
      throw new LakeloopException("registry alias: VERSION must be a number; got " + rest.get(2));
    }
    Optional<Integer> current = registry.alias(model, alias);
    Optional<Integer> expected =
        ctx.args()
            .get("expect")
            .map(
                x -> {
                  if (x.equals("none")) {
                    return Optional.<Integer>empty();
                  }
                  try {
                    return Optional.of(Integer.parseInt(x));
                  } catch (NumberFormatException e) {
                    throw new LakeloopException(
                        "--expect takes a version number or none; got " + x);
                  }
                })
            .orElse(current);
    if (!registry.setAlias(model, alias, expected, version, ctx.runId())) {
      throw new LakeloopException(
          "alias "
              + model
              + "@"
              + alias
              + " was not moved: it points at "
              + registry.alias(model, alias).map(String::valueOf).orElse("nothing")
              + ", not the expected "
              + expected.map(String::valueOf).orElse("nothing")
              + " (someone else moved it); check bin/lakeloop registry list "
              + model
              + " and retry");
    }
    return new JobResult(
        "alias "
            + model
            + "@"
            + alias
            + ": "
            + current.map(String::valueOf).orElse("unset")
            + " -> "
            + version,
        Map.of("alias", model + "@" + alias, "version", Integer.toString(version)));
  }

  static String load(ModelRegistry registry, ArtifactStore store, ModelRef ref) throws Exception {
    ModelRegistry.Entry e = registry.resolve(ref);
    Path local = Files.createTempFile("lakeloop-load-", ".zip");
    try {
      ModelArtifact artifact = ModelArtifact.fetch(store, e, local);
      MultiLayerNetwork net = artifact.network();
      FeatureEncoding enc = artifact.encoding();
      List<String> lines = new ArrayList<>();
      lines.add(
          e.ref()
              + ": loaded from "
              + e.artifactUri()
              + " (SHA-256 verified), "
              + net.numParams()
              + " parameters");
      for (Layer l : net.getLayers()) {
        org.deeplearning4j.nn.conf.layers.Layer c = l.conf().getLayer();
        String shape = c instanceof FeedForwardLayer f ? f.getNIn() + " -> " + f.getNOut() : "";
        String activation = c instanceof BaseLayer b ? String.valueOf(b.getActivationFn()) : "";
        lines.add(
            String.format(
                Locale.ROOT,
                "  layer %d  %-12s %-12s %s",
                l.getIndex(),
                c.getClass().getSimpleName(),
                shape,
                activation));
      }
      lines.add(
          "  inputs  "
              + enc.width()
              + " = "
              + enc.numeric().size()
              + " numeric feature(s) x 2 (standardised value, missing flag)"
              + enc.categorical().stream()
                  .map(
                      c ->
                          " + "
                              + c.name()
                              + " ("
                              + c.vocabulary().size()
                              + " values + __other__ + __null__)")
                  .reduce("", String::concat));
      return String.join("\n", lines);
    } finally {
      Files.deleteIfExists(local);
    }
  }
}
