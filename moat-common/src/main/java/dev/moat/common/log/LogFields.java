package dev.moat.common.log;

/**
 * The names of the key-value fields that server and agent log lines carry, one spelling for both,
 * so that one query finds a job's lines on every machine. The JSON encoder adds {@code ts},
 * {@code level} and {@code msg} to every line; these are added where they apply, through SLF4J's
 * {@code addKeyValue} or, for every line a job's thread writes on the agent, the MDC.
 *
 * <p>Invariant: no field ever holds a secret value. {@link #SECRETS} holds secret <em>names</em>.
 */
public final class LogFields {
  public static final String RUN_ID = "run_id";
  public static final String JOB_ID = "job_id";
  public static final String REPO = "repo";
  public static final String SHA = "sha";
  public static final String POOL = "pool";
  public static final String AGENT = "agent";
  /** The sandbox tier: bwrap, oci or microvm. */
  public static final String TIER = "tier";
  /** The sha256 digest of the image a job's sandbox runs over. */
  public static final String IMAGE_DIGEST = "image_digest";
  /** The contributor's trust tier the run was decided at. */
  public static final String TRUST_TIER = "trust_tier";
  /** The names of the secrets a job asked for; never their values. */
  public static final String SECRETS = "secrets";
  /** What the egress filter decided for a job: {@code allowed} (nothing refused) or {@code denied}. */
  public static final String EGRESS = "egress";
  public static final String EGRESS_DENIALS = "egress_denials";
  /** The sha256 of an artifact that crossed the sandbox boundary, e.g. the job's source archive. */
  public static final String ARTIFACT_SHA256 = "artifact_sha256";
  /** How a job ended: succeeded, failed, timed_out, cancelled, lost. */
  public static final String STATUS = "status";
  public static final String EXIT_CODE = "exit_code";

  private LogFields() {}
}
