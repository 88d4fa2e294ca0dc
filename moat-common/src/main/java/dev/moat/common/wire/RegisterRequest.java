package dev.moat.common.wire;

import java.util.List;
import java.util.Objects;

/** An agent's first call: trades a one-time registration token for its own credential. */
public record RegisterRequest(String token, String name, List<String> labels) {
  public RegisterRequest {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(name, "name");
    labels = List.copyOf(labels);
    Labels.check(labels);
  }
}
