package io.lakeloop.monitoring.evaluate;

import io.lakeloop.common.config.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binary and multiclass metrics, with the conventions of scikit-learn: accuracy; precision, recall
 * and F1 per class, macro (unweighted mean over every declared class) and weighted (by support), 0
 * where undefined ({@code zero_division=0}); confusion matrix entries {@code
 * confusion:<true>:<predicted>}; ROC-AUC and average precision from score histograms (binary: the
 * positive class; multiclass: one-vs-rest, macro over classes present with both outcomes); log-loss
 * with probabilities clipped to [eps, 1 - eps], eps the float64 machine epsilon (2^-52, as
 * scikit-learn >= 1.3 clips by default; older releases used 1e-15); Brier score and positive rate /
 * mean score (binary); expected calibration error over 10 equal-width bins of the positive-class
 * probability (binary) or of the top-class confidence (multiclass). Pure functions of additive
 * state; immutable.
 */
public final class ClassificationMetrics implements MetricSet {
  /** Where log-loss clips probabilities: {@code numpy.finfo(float64).eps}, as scikit-learn does. */
  static final double EPS = Math.ulp(1.0);

  static final int ECE_BINS = 10;
  private static final Set<String> HEADLINE =
      Set.of("accuracy", "f1_macro", "roc_auc", "pr_auc", "log_loss", "brier");

  private final Task task;
  private final List<String> classes;
  private final boolean estimate;

  public ClassificationMetrics(Task task, List<String> classes) {
    this(task, classes, false);
  }

  /**
   * @param estimate also estimate the metrics from calibrated probabilities (CBPE, see {@link
   *     #compute}) where rows have them
   */
  public ClassificationMetrics(Task task, List<String> classes, boolean estimate) {
    this.task = task;
    this.classes = List.copyOf(classes);
    this.estimate = estimate;
  }

  private boolean binary() {
    return task == Task.BINARY;
  }

  private int k() {
    return classes.size();
  }

  private static String cm(int actual, int predicted) {
    return "cm_" + actual + "_" + predicted;
  }

  /**
   * Partials, in the order {@link #values} writes them: the confusion matrix (k x k), log-loss sum,
   * binary only: Brier sum, predicted positives, score sum; then per ECE bin: count, confidence
   * sum, hit sum.
   */
  @Override
  public List<Partial> partials() {
    List<Partial> out = new ArrayList<>();
    for (int i = 0; i < k(); i++) {
      for (int j = 0; j < k(); j++) {
        out.add(new Partial(cm(i, j), Scope.LABELED, true));
      }
    }
    out.add(new Partial("log_loss_sum", Scope.LABELED, true));
    if (binary()) {
      out.add(new Partial("brier_sum", Scope.LABELED, true));
      out.add(new Partial("predicted_positive", Scope.VALID, false));
      out.add(new Partial("score_sum", Scope.VALID, false));
    }
    for (int b = 0; b < ECE_BINS; b++) {
      out.add(new Partial("ece_n_" + b, Scope.LABELED, false));
      out.add(new Partial("ece_conf_" + b, Scope.LABELED, false));
      out.add(new Partial("ece_hit_" + b, Scope.LABELED, false));
    }
    if (estimate) {
      out.addAll(Estimated.partials(k()));
    }
    return out;
  }

  private int realizedPartials() {
    return k() * k() + 1 + (binary() ? 3 : 0) + 3 * ECE_BINS;
  }

  @Override
  public int estimatedFrom() {
    return estimate ? realizedPartials() : partials().size();
  }

  @Override
  public void estimatedValues(RowValues r, double[] out) {
    if (estimate) {
      Estimated.values(r, k(), out, realizedPartials());
    }
  }

  @Override
  public void values(RowValues r, double[] out) {
    int k = k();
    Arrays.fill(out, 0, realizedPartials(), 0.0);
    if (estimate) {
      Estimated.values(r, k, out, realizedPartials());
    }
    int p = (int) r.prediction;
    boolean labeled = r.labeled();
    int y = labeled ? (int) r.label : -1;
    int at = 0;
    if (labeled) {
      out[y * k + p] = 1.0;
    }
    at += k * k;
    out[at++] = labeled ? -Math.log(Math.min(Math.max(r.scores[y], EPS), 1 - EPS)) : 0.0;
    double conf;
    double hit;
    if (binary()) {
      double p1 = r.scores[1];
      out[at++] = labeled ? (p1 - y) * (p1 - y) : 0.0;
      out[at++] = p == 1 ? 1.0 : 0.0;
      out[at++] = p1;
      conf = p1;
      hit = y == 1 ? 1.0 : 0.0;
    } else {
      conf = 0;
      for (double v : r.scores) {
        conf = Math.max(conf, v);
      }
      hit = y == p ? 1.0 : 0.0;
    }
    if (labeled) {
      int bin = Math.min((int) Math.floor(conf * ECE_BINS), ECE_BINS - 1);
      out[at + 3 * bin] = 1.0;
      out[at + 3 * bin + 1] = conf;
      out[at + 3 * bin + 2] = hit;
    }
  }

  @Override
  public int histograms() {
    return binary() ? 1 : k();
  }

  @Override
  public double histogramScore(RowValues r, int k) {
    return binary() ? r.scores[1] : r.scores[k];
  }

