package dev.moat.cli;

/**
 * A command that cannot complete, with the exit code the CLI contract gives it: 1 the thing failed,
 * 2 usage or input error, 3 not authorised, 4 unavailable.
 */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int UNAUTHORISED = 3;
  public static final int UNAVAILABLE = 4;

  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
