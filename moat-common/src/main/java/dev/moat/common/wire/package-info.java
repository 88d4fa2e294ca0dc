/**
 * The agent protocol: the only contract between {@code moat agent} and {@code moat server}.
 *
 * <p>The agent dials out over HTTP(S) and long-polls; every message is a JSON request whose response
 * is its acknowledgement, so a lost message is simply sent again. Records validate in their compact
 * constructors, so a message that exists is well formed.
 *
 * <pre>
 * POST /api/v1/agents/register      RegisterRequest  -> RegisterResponse    (one-time registration token)
 * POST /api/v1/agent/poll           PollRequest      -> PollResponse        (holds until work or timeout; also the heartbeat)
 * POST /api/v1/agent/jobs/{id}/start                 -> 204                 (acknowledges the assignment)
 * GET  /api/v1/agent/jobs/{id}/source                -> application/x-tar   (the tree at the job's commit)
 * POST /api/v1/agent/jobs/{id}/logs LogBatch         -> LogAck              (idempotent by sequence number)
 * POST /api/v1/agent/jobs/{id}/finish JobResult      -> 204
 * </pre>
 */
package dev.moat.common.wire;
