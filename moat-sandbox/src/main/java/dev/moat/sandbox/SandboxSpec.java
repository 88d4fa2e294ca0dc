package dev.moat.sandbox;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a job's sandbox is built from.
 *
 * @param id a short unique name for the job's sandbox (letters, digits, '-'), used as hostname suffix
 *     and in host-side resource names
 * @param workspace an existing directory on the host, bind-mounted read-write at {@link #WORKSPACE}
 * @param ctxHelper the static {@code moat-ctx} binary ({@link dev.moat.sandbox.ctx.CtxHelper}), or null
 *     for a sandbox without a ctx socket. With it, the sandbox shows the binary read-only at
 *     {@link #CTX_BIN}{@code /moat-ctx} and the socket of {@link Sandbox#ctxSocket()} at
 *     {@link #CTX_SOCKET}, in every tier.
 */
public record SandboxSpec(String id, Path workspace, Path ctxHelper) {
  /** Where the workspace appears inside the sandbox. */
  public static final String WORKSPACE = "/workspace";
  /** Where the job's ctx socket appears inside the sandbox: the value of {@code $MOAT_CTX}. */
  public static final String CTX_SOCKET = "/run/moat/ctx.sock";
  /** The directory inside the sandbox that holds {@code moat-ctx}; the agent puts it on {@code PATH}. */
  public static final String CTX_BIN = "/run/moat/bin";
  /** The {@code moat-ctx} helper inside the sandbox. */
  public static final String CTX_HELPER = CTX_BIN + "/moat-ctx";

  public SandboxSpec {
    Objects.requireNonNull(id, "id");
    if (!id.matches("[A-Za-z0-9-]{1,40}")) throw new IllegalArgumentException("bad sandbox id: " + id);
    Objects.requireNonNull(workspace, "workspace");
    if (ctxHelper != null && !ctxHelper.isAbsolute()) throw new IllegalArgumentException("ctxHelper must be absolute: " + ctxHelper);
  }

  /** A sandbox without a ctx socket. */
  public SandboxSpec(String id, Path workspace) {
    this(id, workspace, null);
  }
}
