package dev.moat.common.wire;

import java.util.List;
import java.util.regex.Pattern;

/** Label syntax shared by agents, pools and {@code runs-on}. */
public final class Labels {
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private Labels() {}

  public static void check(List<String> labels) {
    if (labels.size() > 32) throw new IllegalArgumentException("at most 32 labels");
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) throw new IllegalArgumentException("bad label: " + label);
    }
  }
}
