package io.lakeloop.modeling.train;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;
import io.lakeloop.common.config.Task;
import io.lakeloop.modeling.gate.GateSettings;
import io.lakeloop.modeling.model.Hyper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * {@code lakeloop.train}, validated, for a model of one task: see reference.conf for the meaning of
 * every key. A regression model is gated by {@code regression-gate} and always early-stopped on its
 * validation loss (the mean squared error: it has no accuracy).
 */
public record TrainSettings(
    int windowDays,
    int replayDays,
    double replayFraction,
    double holdoutFraction,
    double validationFraction,
    int maxCategories,
    long seed,
    int batchSizePerWorker,
    int averagingFrequency,
    Architecture teacher,
    Architecture student,
    double maxStudentShare,
    double alpha,
    double temperature,
    OptionalInt teacherVersion,
    boolean fromTuning,
    boolean stopOnLoss,
    boolean regression,
    GateSettings gate) {

  /** A network shape, its regularisation and how long to train it. */
  public record Architecture(
      List<Integer> hidden,
      double learningRate,
      double l2,
      double dropout,
      int epochs,
      int patience) {
    public Architecture {
      hidden = List.copyOf(hidden);
    }
  }

  /**
   * Whether a student of {@code student} parameters may be distilled from a teacher of {@code
   * teacher}: at most {@code student.max-parameter-share} of it (train refuses it otherwise, and
   * tune leaves such teachers out).
   */
  public boolean studentFits(long student, long teacher) {
    return student <= maxStudentShare * teacher;
  }

  public SparkTrainer.Settings trainer(Architecture a) {
    return new SparkTrainer.Settings(
        batchSizePerWorker,
        averagingFrequency,
        a.epochs(),
        a.patience(),
        seed,
        stopOnLoss,
        regression);
  }

  /**
   * These settings with the teacher's shape, learning rate, regularisation and the batch size
   * replaced by a tuned configuration's (epochs and patience stay).
   */
  public TrainSettings withTeacher(Hyper tuned) {
    return new TrainSettings(
        windowDays,
        replayDays,
        replayFraction,
        holdoutFraction,
        validationFraction,
        maxCategories,
        seed,
        tuned.batchSize(),
        averagingFrequency,
        new Architecture(
            tuned.hidden(),
            tuned.learningRate(),
            tuned.l2(),
            tuned.dropout(),
            teacher.epochs(),
            teacher.patience()),
        student,
        maxStudentShare,
        alpha,
        temperature,
        teacherVersion,
        fromTuning,
        stopOnLoss,
        regression,
        gate);
  }

  public static TrainSettings from(LakeloopConfig config, Task task) {
    Settings s = config.section("train");
    String teacher = s.string("distillation.teacher");
    OptionalInt teacherVersion;
    if (teacher.equals("updated")) {
      teacherVersion = OptionalInt.empty();
    } else {
      try {
        teacherVersion = OptionalInt.of(Integer.parseInt(teacher.trim()));
      } catch (NumberFormatException e) {
        throw new ConfigError(
            "lakeloop.train.distillation.teacher: '"
                + teacher
                + "' is neither \"updated\" nor a registry version number");
      }
    }
    double alpha = s.doubleIn("distillation.alpha", 0, 1);
    double temperature = s.doubleIn("distillation.temperature", 1e-3, 1e3);
    String stopOn = s.string("early-stopping");
    if (!stopOn.equals("accuracy") && !stopOn.equals("loss")) {
      throw new ConfigError(
          "lakeloop.train.early-stopping: '" + stopOn + "' is neither \"accuracy\" nor \"loss\"");
    }
    String fromTuning = s.string("from-tuning");
    if (!fromTuning.equals("none") && !fromTuning.equals("latest")) {
      throw new ConfigError(
          "lakeloop.train.from-tuning: '" + fromTuning + "' is neither \"none\" nor \"latest\"");
    }
    return new TrainSettings(
        days(s, "window"),
        s.intAtLeast("replay.days", 0),
        s.doubleIn("replay.fraction", 0, 1),
        s.doubleIn("holdout-fraction", 0.01, 0.9),
        s.doubleIn("validation-fraction", 0.01, 0.9),
        s.intAtLeast("max-categories", 1),
        s.raw().getLong("seed"),
        s.intAtLeast("batch-size-per-worker", 1),
        s.intAtLeast("averaging-frequency", 1),
        architecture(s.child("teacher")),
        architecture(s.child("student")),
        s.doubleIn("student.max-parameter-share", 0.001, 1),
        alpha,
        temperature,
        teacherVersion,
        fromTuning.equals("latest"),
        stopOn.equals("loss"),
        !task.isClassification(),
        GateSettings.from(s.child(task.isClassification() ? "gate" : "regression-gate")));
  }

  private static int days(Settings s, String key) {
    Duration d = s.duration(key);
    if (d.toDays() < 1 || !d.equals(Duration.ofDays(d.toDays()))) {
      throw new ConfigError(
          "lakeloop.train." + key + ": '" + d + "' is not a whole number of days, e.g. 3 days");
    }
    return (int) d.toDays();
  }

  private static Architecture architecture(Settings s) {
    List<Integer> hidden = new ArrayList<>();
    for (Object o : s.raw().getIntList("hidden")) {
      int h = (Integer) o;
      if (h < 1) {
        throw new ConfigError(
            "lakeloop.train.*.hidden: layer sizes must be ≥ 1; got "
                + s.raw().getIntList("hidden"));
      }
      hidden.add(h);
    }
    return new Architecture(
        hidden,
        s.doubleIn("learning-rate", 1e-7, 10),
        s.doubleIn("l2", 0, 1),
        s.doubleIn("dropout", 0, 0.95),
        s.intAtLeast("epochs", 1),
        s.intAtLeast("patience", 1));
  }
}
