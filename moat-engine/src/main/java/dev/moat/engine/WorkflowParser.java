package dev.moat.engine;

/**
 * Reads one workflow file as data. Never executes anything; bounded in size, alias count and nesting.
 * Thread-safe (stateless).
 */
public final class WorkflowParser {
  /** Files larger than this are refused before any parsing. */
  public static final int MAX_BYTES = 256 * 1024;

  private WorkflowParser() {}

  /**
   * Parses and validates.
   *
   * @param file the path inside the repository, used in error positions
   * @param text the file's content
   * @throws WorkflowException with every problem found, each with file:line:col
   */
  public static Workflow parse(String file, String text) {
    java.util.Objects.requireNonNull(file, "file");
    java.util.Objects.requireNonNull(text, "text");
    long bytes = utf8Length(text);
    if (bytes > MAX_BYTES) {
      throw ProblemList.single(file, 1, 1,
          "the file is " + bytes + " bytes; the limit is " + MAX_BYTES + " bytes");
    }
    return WorkflowSchema.read(file, YamlComposer.compose(file, text));
  }

  /** The UTF-8 length of {@code text}, counted without encoding it (a huge file costs no copy). */
  public static long utf8Length(CharSequence text) {
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
