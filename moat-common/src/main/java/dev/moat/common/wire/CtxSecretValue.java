package dev.moat.common.wire;

import java.util.Objects;

/**
 * The answer of {@code GET /api/v1/ctx/secrets/{name}}: one secret's value for the job whose
 * credential asked. {@link #toString()} never shows the value.
 */
public record CtxSecretValue(String name, String value) {
  public CtxSecretValue {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }

  @Override
  public String toString() {
    return "CtxSecretValue[name=" + name + ", value=***]";
  }
}
