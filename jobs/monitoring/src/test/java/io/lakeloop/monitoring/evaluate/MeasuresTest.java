package io.lakeloop.monitoring.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.testing.ProjectFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A model's custom metrics, slice expressions, crossed slices and fairness groupings from its spec:
 * the demo's as documented, and every mistake refused at start-up with the key and the fix.
 */
class MeasuresTest {
  private static Measures churn(String... sets) {
    List<String> all = new ArrayList<>(List.of(sets));
    LakeloopConfig c = ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), all);
    return Measures.of(c, c.model("churn"));
  }

  @Test
  void theDemoModelCarriesOneOfEach() {
    Measures m = churn();
    assertThat(m.customMetrics()).extracting(CustomMetric::name).containsExactly("revenue_at_risk");
    CustomMetric revenue = m.customMetrics().get(0);
    assertThat(revenue.higherIsBetter()).isFalse();
    assertThat(revenue.denominator()).isNull();
    assertThat(revenue.numerator().count()).isFalse();
    assertThat(m.sliceExpressions())
        .extracting(Measures.Named::name)
        .containsExactly("new_premium");
    assertThat(m.fairness()).hasSize(1);
    assertThat(m.fairness().get(0).sliceKey()).isEqualTo("region");
    assertThat(m.fairness().get(0).reference()).isEmpty();
  }

  @Test
  void avgIsARatioOfASumAndACount() {
    CustomMetric avg =
        MeasuresReferenceTest.metric("name = a, direction = higher, expression = \"avg(x)\"");
    assertThat(avg.numerator()).isEqualTo(new CustomMetric.Sum("avg(x)", false));
    assertThat(avg.denominator()).isEqualTo(new CustomMetric.Sum("avg(x)", true));
    assertThat(avg.partials()).containsExactly("custom:a", "custom:a:den");
  }

  @Test
  void mistakesAreRefusedWithTheKeyAndTheFix() {
    String model = "lakeloop.models.churn.";
    assertThatThrownBy(
            () ->
                churn(
                    model
                        + "custom-metrics=[{name = worst, direction = lower, expression ="
                        + " \"max(monthly_charges)\"}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("max() in 'max(monthly_charges)' is not supported")
        .hasMessageContaining("bootstrap");
    assertThatThrownBy(
            () ->
                churn(
                    model
                        + "custom-metrics=[{name = n, direction = higher, expression ="
                        + " \"count(distinct plan)\"}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("DISTINCT");
    assertThatThrownBy(
            () ->
                churn(
                    model + "custom-metrics=[{name = n, direction = up, expression = \"sum(x)\"}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("direction = higher or direction = lower");
    assertThatThrownBy(
            () ->
                churn(
                    model
                        + "custom-metrics=[{name = n, direction = higher, expression = \"sum(x\"}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("'sum(x' is not valid Spark SQL");
    assertThatThrownBy(
            () ->
                churn(
                    model
                        + "custom-metrics=[{name = n, direction = higher, expression ="
                        + " \"monthly_charges\"}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("is not an aggregate");
    assertThatThrownBy(() -> churn(model + "slice-expressions=[{name = region, where = \"true\"}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("already a slice column");
    assertThatThrownBy(() -> churn(model + "crossed-slices=[[region]]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("not a pair");
    assertThatThrownBy(() -> churn(model + "fairness=[{name = f}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("set exactly one of column");
    assertThatThrownBy(
            () ->
                churn(
                    model
                        + "fairness=[{name = t, reference = old, groups = [{name = new, where ="
                        + " \"tenure_months < 12\"}, {name = est, where = \"tenure_months >="
                        + " 12\"}]}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("reference 'old' is not one of its groups [new, est]");
    assertThatThrownBy(
            () ->
                churn(
                    model + "task=regression",
                    model + "class-labels=[]",
                    model + "fairness=[{name = r, column = region}]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("need a binary model");
  }
}
