package dev.moat.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.server.http.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A webhook delivery is counted by the status it was answered with, whether returned or thrown. */
class WebhookCountTest {
  private final Metrics metrics = new Metrics(List.of("default"));

  @Test
  void eachAnswerIsCountedUnderItsResult() throws Exception {
    metrics.webhook("github", () -> 202, () -> null);
    metrics.webhook("github", () -> 502, () -> null); // the forge's API was down: not "ok"
    assertThatThrownBy(() -> metrics.webhook("github", () -> 200, () -> {
      throw ApiException.unauthorized("bad signature");
    })).isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> metrics.webhook("github", () -> 200, () -> {
      throw ApiException.conflict("seen");
    })).isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> metrics.webhook("github", () -> 200, () -> {
      throw ApiException.invalid("no JSON");
    })).isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> metrics.webhook("git", () -> 200, () -> {
      throw new IllegalStateException("bug");
    })).isInstanceOf(IllegalStateException.class);

    String scrape = metrics.scrape();
    for (String result : List.of("ok", "error", "bad_signature", "duplicate", "malformed")) {
      assertThat(scrape).as(result).contains("moat_webhook_deliveries_total{result=\"" + result + "\",source=\"github\"} 1.0");
    }
    assertThat(scrape).contains("moat_webhook_deliveries_total{result=\"error\",source=\"git\"} 1.0")
        .contains("moat_webhook_deliveries_total{result=\"ok\",source=\"git\"} 0.0");
  }
}
