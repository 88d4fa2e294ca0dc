package dev.moat.server.run;

import java.util.List;

/**
 * A run as the API shows it (also the CLI's {@code --json} shape).
 *
 * @param sha the commit the run builds
 * @param definitionsSha the commit its workflow definitions were read from (the base branch's for
 *     known and unknown pull requests)
 * @param trustTier the tier the run carries (trusted, known, unknown)
 * @param author who made the change on the forge, when known
 * @param hold the run's hold, if it was ever held
 */
public record RunView(
    long id,
    String repo,
    String ref,
    String sha,
    String event,
    String workflow,
    String workflowFile,
    String status,
    String error,
    long createdAt,
    Long finishedAt,
    List<JobView> jobs,
    String definitionsSha,
    String trustTier,
    RunRequest.Author author,
    HoldView hold) {

  /**
   * A run's hold.
   *
   * @param reason why it is held (fork_pull_request, unknown_contributor, workflow_modification, unverified_push,
   *     environment_review)
   * @param approverRole the least role that may approve or reject it
   * @param state pending, approved, rejected or expired
   */
  public record HoldView(String reason, String approverRole, long createdAt, long expiresAt, String state,
      String decidedBy, Long decidedAt, String comment) {}

  /**
   * A job as the API shows it.
   *
   * @param egressDenials connections out of the job's sandbox that its pool's egress policy refused
   * @param sandbox the weakest sandbox tier the job may run on (from its run's trust tier)
   * @param pools the pools that may run it; null: any pool (default policy); empty: none
   *     (unschedulable, {@code reason} says why)
   */
  public record JobView(
      long id,
      String key,
      String name,
      String status,
      Integer exitCode,
      String reason,
      String agent,
      Long startedAt,
      Long finishedAt,
      long egressDenials,
      String sandbox,
      List<String> pools) {}

  static RunView of(RunRow run, List<JobRow> jobs, java.util.Optional<HoldStore.HoldRow> hold) {
    return new RunView(
        run.id(), run.repo(), run.ref(), run.sha(), run.event(), run.workflowName(), run.workflowFile(),
        run.status().wire(), run.error(), run.createdAt(), run.finishedAt(),
        jobs.stream()
            .map(j -> new JobView(j.id(), j.key(), j.name(), j.state().wire(), j.exitCode(), j.reason(),
                j.agentId(), j.startedAt(), j.finishedAt(), j.egressDenials(), j.atLeast().wire(),
                j.pools().orElse(null)))
            .toList(),
        run.definitionsSha(), run.trustTier(), run.author(), hold.map(HoldStore.HoldRow::view).orElse(null));
  }
}
