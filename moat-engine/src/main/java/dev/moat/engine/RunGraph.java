package dev.moat.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The needs-DAG of one run, as a pure function from job states to the next decisions.
 * Immutable and thread-safe.
 */
public final class RunGraph {
  /** What to do next: jobs to move PENDING -> QUEUED, and PENDING -> SKIPPED. */
  public record Decisions(List<String> toQueue, List<String> toSkip) {
    public Decisions {
      toQueue = List.copyOf(toQueue);
      toSkip = List.copyOf(toSkip);
    }
  }

  private final Map<String, List<String>> needs;
  /** Every job after all of its needs, so one pass sees a skip before the jobs that need it. */
  private final List<String> order;

  /** @param needs job id to the ids it needs; must be acyclic and closed (checked, IllegalArgumentException) */
  public RunGraph(Map<String, List<String>> needs) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    needs.forEach((job, jobNeeds) -> copy.put(job, List.copyOf(jobNeeds)));
    copy.forEach((job, jobNeeds) -> {
      for (String need : jobNeeds) {
        if (!copy.containsKey(need)) {
          throw new IllegalArgumentException("job '" + job + "' needs unknown job '" + need + "'");
        }
      }
    });
    List<List<String>> cycles = NeedsGraph.cycles(copy);
    if (!cycles.isEmpty()) {
      throw new IllegalArgumentException("needs form a cycle: " + String.join(" -> ", cycles.get(0)));
    }
    this.needs = Collections.unmodifiableMap(copy);
    this.order = List.copyOf(NeedsGraph.topologicalOrder(copy));
  }

  public static RunGraph of(Workflow workflow) {
    Map<String, List<String>> needs = new LinkedHashMap<>();
    workflow.jobs().forEach(job -> needs.put(job.id(), job.needs()));
    return new RunGraph(needs);
  }

  /**
   * Given every job's current state, returns the PENDING jobs whose needs all SUCCEEDED (to queue)
   * and the PENDING jobs with a need that ended any other way (to skip). Skips propagate in one call:
   * a job whose need will be skipped in this same decision is skipped too.
   *
   * @throws IllegalArgumentException when a job of the graph has no state
   */
  public Decisions next(Map<String, JobState> states) {
    Map<String, JobState> after = new HashMap<>(states);
    List<String> toQueue = new ArrayList<>();
    List<String> toSkip = new ArrayList<>();
    for (String job : order) {
      if (state(after, job) != JobState.PENDING) continue;
      boolean allSucceeded = true;
      boolean anyEndedOtherwise = false;
      for (String need : needs.get(job)) {
        JobState state = state(after, need);
        allSucceeded &= state == JobState.SUCCEEDED;
        anyEndedOtherwise |= state.terminal() && state != JobState.SUCCEEDED;
      }
      if (anyEndedOtherwise) {
        toSkip.add(job);
        after.put(job, JobState.SKIPPED); // so that jobs needing this one are skipped in this pass
      } else if (allSucceeded) {
        toQueue.add(job);
      }
    }
    return new Decisions(toQueue, toSkip);
  }

  private static JobState state(Map<String, JobState> states, String job) {
    JobState state = states.get(job);
    if (state == null) throw new IllegalArgumentException("no state for job '" + job + "'");
    return state;
  }
}
