package io.lakeloop.monitoring.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.testing.ProjectFiles;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class QualityRulesTest {
  private static final Instant DAY = Instant.parse("2026-01-12T00:00:00Z");
  private static final Instant LATE = Instant.parse("2026-01-20T00:00:00Z");
  private static final AnomalySettings OFF =
      new AnomalySettings(List.of(), List.of("1 day"), 28, 7, 4, false);

  private static QualityRules.MetricRow row(
      String slice, String metric, Double value, Double low, Double high, long n) {
    return new QualityRules.MetricRow(
        "1",
        "1 day",
        DAY,
        DAY.plusSeconds(86_400),
        slice.equals("*") ? "*" : slice.split("=")[0],
        slice.equals("*") ? "*" : slice.split("=")[1],
        metric,
        value,
        low,
        high,
        n);
  }

  private static QualityRule rule(String metric, QualityRule.Kind kind, double amount) {
    return new QualityRule(
        QualityRule.describe(metric, kind, amount, false),
        metric,
        kind,
        amount,
        false,
        List.of(),
        List.of("*"));
  }

  private static QualitySettings settings(boolean onInterval, QualityRule... rules) {
    return new QualitySettings(
        List.of(rules),
        onInterval,
        100,
        Optional.of(LocalDate.parse("2026-01-01")),
        Optional.of(LocalDate.parse("2026-01-08")),
        OFF,
        false);
  }

  private static List<QualityRules.Breach> judge(
      QualitySettings s, Map<QualityRules.ReferenceKey, Double> refs, QualityRules.MetricRow... r) {
    return QualityRules.judge(s, List.of(r), refs, LATE).breaches();
  }

  @Test
  void aFloorBreaksOnlyWhenTheWholeIntervalIsBelowItAndOnThePointWhenAsked() {
    QualityRule min = rule("accuracy", QualityRule.Kind.MIN, 0.8);
    // point below, interval straddles the bound: quiet on the interval, an alert on the point
    QualityRules.MetricRow straddles = row("*", "accuracy", 0.78, 0.75, 0.81, 500);
    assertThat(judge(settings(true, min), Map.of(), straddles)).isEmpty();
    assertThat(judge(settings(false, min), Map.of(), straddles)).hasSize(1);
    // the whole interval below: an alert either way, saying which evidence decided
    QualityRules.Breach b =
        judge(settings(true, min), Map.of(), row("*", "accuracy", 0.74, 0.72, 0.79, 500)).get(0);
    assertThat(b.onInterval()).isTrue();
    assertThat(b.bound()).isEqualTo(0.8);
    assertThat(b.reason())
        .isEqualTo(
            "accuracy 0.7400 [0.7200, 0.7900] is below 0.8000; the whole interval is past the"
                + " bound; 500 rows");
    // no interval: judged on the value
    assertThat(judge(settings(true, min), Map.of(), row("*", "accuracy", 0.79, null, null, 500)))
        .singleElement()
        .satisfies(x -> assertThat(x.onInterval()).isFalse());
  }

  @Test
  void aCeilingAndChangesAgainstTheReferenceUseTheOtherSideOfTheInterval() {
    QualityRule max = rule("log_loss", QualityRule.Kind.MAX, 0.5);
    assertThat(judge(settings(true, max), Map.of(), row("*", "log_loss", 0.6, 0.49, 0.7, 500)))
        .isEmpty();
    assertThat(judge(settings(true, max), Map.of(), row("*", "log_loss", 0.6, 0.51, 0.7, 500)))
        .hasSize(1);

    QualityRules.ReferenceKey key = new QualityRules.ReferenceKey("1 day", "*", "*", "roc_auc");
    QualityRule drop = rule("roc_auc", QualityRule.Kind.MAX_DROP, 0.03);
    // reference 0.85: the bound is 0.82
    List<QualityRules.Breach> b =
        judge(settings(true, drop), Map.of(key, 0.85), row("*", "roc_auc", 0.79, 0.78, 0.815, 900));
    assertThat(b).singleElement().satisfies(x -> assertThat(x.bound()).isCloseTo(0.82, within()));
    assertThat(b.get(0).reference()).isEqualTo(0.85);
    assertThat(
            judge(
                settings(true, drop),
                Map.of(key, 0.85),
                row("*", "roc_auc", 0.80, 0.78, 0.825, 900)))
        .isEmpty();
    // relative: 10 % of a reference of 0.4 allows up to 0.44
    QualityRule rise =
        new QualityRule(
            "ll", "log_loss", QualityRule.Kind.MAX_RISE, 0.1, true, List.of(), List.of("*"));
    QualityRules.ReferenceKey ll = new QualityRules.ReferenceKey("1 day", "*", "*", "log_loss");
    assertThat(
            judge(
                settings(false, rise),
                Map.of(ll, 0.4),
                row("*", "log_loss", 0.439, null, null, 500)))
        .isEmpty();
    assertThat(
            judge(
                settings(false, rise),
                Map.of(ll, 0.4),
                row("*", "log_loss", 0.441, null, null, 500)))
        .singleElement()
        .satisfies(x -> assertThat(x.bound()).isCloseTo(0.44, within()));
  }

  @Test
  void fewLabeledRowsMissingReferencesSlicesAndGranularitiesAreRespectedAndCounted() {
    QualityRule drop =
        new QualityRule(
            "drop",
            "accuracy",
            QualityRule.Kind.MAX_DROP,
            0.05,
            false,
            List.of(),
            List.of("*", "region=eu"));
    QualityRule regions =
        new QualityRule(
            "regions",
            "accuracy",
            QualityRule.Kind.MIN,
            0.8,
            false,
            List.of("1 week"),
            List.of("region"));
    QualityRule eu =
        new QualityRule(
            "eu", "accuracy", QualityRule.Kind.MIN, 0.8, false, List.of(), List.of("region=eu"));
    QualityRules.Judgement j =
        QualityRules.judge(
            settings(false, drop, regions, eu),
            List.of(
                row("*", "accuracy", 0.5, null, null, 99), // too few rows
                row("region=eu", "accuracy", 0.5, null, null, 500), // no reference for eu
                row("region=na", "accuracy", 0.5, null, null, 500)),
            Map.of(),
            LATE);
    assertThat(j.counts().get("drop")).containsExactly(0, 1, 1);
    // "regions" judges weekly windows only: nothing here
    assertThat(j.counts().get("regions")).containsExactly(0, 0, 0);
    assertThat(j.counts().get("eu")).containsExactly(1, 0, 0);
    assertThat(j.breaches())
        .singleElement()
        .satisfies(b -> assertThat(b.rule().name()).isEqualTo("eu"));
  }

  @Test
  void windowsInsideTheLabelDelayAreMarkedProvisional() {
    QualityRule min = rule("accuracy", QualityRule.Kind.MIN, 0.8);
    QualityRules.Breach b =
        QualityRules.judge(
                settings(false, min),
                List.of(row("*", "accuracy", 0.7, null, null, 500)),
                Map.of(),
                DAY)
            .breaches()
            .get(0);
    assertThat(b.provisional()).isTrue();
    assertThat(b.reason())
        .endsWith("provisional: the window is inside the label delay, labels are still arriving");
  }

  /**
   * An estimate (CBPE) stands in for its metric only inside the label delay: there it breaks the
   * rule as an estimated_quality alert (a change rule against the realized metric's reference, on
   * the whole range the realized value is expected in); once the window is final it is not judged.
   */
  @Test
  void estimatesAreJudgedOnlyInsideTheLabelDelayAndAsTheirOwnKind() {
    QualityRule drop = rule("accuracy", QualityRule.Kind.MAX_DROP, 0.05);
    Map<QualityRules.ReferenceKey, Double> refs =
        Map.of(new QualityRules.ReferenceKey("1 day", "*", "*", "accuracy"), 0.85);
    List<QualityRules.MetricRow> rows =
        List.of(
            row("*", "estimated_accuracy", 0.74, 0.72, 0.76, 5000),
            row("*", "estimated_accuracy", 0.74, 0.70, 0.81, 5000),
            row("*", "accuracy", 0.83, 0.80, 0.86, 300));
    QualityRules.Judgement inside = QualityRules.judge(settings(true, drop), rows, refs, DAY);
    assertThat(inside.breaches()).hasSize(1);
    QualityRules.Breach b = inside.breaches().get(0);
    assertThat(b.kind()).isEqualTo(QualityCheck.ESTIMATED_QUALITY);
    assertThat(b.row().ciHigh()).isEqualTo(0.76);
    assertThat(b.reference()).isEqualTo(0.85);
    assertThat(b.bound()).isCloseTo(0.80, Offset.offset(1e-12));
    assertThat(b.reason())
        .contains("whole range the realized value is expected in")
        .endsWith(
            "estimated without labels (CBPE): the window is inside the label delay, its"
                + " labels are still arriving");
    assertThat(inside.counts().get(drop.name())[QualityRules.Judgement.JUDGED]).isEqualTo(3);
    // the run's summary counts it as what it is (it counted as an anomaly before)
    assertThat(QualityText.render(settings(true, drop), inside, 4))
        .contains("; 0 quality alert(s) and 1 estimated-quality alert(s)");
    assertThat(QualityRules.judge(settings(true, drop), rows, refs, LATE).breaches()).isEmpty();
    assertThat(
            QualityRules.judge(settings(true, drop), rows, refs, LATE)
                .counts()
                .get(drop.name())[QualityRules.Judgement.JUDGED])
        .isEqualTo(1);
  }

  @Test
  void theWebhookDocumentCarriesEveryAlertWithItsEvidence() throws Exception {
    QualityRule min = rule("accuracy", QualityRule.Kind.MIN, 0.8);
    List<QualityRules.Breach> b =
        judge(settings(true, min), Map.of(), row("region=eu", "accuracy", 0.7, 0.65, 0.75, 300));
    assertThat(b).isEmpty(); // the rule judges "*" only
    QualityRule eu =
        new QualityRule(
            "eu", "accuracy", QualityRule.Kind.MIN, 0.8, false, List.of(), List.of("region"));
    b = judge(settings(true, eu), Map.of(), row("region=eu", "accuracy", 0.7, 0.65, 0.75, 300));
    JsonNode doc = new ObjectMapper().readTree(QualityCheck.document("churn", "r1", b));
    assertThat(doc.get("job").asText()).isEqualTo("evaluate");
    assertThat(doc.get("summary").asText())
        .isEqualTo("1 quality alert for model churn: eu: 1 window(s)");
    JsonNode a = doc.get("alerts").get(0);
    assertThat(a.get("kind").asText()).isEqualTo("quality");
    assertThat(a.get("slice_key").asText()).isEqualTo("region");
    assertThat(a.get("slice_value").asText()).isEqualTo("eu");
    assertThat(a.get("ci_high").asDouble()).isEqualTo(0.75);
    assertThat(a.get("bound").asDouble()).isEqualTo(0.8);
    assertThat(a.get("window_start").asText()).isEqualTo("2026-01-12T00:00:00Z");
  }

  @Test
  void rulesAreReadFromTheModelsConfigAndBadOnesAreRefusedByName() {
    LakeloopConfig base =
        ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), List.of());
    QualitySettings s =
        QualitySettings.of(
            base.withSetting(
                "models.churn.quality.rules",
                List.of(
                    Map.of("metric", "accuracy", "max-drop", 0.05),
                    Map.of("metric", "roc_auc", "min", 0.7, "slices", List.of("region")))),
            "churn");
    assertThat(s.rules())
        .extracting(QualityRule::name)
        .containsExactly("accuracy drop <= 0.05", "roc_auc >= 0.7");
    // the reference period defaults to the model's window baseline
    assertThat(s.referenceFrom()).contains(LocalDate.parse("2026-01-01"));
    assertThat(s.referenceUntil()).contains(LocalDate.parse("2026-01-08"));
    assertThat(s.onInterval()).isTrue();
    assertThatThrownBy(
            () ->
                QualitySettings.of(
                    base.withSetting(
                        "models.churn.quality.rules",
                        List.of(Map.of("metric", "accuracy", "min", 0.8, "max", 0.9))),
                    "churn"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("needs exactly one of min, max, max-drop, max-rise");
    assertThatThrownBy(
            () ->
                QualitySettings.of(
                    base.withSetting(
                        "models.churn.quality.rules",
                        List.of(Map.of("metric", "accuracy", "minimum", 0.8))),
                    "churn"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("unknown key(s) [minimum]");
  }

  private static Offset<Double> within() {
    return Offset.offset(1e-12);
  }
}
