package dev.moat.server.http;

import dev.moat.common.Json;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps every error, once, to an RFC 9457 {@code application/problem+json} response. */
public final class Problems {
  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  private static final String PROBLEM = "application/problem+json";

  private Problems() {}

  public static void install(RoutesConfig routes) {
    routes.exception(ApiException.class, (e, ctx) -> write(ctx, e.status(), e.title(), e.getMessage()));
    routes.exception(
        Exception.class,
        (e, ctx) -> {
          LOG.atError().setCause(e).addKeyValue("path", ctx.path()).log("request failed");
          write(ctx, 500, "Internal error", "the server failed; see its log");
        });
    // Runs for every 404: keep the problems our handlers wrote, replace Javalin's plain-text one.
    routes.error(404, "*", ctx -> {
      if (!PROBLEM.equals(ctx.res().getContentType())) write(ctx, 404, "Not found", "no such endpoint: " + ctx.path());
    });
  }

  public static void write(Context ctx, int status, String title, String detail) {
    var body = new LinkedHashMap<String, Object>();
    body.put("type", "about:blank");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    ctx.status(status).contentType(PROBLEM).result(Json.write(body));
  }
}
