package io.lakeloop.monitoring.drift;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.table.WarehouseFiles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A model's constraints file, {@code <warehouse>/constraints/<model>.conf}: HOCON the user reviews
 * and edits, with a revision that {@code constraints suggest --replace} raises. Rendering and
 * parsing are pure; {@link #read} and {@link #write} go through Hadoop's FileSystem (local or s3a).
 */
public record ConstraintFile(
    String model, String baselineId, int revision, List<Constraint> constraints) {
  /** The file format this code writes and reads. */
  static final int FORMAT = 1;

  public ConstraintFile {
    constraints = List.copyOf(constraints);
  }

  /** Where a model's constraints file lives. */
  public static Path path(String warehouse, String model) {
    return new Path(warehouse, "constraints/" + model + ".conf");
  }

  /** The model's constraints file, if there is one; a file that does not parse is an error. */
  public static Optional<ConstraintFile> read(
      Configuration hadoop, String warehouse, String model) {
    Path p = path(warehouse, model);
    return WarehouseFiles.read(hadoop, p, "constraints file")
        .map(b -> parse(new String(b, StandardCharsets.UTF_8), p.toString()));
  }

  /** Writes the file (replacing what is there) and returns its path. */
  public Path write(Configuration hadoop, String warehouse) {
    return WarehouseFiles.write(
        hadoop,
        path(warehouse, model),
        render().getBytes(StandardCharsets.UTF_8),
        "constraints file");
  }

  /** The file's text: a header saying how to edit it, then one constraint a line. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Data-quality constraints of model ")
        .append(model)
        .append(", checked by `bin/lakeloop drift` on every window it profiles.\n")
        .append("# Suggested by `bin/lakeloop constraints suggest` from baseline ")
        .append(baselineId)
        .append(". Review and edit: change a bound,\n")
        .append("# delete a line, add one. Kinds: completeness (null share <= bound), min")
        .append(" (smallest value >= bound),\n")
        .append(
            "# max (largest value <= bound), non_negative (smallest value >= 0), allowed_values")
        .append(" (share of values\n")
        .append("# outside `values` <= bound), unseen_share (share of values outside those the")
        .append(" baseline counted <= bound),\n")
        .append("# valid_scores on scores (share of invalid score vectors <= bound), unique on")
        .append(" request_id (share of\n")
        .append("# rows whose request_id an earlier row of the window has <= bound).\n");
    sb.append("format = ").append(FORMAT).append('\n');
    sb.append("model = ").append(ConfigUtil.quoteString(model)).append('\n');
    sb.append("revision = ").append(revision).append('\n');
    sb.append("baseline-id = ").append(ConfigUtil.quoteString(baselineId)).append('\n');
    sb.append("constraints = [\n");
    for (Constraint c : constraints) {
      sb.append("  { name = ")
          .append(ConfigUtil.quoteString(c.name()))
          .append(", column = ")
          .append(ConfigUtil.quoteString(c.column()))
          .append(", kind = ")
          .append(c.kind().label())
          .append(", bound = ")
          .append(c.bound());
      if (c.kind() == Constraint.Kind.ALLOWED_VALUES) {
        sb.append(", values = [")
            .append(
                c.values().stream().map(ConfigUtil::quoteString).collect(Collectors.joining(", ")))
            .append(']');
      }
      sb.append(" }\n");
    }
    sb.append("]\n");
    return sb.toString();
  }

  /**
   * Parses a constraints file; errors name the file, the constraint and the fix.
   *
   * @param where the file's path, for messages
   */
  public static ConstraintFile parse(String text, String where) {
    try {
      Config c = ConfigFactory.parseString(text);
      int format = c.getInt("format");
      if (format != FORMAT) {
        throw new LakeloopException(
            where + ": format " + format + " is not one this lakeloop reads (" + FORMAT + ")");
      }
      List<Constraint> out = new ArrayList<>();
      Set<String> names = new HashSet<>();
      int i = 0;
      for (Config k : c.getConfigList("constraints")) {
        i++;
        String at = where + ", constraint #" + i;
        String name = k.getString("name");
        if (!names.add(name)) {
          throw new LakeloopException(at + ": the name '" + name + "' is used twice");
        }
        Constraint.Kind kind;
        try {
          kind = Constraint.Kind.parse(k.getString("kind"), at + " (" + name + ")");
        } catch (IllegalArgumentException e) {
          throw new LakeloopException(e.getMessage());
        }
        double bound =
            kind == Constraint.Kind.NON_NEGATIVE
                ? 0
                : k.hasPath("bound") || kind != Constraint.Kind.ALLOWED_VALUES
                    ? k.getDouble("bound")
                    : 0;
        List<String> values = List.of();
        if (kind == Constraint.Kind.ALLOWED_VALUES) {
          values = k.getStringList("values");
        }
        out.add(new Constraint(name, k.getString("column"), kind, bound, values));
      }
      return new ConstraintFile(
          c.getString("model"), c.getString("baseline-id"), c.getInt("revision"), out);
    } catch (ConfigException e) {
      throw new LakeloopException(
          "cannot read the constraints file "
              + where
              + ": "
              + e.getMessage()
              + "; fix it by hand or write a fresh one with bin/lakeloop constraints suggest"
              + " --replace",
          e);
    }
  }
}
