package dev.moat.common.mask;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An Aho–Corasick automaton over bytes: finds every occurrence of any of its patterns in one pass,
 * in time linear in the input whatever the number of patterns. States are numbered; each keeps its
 * children sparse (sorted bytes), its failure link, and the length of the longest pattern that ends
 * there (directly or through failure links). The states of depth 0 and 1, where a log that holds
 * no secret spends nearly all its time, also get a dense 256-entry transition row, so that the
 * common step is one array load instead of a search and failure-link walk. Immutable after
 * construction; thread-safe.
 */
final class PatternSet {
  private static final byte[] NO_BYTES = new byte[0];
  private static final int[] NO_STATES = new int[0];

  private byte[][] labels = new byte[16][];
  private int[][] targets = new int[16][];
  private int[] fail = new int[16];
  private int[] depth = new int[16];
  private int[] longestMatch = new int[16];
  private int states;
  private final int maxLength;
  /** Per state, its dense transition row, or null (deeper states). */
  private int[][] dense;

  PatternSet(List<byte[]> patterns) {
    newState(0);
    int max = 0;
    for (byte[] p : patterns) {
      if (p.length == 0) throw new IllegalArgumentException("empty pattern");
      int s = 0;
      for (byte b : p) {
        int next = child(s, b);
        if (next < 0) {
          next = newState(depth[s] + 1);
          addChild(s, b, next);
        }
        s = next;
      }
      longestMatch[s] = Math.max(longestMatch[s], p.length);
      max = Math.max(max, p.length);
    }
    maxLength = max;
    link();
    dense = new int[states][];
    for (int st = 0; st < states; st++) {
      if (depth[st] > 1) continue;
      int[] row = new int[256];
      for (int b = 0; b < 256; b++) row[b] = slowStep(st, (byte) b);
      dense[st] = row;
    }
  }

  /** The longest pattern's length; 0 without patterns. */
  int maxLength() {
    return maxLength;
  }

  /** The start state. */
  static int start() {
    return 0;
  }

  /** The state after reading {@code b} in state {@code s}. */
  int step(int s, byte b) {
    int[] row = dense[s];
    if (row != null) return row[b & 0xff];
    return slowStep(s, b);
  }

  private int slowStep(int s, byte b) {
    while (true) {
      int next = child(s, b);
      if (next >= 0) return next;
      if (s == 0) return 0;
      s = fail[s];
    }
  }

  /** How many bytes of input the state has matched of some pattern's prefix. */
  int depth(int s) {
    return depth[s];
  }

  /** The length of the longest pattern that ends at this state, or 0. */
  int longestMatch(int s) {
    return longestMatch[s];
  }

  private int child(int s, byte b) {
    int i = Arrays.binarySearch(labels[s], b);
    return i >= 0 ? targets[s][i] : -1;
  }

  private void addChild(int s, byte b, int target) {
    byte[] l = labels[s];
    int[] t = targets[s];
    int at = -(Arrays.binarySearch(l, b) + 1);
    byte[] nl = new byte[l.length + 1];
    int[] nt = new int[t.length + 1];
    System.arraycopy(l, 0, nl, 0, at);
    System.arraycopy(t, 0, nt, 0, at);
    nl[at] = b;
    nt[at] = target;
    System.arraycopy(l, at, nl, at + 1, l.length - at);
    System.arraycopy(t, at, nt, at + 1, t.length - at);
    labels[s] = nl;
    targets[s] = nt;
  }

  private int newState(int d) {
    if (states == labels.length) {
      int n = states * 2;
      labels = Arrays.copyOf(labels, n);
      targets = Arrays.copyOf(targets, n);
      fail = Arrays.copyOf(fail, n);
      depth = Arrays.copyOf(depth, n);
      longestMatch = Arrays.copyOf(longestMatch, n);
    }
    labels[states] = NO_BYTES;
    targets[states] = NO_STATES;
    depth[states] = d;
    return states++;
  }

  /** Breadth-first failure links; a state's match includes the longest match of its failure state. */
  private void link() {
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int child : targets[0]) {
      fail[child] = 0;
      queue.add(child);
    }
    List<Integer> order = new ArrayList<>();
    while (!queue.isEmpty()) {
      int s = queue.poll();
      order.add(s);
      for (int i = 0; i < labels[s].length; i++) {
        int child = targets[s][i];
        byte b = labels[s][i];
        int f = fail[s];
        while (f != 0 && child(f, b) < 0) f = fail[f];
        int fc = child(f, b);
        fail[child] = fc >= 0 && fc != child ? fc : 0;
        queue.add(child);
      }
    }
    for (int s : order) longestMatch[s] = Math.max(longestMatch[s], longestMatch[fail[s]]);
  }
}