  @Override
  public boolean histogramPositive(RowValues r, int k) {
    return binary() ? r.label == 1 : r.label == k;
  }

  @Override
  public int estimatedHistograms() {
    return estimate ? histograms() : 0;
  }

  @Override
  public double estimatedPositive(RowValues r, int k) {
    return binary() ? r.calibrated[1] : r.calibrated[k];
  }

  @Override
  public Map<String, double[]> intervals(State sample, double confidence) {
    return estimate ? Estimated.intervals(sample, classes, confidence) : Map.of();
  }

  @Override
  public boolean headline(String metric) {
    return HEADLINE.contains(metric);
  }

  @Override
  public List<MetricValue> compute(State s) {
    List<MetricValue> out = MetricSet.counts(s);
    double valid = s.get(N_VALID);
    double n = s.get(N_LABELED);
    long nl = Math.round(n);
    long nv = Math.round(valid);

    double[][] c = new double[k()][k()];
    double correct = 0;
    for (int i = 0; i < k(); i++) {
      for (int j = 0; j < k(); j++) {
        c[i][j] = s.get(cm(i, j));
      }
      correct += c[i][i];
    }
    out.add(new MetricValue("accuracy", MetricSet.finite(correct / n), nl));
    if (nl > 0) {
      PerClass pc = PerClass.of(c);
      for (int i = 0; i < k(); i++) {
        String cl = classes.get(i);
        out.add(new MetricValue("precision:" + cl, pc.precision()[i], nl));
        out.add(new MetricValue("recall:" + cl, pc.recall()[i], nl));
        out.add(new MetricValue("f1:" + cl, pc.f1()[i], nl));
        out.add(new MetricValue("support:" + cl, pc.support()[i], nl));
      }
      for (String avg : PerClass.AVERAGED) {
        double[] v = pc.get(avg);
        double weighted = 0;
        for (int i = 0; i < k(); i++) {
          weighted += v[i] * pc.support()[i] / n;
        }
        out.add(new MetricValue(avg + "_macro", PerClass.mean(v), nl));
        out.add(new MetricValue(avg + "_weighted", weighted, nl));
      }
    }
    for (int i = 0; i < k(); i++) {
      for (int j = 0; j < k(); j++) {
        out.add(new MetricValue("confusion:" + classes.get(i) + ":" + classes.get(j), c[i][j], nl));
      }
    }
    out.add(new MetricValue("log_loss", MetricSet.finite(s.get("log_loss_sum") / n), nl));

    double auc = 0;
    double ap = 0;
    double bound = 0;
    int defined = 0;
    int withPositives = 0;
    for (int h = 0; h < histograms(); h++) {
      ScoreHistogram hist = s.histogram(h);
      double a = hist.rocAuc();
      if (!Double.isNaN(a)) {
        auc += a;
        bound += hist.rocAucErrorBound();
        defined++;
      }
      double prec = hist.averagePrecision();
      if (!Double.isNaN(prec)) {
        ap += prec;
        withPositives++;
      }
    }
    out.add(new MetricValue("roc_auc", defined > 0 ? auc / defined : null, nl));
    out.add(new MetricValue("roc_auc_bin_error_bound", defined > 0 ? bound / defined : null, nl));
    out.add(new MetricValue("pr_auc", withPositives > 0 ? ap / withPositives : null, nl));

    double ece = 0;
    for (int b = 0; b < ECE_BINS; b++) {
      ece += Math.abs(s.get("ece_hit_" + b) - s.get("ece_conf_" + b));
    }
    out.add(new MetricValue("ece", MetricSet.finite(ece / n), nl));
    if (binary()) {
      out.add(new MetricValue("brier", MetricSet.finite(s.get("brier_sum") / n), nl));
      out.add(
          new MetricValue(
              "positive_rate", MetricSet.finite(s.get("predicted_positive") / valid), nv));
      out.add(new MetricValue("mean_score", MetricSet.finite(s.get("score_sum") / valid), nv));
    }
    if (estimate) {
      out.addAll(Estimated.compute(s, classes));
    }
    return out;
  }

  /**
   * Precision, recall and F1 per class from a confusion matrix ({@code c[actual][predicted]},
   * counts or expected counts), 0 where undefined, and each class's support.
   */
  record PerClass(double[] precision, double[] recall, double[] f1, double[] support) {
    static final List<String> AVERAGED = List.of("precision", "recall", "f1");

    static PerClass of(double[][] c) {
      int k = c.length;
      double[] p = new double[k];
      double[] r = new double[k];
      double[] f = new double[k];
      double[] support = new double[k];
      for (int i = 0; i < k; i++) {
        double predicted = 0;
        for (int a = 0; a < k; a++) {
          predicted += c[a][i];
          support[i] += c[i][a];
        }
        double tp = c[i][i];
        double fp = predicted - tp;
        double fn = support[i] - tp;
        p[i] = predicted > 0 ? tp / predicted : 0;
        r[i] = support[i] > 0 ? tp / support[i] : 0;
        f[i] = tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
      }
      return new PerClass(p, r, f, support);
    }

    double[] get(String metric) {
      return switch (metric) {
        case "precision" -> precision;
        case "recall" -> recall;
        default -> f1;
      };
    }

    static double mean(double[] v) {
      double m = 0;
      for (double x : v) {
        m += x / v.length;
      }
      return m;
    }
  }
}
