package dev.moat.common.wire;

import java.util.List;

/**
 * The agent's long poll, which doubles as its heartbeat.
 *
 * @param capacity how many jobs the agent runs at once; the server subtracts the jobs it already holds
 *     for the agent, so a poll held while the agent is busy hands out work as soon as a job ends
 * @param running ids of the jobs the agent is running; their leases are renewed
 * @param image the name of the image the agent's pool runs jobs in, or null when its sandboxes run
 *     over the host's {@code /usr} (bwrap): a job that names an image is only handed to an agent
 *     whose pool runs that image
 */
public record PollRequest(int capacity, List<Long> running, String image) {
  public PollRequest {
    if (capacity < 0 || capacity > 64) throw new IllegalArgumentException("capacity must be 0..64");
    running = List.copyOf(running);
    if (image != null) ImageNames.check(image);
  }

  /** A poll of an agent whose pool runs no image. */
  public PollRequest(int capacity, List<Long> running) {
    this(capacity, running, null);
  }
}
