package io.lakeloop.modeling.tune;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import io.lakeloop.modeling.model.Hyper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * {@code lakeloop.tune}, validated: see reference.conf for the meaning of every key.
 *
 * @param method {@link #HALVING}, {@link #GRID} or {@link #RANDOM}
 * @param space every configuration of the grid, in the order the space lists its values
 * @param samples how many configurations halving and random draw from the grid
 * @param maxEpochs the epochs of a full trial (grid, random, halving's last rung)
 * @param eta halving keeps the best 1/eta of a rung and gives them eta times the epochs
 * @param minEpochs the epochs of halving's first rung
 * @param sampleRows the training rows shipped to every trial (a seeded sample of train's split)
 * @param validationRows the validation rows every trial is scored on
 * @param seed draws the configurations, the row samples and every network's initial weights
 */
public record TuneSettings(
    String method,
    List<Hyper> space,
    int samples,
    int maxEpochs,
    int eta,
    int minEpochs,
    int sampleRows,
    int validationRows,
    long seed) {
  public static final String HALVING = "halving";
  public static final String GRID = "grid";
  public static final String RANDOM = "random";

  public TuneSettings {
    space = List.copyOf(space);
  }

  public static TuneSettings from(LakeloopConfig config) {
    Settings s = config.section("tune");
    String method = s.string("method");
    if (!List.of(HALVING, GRID, RANDOM).contains(method)) {
      throw new ConfigError(
          "lakeloop.tune.method: '" + method + "' is none of halving, grid, random");
    }
    Settings h = s.child("halving");
    TuneSettings out =
        new TuneSettings(
            method,
            grid(s.child("space")),
            s.intAtLeast("samples", 1),
            s.intAtLeast("max-epochs", 1),
            h.intAtLeast("eta", 2),
            h.intAtLeast("min-epochs", 1),
            s.intAtLeast("sample-rows", 10),
            s.intAtLeast("validation-rows", 10),
            s.raw().getLong("seed"));
    if (out.minEpochs() > out.maxEpochs()) {
      throw new ConfigError(
          "lakeloop.tune.halving.min-epochs ("
              + out.minEpochs()
              + ") is more than lakeloop.tune.max-epochs ("
              + out.maxEpochs()
              + "): lower it");
    }
    return out;
  }

  /**
   * The configurations a search starts with: the whole grid for {@link #GRID}; otherwise {@code
   * samples} of them drawn without replacement by the seed (the whole grid, shuffled, when it is
   * smaller).
   */
  public List<Hyper> configurations() {
    if (method.equals(GRID)) {
      return space;
    }
    List<Hyper> shuffled = new ArrayList<>(space);
    Collections.shuffle(shuffled, new Random(seed));
    return List.copyOf(shuffled.subList(0, Math.min(samples, shuffled.size())));
  }

  /**
   * The epochs of each rung: {@code min-epochs × eta^r} up to and ending at {@code max-epochs} for
   * halving; one rung of {@code max-epochs} otherwise.
   */
  public List<Integer> rungEpochs() {
    List<Integer> out = new ArrayList<>();
    if (method.equals(HALVING)) {
      long e = minEpochs;
      while (e < maxEpochs) {
        out.add((int) e);
        e *= eta;
      }
    }
    out.add(maxEpochs);
    return out;
  }

  private static List<Hyper> grid(Settings s) {
    List<Double> rates = numbers(s, "learning-rate", 1e-7, 10);
    List<Double> l2s = numbers(s, "l2", 0, 1);
    List<Double> dropouts = numbers(s, "dropout", 0, 0.95);
    List<Integer> batches = new ArrayList<>();
    for (Double b : numbers(s, "batch-size", 1, 1 << 20)) {
      if (b != Math.floor(b)) {
        throw new ConfigError("lakeloop.tune.space.batch-size: " + b + " is not a whole number");
      }
      batches.add(b.intValue());
    }
    List<List<Integer>> shapes = new ArrayList<>();
    for (Object o : s.raw().getList("hidden").unwrapped()) {
      if (!(o instanceof List<?> layers) || layers.isEmpty()) {
        throw new ConfigError(
            "lakeloop.tune.space.hidden: each entry is a list of layer widths, e.g. [[32], [64,"
                + " 32]]; got "
                + o);
      }
      List<Integer> shape = new ArrayList<>();
      for (Object w : layers) {
        if (!(w instanceof Integer width) || width < 1) {
          throw new ConfigError(
              "lakeloop.tune.space.hidden: layer widths are whole numbers ≥ 1; got " + layers);
        }
        shape.add(width);
      }
      shapes.add(shape);
    }
    if (shapes.isEmpty()) {
      throw new ConfigError("lakeloop.tune.space.hidden: give at least one shape, e.g. [[32]]");
    }
    List<Hyper> out = new ArrayList<>();
    for (double lr : rates) {
      for (List<Integer> shape : shapes) {
        for (double l2 : l2s) {
          for (double dropout : dropouts) {
            for (int batch : batches) {
              out.add(new Hyper(lr, shape, l2, dropout, batch));
            }
          }
        }
      }
    }
    return out.stream().distinct().toList(); // a value listed twice adds no configuration
  }

  private static List<Double> numbers(Settings s, String key, double min, double max) {
    List<Double> out = s.raw().getDoubleList(key);
    if (out.isEmpty()) {
      throw new ConfigError("lakeloop.tune.space." + key + ": give at least one value");
    }
    for (double v : out) {
      if (!(v >= min && v <= max)) {
        throw new ConfigError(
            "lakeloop.tune.space." + key + ": " + v + " is outside [" + min + ", " + max + "]");
      }
    }
    return out;
  }
}
