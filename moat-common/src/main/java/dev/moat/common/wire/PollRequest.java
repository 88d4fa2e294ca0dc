package dev.moat.common.wire;

import java.util.List;
import java.util.Set;

/**
 * The agent's long poll, which doubles as its heartbeat.
 *
 * @param capacity how many jobs the agent runs at once; the server subtracts the jobs it already holds
 *     for the agent, so a poll held while the agent is busy hands out work as soon as a job ends
 * @param running ids of the jobs the agent is running; their leases are renewed
 * @param image the name of the image the agent's pool runs jobs in, or null when its sandboxes run
 *     over the host's {@code /usr} (bwrap): a job that names an image is only handed to an agent
 *     whose pool runs that image
 * @param tier the sandbox tier the agent's jobs run in ({@code bwrap}, {@code oci}, {@code
 *     microvm}); the server hands it only jobs whose placement allows that tier. Agents from before
 *     this field send none; theirs is then {@code oci} if they run an image and {@code bwrap} if not,
 *     which is exactly what those agents could run
 */
public record PollRequest(int capacity, List<Long> running, String image, String tier) {
  /** The sandbox tier names an agent may report. */
  public static final Set<String> TIERS = Set.of("bwrap", "oci", "microvm");

  public PollRequest {
    if (capacity < 0 || capacity > 64) throw new IllegalArgumentException("capacity must be 0..64");
    running = List.copyOf(running);
    if (image != null) ImageNames.check(image);
    if (tier == null) tier = image == null ? "bwrap" : "oci";
    if (!TIERS.contains(tier)) throw new IllegalArgumentException("unknown sandbox tier '" + tier + "': use bwrap, oci or microvm");
  }

  /** A poll of an agent from before tiers were reported: its tier follows from its image. */
  public PollRequest(int capacity, List<Long> running, String image) {
    this(capacity, running, image, null);
  }

  /** A poll of a bwrap agent, whose pool runs no image. */
  public PollRequest(int capacity, List<Long> running) {
    this(capacity, running, null, null);
  }
}
