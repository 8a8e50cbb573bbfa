package io.lakeloop.monitoring.drift;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.notify.Webhook;
import io.lakeloop.common.window.Granularity;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated {@code lakeloop.drift} section (documented in reference.conf).
 *
 * @param granularities window lengths; the first is one day (longer ones merge stored days)
 * @param thresholds per statistic name, the value (or p-value) at which it counts as drifted in
 *     fixed mode; in both modes the statistics that get a verdict
 * @param sizeAware thresholds from each statistic's null distribution at the comparison's sizes
 *     ({@link NullThresholds}) instead of the fixed values
 * @param falseAlarmRate size-aware: the share of drift-free comparisons that may be called drifted
 * @param nullReplicates size-aware: samples drawn per column and size
 * @param alerts when a comparison raises an alert and where it is sent
 * @param multivariate the PCA reconstruction error of the numeric features ({@link
 *     MultivariateDrift})
 * @param scoreSumTolerance a score vector summing further from 1 is invalid ({@code
 *     lakeloop.evaluate.score-sum-tolerance}: drift's {@code valid_scores} constraint counts the
 *     rows evaluate cannot score)
 */
public record DriftSettings(
    List<Granularity> granularities,
    int psiBins,
    int fineQuantiles,
    int quantileAccuracy,
    int topKCategories,
    int maxCategories,
    boolean consecutive,
    Map<String, Double> thresholds,
    boolean sizeAware,
    double falseAlarmRate,
    int nullReplicates,
    String numericDecision,
    String categoricalDecision,
    double datasetDriftShare,
    AlertSettings alerts,
    Multivariate multivariate,
    double scoreSumTolerance)
    implements Serializable {

  /**
   * How many days back a repeated request_id is looked for: the longest window's days minus one, so
   * that every window's repeats are exact ({@link RowChecks}).
   */
  public int repeatGap() {
    long longest = granularities.stream().mapToLong(Granularity::seconds).max().orElse(86_400L);
    return (int) Math.max(0, (longest + 86_399L) / 86_400L - 1);
  }

  /**
   * The {@code lakeloop.drift.multivariate} section.
   *
   * @param enabled whether new baselines sum their features' moments and windows are judged
   * @param varianceShare the PCA keeps the fewest components explaining more than this share
   * @param baselineChunks the baseline's rows are spread over this many chunks to measure its
   *     spread
   */
  public record Multivariate(boolean enabled, double varianceShare, int baselineChunks)
      implements Serializable {
    static Multivariate from(Settings s) {
      return new Multivariate(
          s.bool("enabled"),
          s.doubleIn("variance-share", 0.01, 0.99),
          s.intAtLeast("baseline-chunks", 3));
    }
  }

  /**
   * The {@code lakeloop.drift.alerts} section.
   *
   * @param comparisons the comparisons (BASELINE, CONSECUTIVE) that raise alerts
   * @param datasetOnly alert only when the dataset-level share crosses its threshold, not on any
   *     drifted column
   * @param webhookUrl where the run POSTs its alerts as JSON; empty for none
   * @param webhookTimeout how long one POST may take
   * @param webhookAttempts POSTs tried before the run fails (connection errors and 5xx answers)
   */
  public record AlertSettings(
      Set<String> comparisons,
      boolean datasetOnly,
      String webhookUrl,
      Duration webhookTimeout,
      int webhookAttempts)
      implements Serializable {
    public AlertSettings {
      comparisons = Set.copyOf(comparisons);
    }

    static AlertSettings from(Settings a) {
      Set<String> comparisons = new LinkedHashSet<>();
      for (String c : a.strings("comparisons")) {
        if (!c.equals("BASELINE") && !c.equals("CONSECUTIVE")) {
          throw new ConfigError(
              "lakeloop.drift.alerts.comparisons: '" + c + "' is not BASELINE or CONSECUTIVE");
        }
        comparisons.add(c);
      }
      String on = a.string("on");
      if (!on.equals("any-column") && !on.equals("dataset")) {
        throw new ConfigError(
            "lakeloop.drift.alerts.on must be \"any-column\" or \"dataset\", got '" + on + "'");
      }
      // Validates the URL; the job builds its webhook from these fields.
      String url =
          Webhook.configured(a, "lakeloop.drift.alerts").isPresent()
              ? a.string("webhook-url").trim()
              : "";
      return new AlertSettings(
          comparisons,
          on.equals("dataset"),
          url,
          a.duration("webhook-timeout"),
          a.intAtLeast("webhook-attempts", 1));
    }
  }

  /** Statistics judged by their p-value (drifted when p < threshold); the rest by the value. */
  public static final Set<String> BY_P_VALUE = Set.of("chi_square");

  /** Statistics judged by their absolute value (a signed change). */
  public static final Set<String> BY_ABSOLUTE_VALUE = Set.of("null_rate_change");

  /** The statistic whose threshold stays fixed in size-aware mode (see reference.conf). */
  public static final String UNSEEN_SHARE = "unseen_share";

  /** Values of {@code lakeloop.drift.threshold-mode}. */
  public static final String SIZE_AWARE = "size-aware";

  public static final String FIXED = "fixed";

  public DriftSettings {
    granularities = List.copyOf(granularities);
    thresholds = Map.copyOf(thresholds);
  }

  public static DriftSettings from(LakeloopConfig config) {
    Settings s = config.section("drift");
    List<Granularity> gs = new ArrayList<>();
    for (String g : s.strings("granularities")) {
      Granularity parsed = Granularity.parse(g, "lakeloop.drift.granularities");
      if (gs.stream().anyMatch(o -> o.seconds() == parsed.seconds())) {
        throw new ConfigError("lakeloop.drift.granularities lists '" + g + "' twice");
      }
      gs.add(parsed);
    }
    if (gs.isEmpty() || gs.get(0).seconds() != 86_400L) {
      throw new ConfigError(
          "lakeloop.drift.granularities must start with \"1 day\" (longer windows are merges of"
              + " daily profiles), got "
              + s.strings("granularities"));
    }
    for (Granularity g : gs) {
      if (g.seconds() % 86_400L != 0) {
        throw new ConfigError(
            "lakeloop.drift.granularities: '"
                + g.label()
                + "' is not a whole number of days; drift windows are merges of daily profiles");
      }
    }
    int psiBins = s.intAtLeast("psi-bins", 2);
    int fine = s.intAtLeast("fine-quantiles", 10);
    if (fine % psiBins != 0) {
      throw new ConfigError(
          "lakeloop.drift.fine-quantiles ("
              + fine
              + ") must be a multiple of lakeloop.drift.psi-bins ("
              + psiBins
              + ") so that the PSI edges are edges of the fine grid");
    }
    Map<String, Double> thresholds = new LinkedHashMap<>();
    Settings t = s.child("thresholds");
    for (String name : t.raw().root().keySet()) {
      thresholds.put(name, t.doubleIn(name, 0, Double.MAX_VALUE));
    }
    String mode = s.string("threshold-mode");
    if (!mode.equals(SIZE_AWARE) && !mode.equals(FIXED)) {
      throw new ConfigError(
          "lakeloop.drift.threshold-mode must be \""
              + SIZE_AWARE
              + "\" or \""
              + FIXED
              + "\", got '"
              + mode
              + "'");
    }
    double falseAlarmRate = s.doubleIn("false-alarm-rate", 1e-6, 0.5);
    int replicates = s.intAtLeast("null-replicates", 1);
    if (NullThresholds.allowedBeyond(replicates, falseAlarmRate) < 5) {
      throw new ConfigError(
          "lakeloop.drift.null-replicates ("
              + replicates
              + ") is too few for a false-alarm-rate of "
              + falseAlarmRate
              + ": the threshold would rest on fewer than 5 samples beyond it; use at least "
              + NullThresholds.replicatesNeeded(falseAlarmRate));
    }
    Settings d = s.child("decision");
    String numeric = d.string("numeric");
    String categorical = d.string("categorical");
    for (String decision : List.of(numeric, categorical)) {
      if (!thresholds.containsKey(decision)) {
        throw new ConfigError(
            "lakeloop.drift.decision: '"
                + decision
                + "' has no threshold; use one of "
                + thresholds.keySet());
      }
    }
    return new DriftSettings(
        gs,
        psiBins,
        fine,
        s.intAtLeast("quantile-accuracy", 100),
        s.intAtLeast("top-k-categories", 1),
        s.intAtLeast("max-categories", 1),
        s.bool("consecutive"),
        thresholds,
        mode.equals(SIZE_AWARE),
        falseAlarmRate,
        replicates,
        numeric,
        categorical,
        s.doubleIn("dataset-drift-share", 0, 1),
        AlertSettings.from(s.child("alerts")),
        Multivariate.from(s.child("multivariate")),
        config.section("evaluate").doubleIn("score-sum-tolerance", 0, 1));
  }

  /** The threshold of a statistic, or null when it has none (it is then never "drifted"). */
  public Double threshold(String statistic) {
    return thresholds.get(statistic);
  }

  /**
   * Whether a statistic's value (or p-value) crosses {@code limit} (a fixed or size-aware
   * threshold); null when the limit is null.
   */
  public static Boolean drifted(String statistic, double value, Double pValue, Double limit) {
    if (limit == null) {
      return null;
    }
    if (BY_P_VALUE.contains(statistic)) {
      return pValue != null && pValue < limit;
    }
    return (BY_ABSOLUTE_VALUE.contains(statistic) ? Math.abs(value) : value) >= limit;
  }
}
