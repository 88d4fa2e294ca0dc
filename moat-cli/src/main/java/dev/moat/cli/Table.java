package dev.moat.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table for people: columns padded to their widest cell. Public so that the commands
 * the application jar adds (e.g. {@code moat image}) print the same way. Not thread-safe.
 */
public final class Table {
  private final List<String[]> rows = new ArrayList<>();

  public Table(String... header) {
    rows.add(header);
  }

  public Table row(Object... cells) {
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) r[i] = cells[i] == null ? "-" : String.valueOf(cells[i]);
    rows.add(r);
    return this;
  }

  public void print(PrintStream out) {
    int columns = rows.getFirst().length;
    int[] width = new int[columns];
    for (String[] r : rows) for (int i = 0; i < columns; i++) width[i] = Math.max(width[i], r[i].length());
    for (String[] r : rows) {
      var line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
