package dev.moat.server.http;

import dev.moat.common.Json;
import io.javalin.http.Context;
import tools.jackson.core.JacksonException;

/** Small helpers for route handlers: bounded JSON bodies in, JSON out, path ids. */
public final class Http {
  /** Default cap on a JSON request body. */
  public static final int MAX_JSON_BYTES = 1 << 20;

  private Http() {}

  /** Reads and validates a JSON body of at most {@code maxBytes}, or fails with 413/400. */
  public static <T> T body(Context ctx, Class<T> type, int maxBytes) {
    return parse(bytes(ctx, maxBytes), type);
  }

  public static <T> T body(Context ctx, Class<T> type) {
    return body(ctx, type, MAX_JSON_BYTES);
  }

  public static byte[] bytes(Context ctx, int maxBytes) {
    long declared = ctx.contentLength();
    if (declared > maxBytes) throw ApiException.tooLarge("body is larger than " + maxBytes + " bytes");
    try (var in = ctx.bodyInputStream()) {
      byte[] data = in.readNBytes(maxBytes + 1);
      if (data.length > maxBytes) throw ApiException.tooLarge("body is larger than " + maxBytes + " bytes");
      return data;
    } catch (java.io.IOException e) {
      throw ApiException.invalid("could not read the request body: " + e.getMessage());
    }
  }

  public static <T> T parse(byte[] data, Class<T> type) {
    if (data.length == 0) throw ApiException.invalid("a JSON body is required");
    try {
      return Json.read(data, type);
    } catch (JacksonException e) {
      throw ApiException.invalid("malformed JSON: " + e.getOriginalMessage());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw ApiException.invalid(String.valueOf(e.getMessage()));
    }
  }

  public static void json(Context ctx, int status, Object body) {
    ctx.status(status).contentType("application/json").result(Json.write(body));
  }

  public static long idParam(Context ctx, String name) {
    try {
      return Long.parseLong(ctx.pathParam(name));
    } catch (NumberFormatException e) {
      throw ApiException.invalid(name + " must be a number");
    }
  }

  /** A whole-number query parameter within [min, max], its default when absent, or 400. */
  public static long queryLong(Context ctx, String name, long fallback, long min, long max) {
    String raw = ctx.queryParam(name);
    if (raw == null) return fallback;
    try {
      long value = Long.parseLong(raw);
      if (value >= min && value <= max) return value;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ApiException.invalid(name + " must be a whole number from " + min + " to " + max);
  }

  /** The bearer token of the request, or 401. */
  public static String bearer(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.startsWith("Bearer ") || header.length() < 8) {
      throw ApiException.unauthorized("a bearer token is required");
    }
    return header.substring(7).trim();
  }
}
