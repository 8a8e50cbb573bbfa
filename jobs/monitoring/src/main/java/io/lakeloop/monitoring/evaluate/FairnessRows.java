package io.lakeloop.monitoring.evaluate;

import io.lakeloop.monitoring.OrderedMerge;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;

/**
 * The reduce side's output of the evaluation: each window x slice's metric rows ({@link
 * MetricRows}), and for a slice that is a fairness grouping the disparities between its groups,
 * under {@code slice_key = 'fairness:<grouping>'}. A grouping's states arrive one after another in
 * one reduce partition ({@link GroupKey#route}); this keeps each group's four rates for the sample
 * and every bootstrap replicate until the slice's last group, then compares them.
 *
 * <p>Binary models, positive class = index 1. Rates per group: positive rate (predicted positives
 * over valid rows, labeled or not), true and false positive rate and accuracy (labeled rows).
 * Disparities of each group against the reference group (configured, or per rate the most
 * favourable group of the sample: highest positive rate, TPR and accuracy, lowest FPR): {@code
 * demographic_parity_difference} and {@code _ratio}, {@code equal_opportunity_difference} (TPR),
 * {@code equalized_odds_difference} (max of |ΔTPR| and |ΔFPR|) and {@code accuracy_difference}.
 * Each gets a paired bootstrap interval: a replicate's disparity compares the two groups' rates in
 * the same replicate, whose weights are the same for both (a function of the request id). A row
 * with {@code slice_value = '*'} carries, per disparity, the group farthest from parity (its value
 * and interval) — what the gate and the quality rules compare. The folded {@code __other__} value
 * is not a group. Serializable; the copy one reduce partition uses holds its groups.
 */
final class FairnessRows implements OrderedMerge.Output<GroupKey, SliceState, Row> {
  private static final long serialVersionUID = 1L;

  /** The metric set's partials the rates read that it does not sum per replicate by itself. */
  static final Set<String> RATE_PARTIALS = Set.of("predicted_positive");

  /** The partial of valid unlabeled rows the scorer adds for fairness (summed per replicate). */
  static final String N_UNLABELED = "n_unlabeled";

  private static final int PR = 0;
  private static final int TPR = 1;
  private static final int FPR = 2;
  private static final int ACC = 3;

  private final List<Grouping> groupings;
  private final MetricRows rows;
  private final int replicates;

  // per reduce partition: the current slice and its groups so far
  private transient GroupKey slice;
  private transient List<Group> groups;

  /** A fairness grouping as the reduce side needs it; reference null = the best group per rate. */
  private record Grouping(String name, String sliceKey, String reference) implements Serializable {}

  /** One group: its value, rates [rate][replicate] (0 = sample) and row counts. */
  private record Group(String value, double[][] rates, long valid, long positives, long labeled) {}

  FairnessRows(List<Measures.Fairness> groupings, MetricRows rows, int replicates) {
    this.groupings =
        groupings.stream()
            .map(f -> new Grouping(f.name(), f.sliceKey(), f.reference().orElse(null)))
            .toList();
    this.rows = rows;
    this.replicates = replicates;
  }

  private FairnessRows(FairnessRows template) {
    this.groupings = template.groupings;
    this.rows = template.rows;
    this.replicates = template.replicates;
  }

  @Override
  public OrderedMerge.Output<GroupKey, SliceState, Row> forPartition() {
    return new FairnessRows(this);
  }

  @Override
  public Iterator<Row> of(GroupKey key, SliceState state) {
    List<Row> out = new ArrayList<>(rows.rows(key, state));
    if (slice != null && !key.sameSlice(slice)) {
      out.addAll(disparities());
    }
    if (key.grouped && !key.sliceValue.equals(Evaluator.OTHER)) {
      if (slice == null) {
        slice = key;
        groups = new ArrayList<>();
      }
      groups.add(group(key.sliceValue, state));
    }
    return out.iterator();
  }

  @Override
  public Iterator<Row> end() {
    return slice == null ? Collections.emptyIterator() : disparities().iterator();
  }

  private Group group(String value, SliceState state) {
    Map<String, Integer> index = rows.index();
    double[][] rates = new double[4][replicates + 1];
    long[] counts = new long[3];
    for (int b = 0; b <= replicates; b++) {
      MetricSet.State s = state.view(b, false, index);
      double tp = s.get("cm_1_1");
      double fn = s.get("cm_1_0");
      double fp = s.get("cm_0_1");
      double tn = s.get("cm_0_0");
      double valid = s.get(MetricSet.N_LABELED) + s.get(N_UNLABELED);
      rates[PR][b] = s.get("predicted_positive") / valid;
      rates[TPR][b] = tp / (tp + fn);
      rates[FPR][b] = fp / (fp + tn);
      rates[ACC][b] = (tp + tn) / s.get(MetricSet.N_LABELED);
      if (b == 0) {
        counts[0] = Math.round(s.get(MetricSet.N_VALID));
        counts[1] = Math.round(tp + fn);
        counts[2] = Math.round(s.get(MetricSet.N_LABELED));
      }
    }
    return new Group(value, rates, counts[0], counts[1], counts[2]);
  }

