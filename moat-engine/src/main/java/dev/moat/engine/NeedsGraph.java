package dev.moat.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Graph algorithms over a needs map (job id to the ids it needs), shared by the parser, which
 * reports cycles with positions, and {@link RunGraph}, which schedules. Both are iterative so that a
 * long chain of jobs can't overflow the stack. Stateless.
 */
final class NeedsGraph {
  private NeedsGraph() {}

  /**
   * Cycles found by a depth-first search in map order, each as a path that starts and ends with the
   * same job, e.g. {@code [a, b, a]} when a needs b and b needs a. Each back edge gives one cycle.
   * Needs that name no key of the map are ignored.
   */
  static List<List<String>> cycles(Map<String, List<String>> needs) {
    List<List<String>> cycles = new ArrayList<>();
    Map<String, Boolean> onPath = new HashMap<>(); // present: visited; true: on the current path
    for (String start : needs.keySet()) {
      if (onPath.containsKey(start)) continue;
      Deque<Map.Entry<String, Iterator<String>>> stack = new ArrayDeque<>();
      stack.push(Map.entry(start, needs.get(start).iterator()));
      onPath.put(start, true);
      while (!stack.isEmpty()) {
        Iterator<String> next = stack.peek().getValue();
        if (!next.hasNext()) {
          onPath.put(stack.pop().getKey(), false);
          continue;
        }
        String need = next.next();
        if (!needs.containsKey(need)) continue;
        Boolean state = onPath.get(need);
        if (state == null) {
          onPath.put(need, true);
          stack.push(Map.entry(need, needs.get(need).iterator()));
        } else if (state) {
          cycles.add(path(stack, need));
        }
      }
    }
    return cycles;
  }

  /** The jobs on the stack from {@code need} to the top, then {@code need} again. */
  private static List<String> path(Deque<Map.Entry<String, Iterator<String>>> stack, String need) {
    List<String> path = new ArrayList<>();
    Iterator<Map.Entry<String, Iterator<String>>> bottomUp = stack.descendingIterator();
    boolean inCycle = false;
    while (bottomUp.hasNext()) {
      String job = bottomUp.next().getKey();
      inCycle |= job.equals(need);
      if (inCycle) path.add(job);
    }
    path.add(need);
    return path;
  }

  /**
   * The jobs ordered so that every job comes after all of its needs; among jobs that are ready at
   * the same time, map order wins. Requires a closed, acyclic map.
   */
  static List<String> topologicalOrder(Map<String, List<String>> needs) {
    Map<String, Integer> waiting = new LinkedHashMap<>();
    Map<String, List<String>> dependents = new HashMap<>();
    for (var entry : needs.entrySet()) {
      waiting.put(entry.getKey(), entry.getValue().size());
      for (String need : entry.getValue()) {
        dependents.computeIfAbsent(need, k -> new ArrayList<>()).add(entry.getKey());
      }
    }
    Deque<String> ready = new ArrayDeque<>();
    waiting.forEach((job, count) -> {
      if (count == 0) ready.add(job);
    });
    List<String> order = new ArrayList<>();
    while (!ready.isEmpty()) {
      String job = ready.poll();
      order.add(job);
      for (String dependent : dependents.getOrDefault(job, List.of())) {
        if (waiting.merge(dependent, -1, Integer::sum) == 0) ready.add(dependent);
      }
    }
    return order;
  }
}
