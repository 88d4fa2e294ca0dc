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

    Rejected(int status, String body) {
      super("server refused (" + status + "): " + body);
      this.status = status;
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
