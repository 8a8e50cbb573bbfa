package io.lakeloop.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The validated configuration of one lakeloop run: where the lakehouse is, how Spark starts, S3
 * settings and the model specs. Job-specific sections are read by the jobs through {@link
 * #section(String)} into their own typed records. Immutable.
 */
public final class LakeloopConfig {
  private static final Pattern SECRET =
      Pattern.compile("(?i).*(secret|password|token|credential|access\\.key|session|webhook).*");

  private final String warehouse;
  private final String defaultModel;
  private final SparkSettings spark;
  private final S3Settings s3;
  private final Map<String, ModelSpec> models;
  private final Config raw;

  private LakeloopConfig(
      String warehouse,
      String defaultModel,
      SparkSettings spark,
      S3Settings s3,
      Map<String, ModelSpec> models,
      Config raw) {
    this.warehouse = warehouse;
    this.defaultModel = defaultModel;
    this.spark = spark;
    this.s3 = s3;
    this.models = models;
    this.raw = raw;
  }

  static LakeloopConfig from(Config root) {
    Settings s = new Settings(root, ConfigLoader.ROOT);
    String warehouse = s.string("warehouse").trim();
    if (warehouse.isEmpty()) {
      throw new ConfigError("lakeloop.warehouse is empty: set it to a path or an s3a:// URI");
    }
    Settings sp = s.child("spark");
    Map<String, String> conf = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : root.getObject("spark.conf").entrySet()) {
      if (e.getValue().valueType() == ConfigValueType.OBJECT
          || e.getValue().valueType() == ConfigValueType.LIST) {
        throw new ConfigError(
            "lakeloop.spark.conf: '"
                + e.getKey()
                + "' must be a single value; quote Spark keys that contain dots, e.g."
                + " \"spark.sql.shuffle.partitions\" = \"8\"");
      }
      conf.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
    }
    SparkSettings spark =
        new SparkSettings(sp.string("master"), sp.string("app-name"), sp.bool("ui-enabled"), conf);
    Settings s3s = s.child("s3");
    S3Settings s3 =
        new S3Settings(
            s3s.string("endpoint").trim(), s3s.bool("path-style-access"), s3s.bool("ssl-enabled"));

    ConfigObject defaults = root.getObject("model-defaults");
    Map<String, ModelSpec> models = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : root.getObject("models").entrySet()) {
      String name = ModelSpec.checkName(e.getKey());
      if (e.getValue().valueType() != ConfigValueType.OBJECT) {
        throw new ConfigError(
            "lakeloop.models." + name + ConfigLoader.where(e.getValue()) + " must be an object");
      }
      ConfigObject model = (ConfigObject) e.getValue();
      ConfigLoader.checkModelKeys(name, model, defaults);
      Config merged = model.toConfig().withFallback(defaults.toConfig());
      try {
        merged.checkValid(defaults.toConfig());
      } catch (ConfigException.ValidationFailed bad) {
        throw new ConfigError(
            "invalid model lakeloop.models." + name + ": " + bad.getMessage(), bad);
      }
      Settings m = new Settings(merged, "lakeloop.models." + name);
      models.put(
          name,
          new ModelSpec(
              name,
              Task.parse(m.string("task"), "lakeloop.models." + name + ".task"),
              m.strings("class-labels"),
              m.strings("numeric-features"),
              m.strings("categorical-features"),
              m.strings("slice-columns"),
              m.duration("label-delay")));
    }
    return new LakeloopConfig(
        warehouse, s.string("default-model"), spark, s3, Map.copyOf(models), root);
  }

  public String warehouse() {
    return warehouse;
  }

  public SparkSettings spark() {
    return spark;
  }

  public S3Settings s3() {
    return s3;
  }

  public Map<String, ModelSpec> models() {
    return models;
  }

  /** The named model's spec, or the default model's when name is null. */
  public ModelSpec model(String name) {
    String n = name == null ? defaultModel : ModelSpec.checkName(name);
    ModelSpec spec = models.get(n);
    if (spec == null) {
      throw new ConfigError(
          "no model named '"
              + n
              + "' in the configuration (known: "
              + new TreeMap<>(models).keySet()
              + "); define lakeloop.models."
              + n
              + " in your --config file, e.g. include \"models/churn.conf\"");
    }
    return spec;
  }

  /**
   * The named model's keys over {@code model-defaults}, for settings a job reads itself (such as
   * the drift baseline); the model must exist ({@link #model}).
   */
  public Settings modelSettings(String name) {
    ModelSpec spec = model(name);
    Config defaults = raw.getConfig("model-defaults");
    Config merged =
        raw.getConfig(ConfigUtil.joinPath("models", spec.name())).withFallback(defaults);
    return new Settings(merged, "lakeloop.models." + spec.name());
  }

  /** A job's section, e.g. {@code section("generate")} for {@code lakeloop.generate}. */
  public Settings section(String name) {
    return new Settings(raw.getConfig(name), ConfigLoader.ROOT + "." + name);
  }

  /** A copy with the warehouse replaced (tests and tools that point at another lakehouse). */
  public LakeloopConfig withWarehouse(String newWarehouse) {
    return new LakeloopConfig(
        newWarehouse,
        defaultModel,
        spark,
        s3,
        models,
        raw.withValue("warehouse", ConfigValueFactory.fromAnyRef(newWarehouse)));
  }

  /**
   * A copy with one setting replaced, validated like a {@code --set}: {@code key} is relative to
   * {@code lakeloop} (e.g. {@code generate.concept-drift.start-day}).
   */
  public LakeloopConfig withSetting(String key, Object value) {
    return from(raw.withValue(key, ConfigValueFactory.fromAnyRef(value)));
  }

  /** The effective configuration as HOCON, with anything that looks like a secret masked. */
  public String describeRedacted() {
    Config masked = raw;
    for (Map.Entry<String, ConfigValue> e : raw.entrySet()) {
      if (SECRET.matcher(e.getKey()).matches()) {
        masked = masked.withValue(e.getKey(), ConfigValueFactory.fromAnyRef("****"));
      }
    }
    return masked
        .root()
        .render(
            ConfigRenderOptions.defaults()
                .setOriginComments(false)
                .setComments(false)
                .setJson(false));
  }
}