  /** The current slice's disparity rows, for every grouping of its slice key; then forgets it. */
  private List<Row> disparities() {
    List<Row> out = new ArrayList<>();
    for (Grouping f : groupings) {
      if (f.sliceKey().equals(slice.sliceKey)) {
        out.addAll(disparities(f));
      }
    }
    slice = null;
    groups = null;
    return out;
  }

  private List<Row> disparities(Grouping f) {
    int[] ref = new int[4];
    for (int r = 0; r < 4; r++) {
      ref[r] = f.reference() != null ? named(f.reference()) : best(r, r != FPR);
      if (ref[r] < 0) {
        return List.of(); // the reference group has no rows (or no defined rate) in this window
      }
    }
    String key = Measures.FAIRNESS_PREFIX + f.name();
    List<Row> out = new ArrayList<>();
    Worst[] worst = new Worst[5];
    for (int at = 0; at < groups.size(); at++) {
      Group g = groups.get(at);
      Disparity[] d = {
        new Disparity(Measures.PARITY_DIFFERENCE, g.valid, (i, b) -> diff(i, b, PR, ref)),
        new Disparity(Measures.PARITY_RATIO, g.valid, (i, b) -> ratio(i, b, PR, ref)),
        new Disparity(Measures.OPPORTUNITY_DIFFERENCE, g.positives, (i, b) -> diff(i, b, TPR, ref)),
        new Disparity(
            Measures.ODDS_DIFFERENCE,
            g.labeled,
            (i, b) -> Math.max(Math.abs(diff(i, b, TPR, ref)), Math.abs(diff(i, b, FPR, ref)))),
        new Disparity(Measures.ACCURACY_DIFFERENCE, g.labeled, (i, b) -> diff(i, b, ACC, ref)),
      };
      for (int m = 0; m < d.length; m++) {
        double value = d[m].of.applyAsDouble(at, 0);
        double[] draws = new double[replicates];
        for (int b = 1; b <= replicates; b++) {
          draws[b - 1] = d[m].of.applyAsDouble(at, b);
        }
        double[] ci = replicates == 0 || !Double.isFinite(value) ? null : rows.interval(draws);
        MetricSet.MetricValue v =
            new MetricSet.MetricValue(d[m].name, MetricSet.finite(value), d[m].n);
        out.add(rows.row(slice, key, g.value, v, ci));
        double distance = m == 1 ? Math.abs(Math.log(value)) : Math.abs(value);
        if (Double.isFinite(distance) && (worst[m] == null || distance > worst[m].distance)) {
          worst[m] = new Worst(distance, v, ci);
        }
      }
    }
    for (Worst w : worst) {
      if (w != null) {
        out.add(rows.row(slice, key, Evaluator.ALL, w.value, w.ci));
      }
    }
    return out;
  }

  private record Disparity(String name, long n, ByGroup of) {}

  private record Worst(double distance, MetricSet.MetricValue value, double[] ci) {}

  /** A disparity of group i in replicate b (0 = the sample). */
  @FunctionalInterface
  private interface ByGroup {
    double applyAsDouble(int group, int replicate);
  }

  private double diff(int i, int b, int rate, int[] ref) {
    return groups.get(i).rates[rate][b] - groups.get(ref[rate]).rates[rate][b];
  }

  private double ratio(int i, int b, int rate, int[] ref) {
    return groups.get(i).rates[rate][b] / groups.get(ref[rate]).rates[rate][b];
  }

  private int named(String value) {
    for (int i = 0; i < groups.size(); i++) {
      if (groups.get(i).value.equals(value)) {
        return i;
      }
    }
    return -1;
  }

  /** The group with the highest (or lowest) defined sample rate; ties to the first; -1 if none. */
  private int best(int rate, boolean highest) {
    int at = -1;
    for (int i = 0; i < groups.size(); i++) {
      double v = groups.get(i).rates[rate][0];
      if (Double.isFinite(v)
          && (at < 0
              || (highest
                  ? v > groups.get(at).rates[rate][0]
                  : v < groups.get(at).rates[rate][0]))) {
        at = i;
      }
    }
    return at;
  }
}
