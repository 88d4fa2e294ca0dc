package dev.moat.common.wire;

import java.util.List;
import java.util.Objects;

/** The agent's identity and credential, bound to one pool and the labels it was granted. */
public record RegisterResponse(String agentId, String credential, String pool, List<String> labels) {
  public RegisterResponse {
    Objects.requireNonNull(agentId, "agentId");
    Objects.requireNonNull(credential, "credential");
    Objects.requireNonNull(pool, "pool");
    labels = List.copyOf(labels);
  }

  @Override
  public String toString() {
    return "RegisterResponse[agentId=" + agentId + ", pool=" + pool + ", labels=" + labels + "]";
  }
}
