package dev.moat.engine.trust;

/** Which commit's {@code .moat/workflows} define the run of a change. */
public enum WorkflowSource {
  /** The change's own head commit: only for trusted authors, and for pushes. */
  HEAD,
  /** The base branch's commit: what known and unknown authors' pull requests run, even after approval. */
  BASE
}
