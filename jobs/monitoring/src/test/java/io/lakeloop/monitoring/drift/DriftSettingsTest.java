package io.lakeloop.monitoring.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.ConfigLoader;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.testing.ProjectFiles;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The lakeloop.drift section: defaults as documented, bad values named with their fix. */
class DriftSettingsTest {
  private static DriftSettings settings(String... sets) {
    LakeloopConfig c =
        ConfigLoader.load(Optional.of(ProjectFiles.find("configs/local.conf")), List.of(sets));
    return DriftSettings.from(c);
  }

  @Test
  void alertDefaultsRaiseOnAnyDriftedColumnAgainstTheBaselineWithoutAWebhook() {
    DriftSettings.AlertSettings a = settings().alerts();
    assertThat(a.comparisons()).isEqualTo(Set.of("BASELINE"));
    assertThat(a.datasetOnly()).isFalse();
    assertThat(a.webhookUrl()).isEmpty();
    assertThat(a.webhookTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(a.webhookAttempts()).isEqualTo(3);
    DriftSettings.AlertSettings b =
        settings(
                "lakeloop.drift.alerts.comparisons=[BASELINE, CONSECUTIVE]",
                "lakeloop.drift.alerts.on=dataset",
                "lakeloop.drift.alerts.webhook-url=\"https://hooks.example.com/x\"")
            .alerts();
    assertThat(b.comparisons()).containsExactlyInAnyOrder("BASELINE", "CONSECUTIVE");
    assertThat(b.datasetOnly()).isTrue();
    assertThat(b.webhookUrl()).isEqualTo("https://hooks.example.com/x");
  }

  @Test
  void badAlertSettingsNameTheKeyAndTheFix() {
    assertThatThrownBy(() -> settings("lakeloop.drift.alerts.webhook-url=\"hooks.example.com\""))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("lakeloop.drift.alerts.webhook-url")
        .hasMessageContaining("not an http(s) URL");
    assertThatThrownBy(() -> settings("lakeloop.drift.alerts.comparisons=[BASLINE]"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("'BASLINE' is not BASELINE or CONSECUTIVE");
    assertThatThrownBy(() -> settings("lakeloop.drift.alerts.on=always"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("\"any-column\" or \"dataset\"");
  }
}
