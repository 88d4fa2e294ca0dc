package dev.moat.server.run;

import java.util.List;

/** A run as the API shows it (also the CLI's {@code --json} shape). */
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
    List<JobView> jobs) {

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

  static RunView of(RunRow run, List<JobRow> jobs) {
    return new RunView(
        run.id(), run.repo(), run.ref(), run.sha(), run.event(), run.workflowName(), run.workflowFile(),
        run.status().wire(), run.error(), run.createdAt(), run.finishedAt(),
        jobs.stream()
            .map(j -> new JobView(j.id(), j.key(), j.name(), j.state().wire(), j.exitCode(), j.reason(),
                j.agentId(), j.startedAt(), j.finishedAt(), j.egressDenials(), j.atLeast().wire(),
                j.pools().orElse(null)))
            .toList());
  }
}
