package io.lakeloop.monitoring.drift;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.Settings;

/**
 * {@code lakeloop.constraints}: how constraints are suggested from a baseline (reference.conf
 * documents each).
 */
public record ConstraintSettings(
    double rangeMargin, double nullShareSlack, int maxDomainSize, double unseenShareSlack) {

  public static ConstraintSettings from(LakeloopConfig config) {
    Settings s = config.section("constraints");
    return new ConstraintSettings(
        s.doubleIn("range-margin", 0, Double.MAX_VALUE),
        s.doubleIn("null-share-slack", 0, 1),
        s.intAtLeast("max-domain-size", 1),
        s.doubleIn("unseen-share-slack", 0, 1));
  }
}
