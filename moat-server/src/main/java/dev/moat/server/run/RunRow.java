package dev.moat.server.run;

import dev.moat.engine.RunStatus;

/**
 * One run as stored: one workflow file at one commit.
 *
 * @param sha the commit the run builds (the change's head)
 * @param definitionsSha the commit its workflow file was read from: the base for known and unknown
 *     pull requests, else {@code sha}; null for runs from before trust existed
 * @param trustTier the wire name of the tier the run carries; null for runs from before trust existed
 * @param author who made the change, when known
 */
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
    Long finishedAt,
    String definitionsSha,
    String trustTier,
    RunRequest.Author author) {}
