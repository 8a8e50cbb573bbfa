package io.lakeloop.monitoring.drift;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.cli.Flag;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.job.JobLauncher;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.table.WarehouseFiles;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code bin/lakeloop constraints suggest [--replace] | show}: a model's data-quality constraints.
 * {@code suggest} derives them from the model's stored drift baseline (one read of its profile
 * rows, no scan of data; {@link ConstraintSuggestions}) and writes {@code
 * <warehouse>/constraints/<model>.conf} for the user to review and edit; rerun, it changes nothing
 * while the suggestion is the same, and it never overwrites an edited file unless told ({@code
 * --replace} keeps the old one as {@code <model>.conf.r<revision>} and raises the revision). {@code
 * show} prints the file's constraints. {@code drift} checks them on every window.
 */
public final class ConstraintsJob implements Job {
  private static final String USAGE = "constraints suggest [--replace] | show";

  public static void main(String[] args) {
    System.exit(JobLauncher.launch(new ConstraintsJob(), args));
  }

  @Override
  public String name() {
    return "constraints";
  }

  @Override
  public String description() {
    return "Suggest data-quality constraints from the model's drift baseline (no scan) into"
        + " <warehouse>/constraints/<model>.conf for review, or show them; drift checks them on"
        + " every window: "
        + USAGE
        + ".";
  }

  @Override
  public List<Flag> flags() {
    return List.of(
        Flag.toggle(
            "replace",
            "suggest: replace a file whose constraints differ (the old one is kept as"
                + " <model>.conf.r<revision>)"));
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
  public JobResult run(JobContext ctx) {
    List<String> pos = ctx.args().positional();
    if (pos.size() != 1) {
      throw new LakeloopException("constraints needs one subcommand: " + USAGE);
    }
    ModelSpec model = ctx.model();
    Configuration hadoop = ctx.spark().sparkContext().hadoopConfiguration();
    String warehouse = ctx.lakehouse().root();
    return switch (pos.get(0)) {
      case "suggest" -> suggest(ctx, model, hadoop, warehouse);
      case "show" ->
          JobResult.of(
              ConstraintFile.read(hadoop, warehouse, model.name())
                  .map(f -> show(f, ConstraintFile.path(warehouse, model.name())))
                  .orElse(
                      "model "
                          + model.name()
                          + " has no constraints file ("
                          + ConstraintFile.path(warehouse, model.name())
                          + "); write one with bin/lakeloop constraints suggest"));
      default ->
          throw new LakeloopException(
              "constraints: unknown subcommand '" + pos.get(0) + "'; " + USAGE);
    };
  }

  private static JobResult suggest(
      JobContext ctx, ModelSpec model, Configuration hadoop, String warehouse) {
    Baseline baseline =
        Baseline.stored(ctx.lakehouse(), model)
            .orElseThrow(
                () ->
                    new LakeloopException(
                        "model "
                            + model.name()
                            + " has no drift baseline to suggest constraints from; build it"
                            + " with bin/lakeloop drift --date YYYY-MM-DD --baseline (any drift"
                            + " run builds it on first use)"));
    Set<String> nullIsUnknown =
        DriftColumns.forModel(model).all().stream()
            .filter(DriftColumns.Spec::nullIsUnknown)
            .map(DriftColumns.Spec::name)
            .collect(Collectors.toSet());
    List<Constraint> suggested =
        ConstraintSuggestions.from(
            baseline,
            nullIsUnknown,
            model.task().isClassification(),
            ConstraintSettings.from(ctx.config()));
    Path path = ConstraintFile.path(warehouse, model.name());
    Optional<ConstraintFile> existing = ConstraintFile.read(hadoop, warehouse, model.name());
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put("model", model.name());
    summary.put("file", path.toString());
    summary.put("constraints", Integer.toString(suggested.size()));
    if (existing.isPresent() && existing.get().constraints().equals(suggested)) {
      summary.put("revision", Integer.toString(existing.get().revision()));
      summary.put("changed", "false");
      return new JobResult(
          "constraints of "
              + model.name()
              + ": unchanged, revision "
              + existing.get().revision()
              + " ("
              + path
              + ")\n"
              + show(existing.get(), path),
          summary);
    }
    int revision = 1;
    if (existing.isPresent()) {
      int old = existing.get().revision();
      if (!ctx.args().has("replace")) {
        throw new LakeloopException(
            path
                + " (revision "
                + old
                + ") holds other constraints than those suggested now from baseline "
                + baseline.id()
                + " (it may have been edited); review it with bin/lakeloop constraints show,"
                + " or rerun with --replace to write revision "
                + (old + 1)
                + " (the current file is kept as "
                + path.getName()
                + ".r"
                + old
                + ")");
      }
      WarehouseFiles.write(
          hadoop,
          new Path(path.getParent(), path.getName() + ".r" + old),
          existing.get().render().getBytes(StandardCharsets.UTF_8),
          "constraints file");
      revision = old + 1;
    }
    ConstraintFile file = new ConstraintFile(model.name(), baseline.id(), revision, suggested);
    Path written = file.write(hadoop, warehouse);
    summary.put("revision", Integer.toString(revision));
    summary.put("changed", "true");
    return new JobResult(
        "constraints of "
            + model.name()
            + ": revision "
            + revision
            + " suggested from baseline "
            + baseline.id()
            + " and written to "
            + written
            + "; review and edit it, drift checks it on every window\n"
            + show(file, written),
        summary);
  }

  /** The file's constraints as a table. */
  static String show(ConstraintFile f, Path path) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "constraints of %s, revision %d (baseline %s), %s:%n",
            f.model(),
            f.revision(),
            f.baselineId(),
            path));
    sb.append(
        String.format(Locale.ROOT, "%-36s %-16s %-15s %s%n", "name", "column", "kind", "bound"));
    for (Constraint c : f.constraints()) {
      String bound = c.kind().relation() + " " + c.bound();
      if (c.kind() == Constraint.Kind.ALLOWED_VALUES) {
        String values = String.join(", ", c.values());
        bound +=
            " outside {"
                + (values.length() > 60 ? values.substring(0, 57) + "..." : values)
                + "} ("
                + c.values().size()
                + " values)";
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "%-36s %-16s %-15s %s%n",
              c.name(),
              c.column(),
              c.kind().label(),
              bound));
    }
    return sb.toString();
  }
}
