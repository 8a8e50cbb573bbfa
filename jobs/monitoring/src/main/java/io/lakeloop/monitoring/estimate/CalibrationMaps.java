package io.lakeloop.monitoring.estimate;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeSet;

/**
 * The calibrations one evaluation estimates with, by segment: a model version's rows ({@link #ALL}
 * as slice column and value) and, where the reference period had enough labeled rows of it, each
 * value of a slice column. A slice's estimate uses its value's own calibration and falls back to
 * its version's: a model can be calibrated on all its rows and not within a slice (a plan whose
 * customers churn more than their scores say), and only the slice's own calibration sees that.
 * Immutable, serializable.
 */
public record CalibrationMaps(Map<Segment, Calibration> maps) implements Serializable {
  /** The slice column and value of a version's calibration on all its rows. */
  public static final String ALL = "*";

  /** No calibration: nothing is estimated. */
  public static final CalibrationMaps NONE = new CalibrationMaps(Map.of());

  /** A model version's rows, or those of one value of one slice column. */
  public record Segment(String version, String column, String value) implements Serializable {
    public static Segment all(String version) {
      return new Segment(version, ALL, ALL);
    }

    public boolean isAll() {
      return column.equals(ALL);
    }
  }

  public CalibrationMaps {
    maps = Map.copyOf(maps);
  }

  /** Calibrations on all rows only, by version. */
  public static CalibrationMaps ofVersions(Map<String, Calibration> byVersion) {
    Map<Segment, Calibration> m = new java.util.HashMap<>();
    byVersion.forEach((v, c) -> m.put(Segment.all(v), c));
    return new CalibrationMaps(m);
  }

  public boolean isEmpty() {
    return maps.isEmpty();
  }

  /** Whether some slice value has a calibration of its own. */
  public boolean segmented() {
    return maps.keySet().stream().anyMatch(s -> !s.isAll());
  }

  /** The versions that are estimated, sorted. */
  public TreeSet<String> versions() {
    TreeSet<String> out = new TreeSet<>();
    maps.keySet().stream().filter(Segment::isAll).forEach(s -> out.add(s.version()));
    return out;
  }

  /** The version's calibration on all its rows, or null when the version is not estimated. */
  public Calibration of(String version) {
    return maps.get(Segment.all(version));
  }

  /** The slice value's own calibration, or null when it has none (its version's applies). */
  public Calibration of(String version, String column, String value) {
    return maps.get(new Segment(version, column, value));
  }
}
