package dev.moat.agent;

import dev.moat.common.Json;
import dev.moat.common.wire.JobResult;
import dev.moat.common.wire.LogAck;
import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.PollRequest;
import dev.moat.common.wire.PollResponse;
import dev.moat.common.wire.RegisterRequest;
import dev.moat.common.wire.RegisterResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The agent's side of the wire protocol, over {@code java.net.http}. Every call has a timeout. A
 * call the server answered with a 4xx throws {@link Rejected} (do not retry); a connection failure,
 * timeout or 5xx throws {@link Unavailable} (retry later). Thread-safe.
 */
final class ServerClient {
  /** The server refused the call; retrying the same call won't help. */
  static final class Rejected extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;
    /** The problem's {@code detail}, or the body when it isn't a problem document. */
    final String detail;

    Rejected(int status, String body) {
      super("server refused (" + status + "): " + body);
      this.status = status;
      this.detail = detailOf(body);
    }

    private static String detailOf(String body) {
      try {
        var node = Json.MAPPER.readTree(body);
        if (node != null && node.hasNonNull("detail")) return node.get("detail").asString();
      } catch (RuntimeException e) {
        // not a problem document
      }
      return body.strip();
    }
  }

  /** The server could not be reached or failed; the call may be retried. */
  static final class Unavailable extends IOException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  private final HttpClient http;
  private final URI base;
  private volatile String credential;

  ServerClient(URI base, String credential) {
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.base = base;
    this.credential = credential;
  }

  RegisterResponse register(RegisterRequest req) throws IOException {
    var res = send(post("/api/v1/agents/register", req, CALL_TIMEOUT, false), HttpResponse.BodyHandlers.ofString());
    RegisterResponse out = Json.read(res.body(), RegisterResponse.class);
    credential = out.credential();
    return out;
  }

  PollResponse poll(PollRequest req, Duration wait) throws IOException {
    var res = send(post("/api/v1/agent/poll", req, wait.plus(Duration.ofSeconds(15)), true), HttpResponse.BodyHandlers.ofString());
    return Json.read(res.body(), PollResponse.class);
  }

  void start(long jobId) throws IOException {
    send(post("/api/v1/agent/jobs/" + jobId + "/start", null, CALL_TIMEOUT, true), HttpResponse.BodyHandlers.discarding());
  }

  LogAck logs(long jobId, LogBatch batch) throws IOException {
    var res = send(post("/api/v1/agent/jobs/" + jobId + "/logs", batch, CALL_TIMEOUT, true), HttpResponse.BodyHandlers.ofString());
    return Json.read(res.body(), LogAck.class);
  }

  void finish(long jobId, JobResult result) throws IOException {
    send(post("/api/v1/agent/jobs/" + jobId + "/finish", result, CALL_TIMEOUT, true), HttpResponse.BodyHandlers.discarding());
  }

  /** Opens the job's source tar; the caller closes the stream. */
  InputStream source(long jobId) throws IOException {
    var req = HttpRequest.newBuilder(base.resolve("/api/v1/agent/jobs/" + jobId + "/source"))
        .timeout(Duration.ofMinutes(5)).header("Authorization", "Bearer " + credential).GET().build();
    return send(req, HttpResponse.BodyHandlers.ofInputStream()).body();
  }

  /**
   * One secret for the job that {@code jobToken} belongs to (contract 3). The job token, never the
   * agent's credential, authenticates ctx calls, so the server decides by the job alone.
   */
  dev.moat.common.secret.Secret ctxSecret(String jobToken, String name, String step) throws IOException {
    String path = "/api/v1/ctx/secrets/" + encode(name) + (step == null ? "" : "?step=" + encode(step));
    var req = ctx(path, jobToken).GET().build();
    var res = send(req, HttpResponse.BodyHandlers.ofString());
    return dev.moat.common.secret.Secret.of(Json.read(res.body(), dev.moat.common.wire.CtxSecretValue.class).value());
  }

  void ctxOutput(String jobToken, dev.moat.common.wire.CtxOutput output) throws IOException {
    var req = ctx("/api/v1/ctx/outputs", jobToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(output))).build();
    send(req, HttpResponse.BodyHandlers.discarding());
  }

  /** The ID token (a JWT) for {@code audience} from {@code IdentityRoutes}, whose JSON names it {@code token}. */
  String ctxIdToken(String jobToken, String audience) throws IOException {
    var req = ctx("/api/v1/ctx/id-token?audience=" + encode(audience), jobToken).GET().build();
    var node = Json.MAPPER.readTree(send(req, HttpResponse.BodyHandlers.ofString()).body());
    if (!node.hasNonNull("token")) throw new IOException("the server's id-token answer has no token field");
    return node.get("token").asString();
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  private HttpRequest.Builder ctx(String path, String jobToken) {
    if (jobToken == null) throw new IllegalStateException("the server sent this job without a job credential");
    return HttpRequest.newBuilder(base.resolve(path)).timeout(CALL_TIMEOUT).header("Authorization", "Bearer " + jobToken);
  }

  private HttpRequest post(String path, Object body, Duration timeout, boolean authenticated) {
    var builder = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(Json.write(body)));
    if (authenticated) builder.header("Authorization", "Bearer " + credential);
    return builder.build();
  }

  private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
    HttpResponse<T> res;
    try {
      res = http.send(req, handler);
    } catch (IOException e) {
      throw new Unavailable(req.uri().getPath() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted", e);
    }
    int status = res.statusCode();
    if (status >= 200 && status < 300) return res;
    String detail = res.body() instanceof String s ? s : "";
    if (res.body() instanceof InputStream in) {
      try (in) {
        detail = new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    if (status >= 500) throw new Unavailable(req.uri().getPath() + ": server error " + status, null);
    throw new Rejected(status, detail);
  }
}
