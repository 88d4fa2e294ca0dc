package dev.moat.server.run;

import dev.moat.engine.RunStatus;

/** One run as stored: one workflow file at one commit. */
public record RunRow(
    long id,
    String repo,
    String ref,
    String sha,
    String event,
    String workflowFile,
    String workflowName,
    RunStatus status,
    String error,
    long createdAt,
    Long finishedAt) {}
