package dev.moat.server.http;

/**
 * The errors an API call can end with. Thrown anywhere below the HTTP edge and mapped once, by
 * {@link Problems}, to an RFC 9457 problem+json response. Messages are for people and never carry
 * secrets.
 */
public abstract sealed class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ApiException(String message) {
    super(message);
  }

  /** HTTP status of this kind of error. */
  public abstract int status();

  /** Short, stable title of this kind of error. */
  public abstract String title();

  public static ApiException invalid(String message) {
    return new Invalid(message);
  }

  public static ApiException notFound(String message) {
    return new NotFound(message);
  }

  public static ApiException conflict(String message) {
    return new Conflict(message);
  }

  public static ApiException unauthorized(String message) {
    return new Unauthorized(message);
  }

  public static ApiException forbidden(String message) {
    return new Forbidden(message);
  }

  public static ApiException tooLarge(String message) {
    return new TooLarge(message);
  }

  /** 503: the server can't do this now for a reason the operator fixes (e.g. no master key). */
  public static ApiException unavailable(String message) {
    return new Unavailable(message);
  }

  public static final class Invalid extends ApiException {
    private static final long serialVersionUID = 1L;

    Invalid(String m) {
      super(m);
    }

    public int status() {
      return 400;
    }

    public String title() {
      return "Invalid request";
    }
  }

  public static final class Unauthorized extends ApiException {
    private static final long serialVersionUID = 1L;

    Unauthorized(String m) {
      super(m);
    }

    public int status() {
      return 401;
    }

    public String title() {
      return "Unauthorized";
    }
  }

  public static final class Forbidden extends ApiException {
    private static final long serialVersionUID = 1L;

    Forbidden(String m) {
      super(m);
    }

    public int status() {
      return 403;
    }

    public String title() {
      return "Forbidden";
    }
  }

  public static final class NotFound extends ApiException {
    private static final long serialVersionUID = 1L;

    NotFound(String m) {
      super(m);
    }

    public int status() {
      return 404;
    }

    public String title() {
      return "Not found";
    }
  }

  public static final class Conflict extends ApiException {
    private static final long serialVersionUID = 1L;

    Conflict(String m) {
      super(m);
    }

    public int status() {
      return 409;
    }

    public String title() {
      return "Conflict";
    }
  }

  public static final class TooLarge extends ApiException {
    private static final long serialVersionUID = 1L;

    TooLarge(String m) {
      super(m);
    }

    public int status() {
      return 413;
    }

    public String title() {
      return "Content too large";
    }
  }

  public static final class Unavailable extends ApiException {
    private static final long serialVersionUID = 1L;

    Unavailable(String m) {
      super(m);
    }

    public int status() {
      return 503;
    }

    public String title() {
      return "Service unavailable";
    }
  }
}
