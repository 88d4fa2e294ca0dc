package dev.moat.sandbox;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a job's sandbox is built from.
 *
 * @param id a short unique name for the job's sandbox (letters, digits, '-'), used as hostname suffix
 *     and in host-side resource names
 * @param workspace an existing directory on the host, bind-mounted read-write at {@link #WORKSPACE}
 */
public record SandboxSpec(String id, Path workspace) {
  /** Where the workspace appears inside the sandbox. */
  public static final String WORKSPACE = "/workspace";

  public SandboxSpec {
    Objects.requireNonNull(id, "id");
    if (!id.matches("[A-Za-z0-9-]{1,40}")) throw new IllegalArgumentException("bad sandbox id: " + id);
    Objects.requireNonNull(workspace, "workspace");
  }
}
