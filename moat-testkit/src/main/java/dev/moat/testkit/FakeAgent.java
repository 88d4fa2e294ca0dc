package dev.moat.testkit;

import dev.moat.common.Json;
import dev.moat.common.wire.JobResult;
import dev.moat.common.wire.LogAck;
import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.PollRequest;
import dev.moat.common.wire.PollResponse;
import dev.moat.common.wire.RegisterRequest;
import dev.moat.common.wire.RegisterResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * An agent that speaks the real wire protocol but runs nothing: tests drive each message by hand
 * (claim without acknowledging, send chunks out of order, finish late). Not thread-safe.
 */
public final class FakeAgent {
  /** A raw answer: status and body. */
  public record Answer(int status, String body) {
    public <T> T as(Class<T> type) {
      if (status >= 300) throw new AssertionError("expected success, got " + status + ": " + body);
      return Json.read(body, type);
    }
  }

  private final HttpClient http = HttpClient.newHttpClient();
  private final String url;
  private String credential;

  private FakeAgent(String url) {
    this.url = url;
  }

  public static Answer register(String url, String token, List<String> labels) throws IOException {
    return new FakeAgent(url).post("/api/v1/agents/register", new RegisterRequest(token, "fake", labels), false);
  }

  public static FakeAgent registered(TestServer server, List<String> labels) throws IOException {
    return registered(server, "default", labels);
  }

  /** An agent registered to {@code pool} with a fresh registration token. */
  public static FakeAgent registered(TestServer server, String pool, List<String> labels) throws IOException {
    var agent = new FakeAgent(server.url());
    agent.credential = register(server.url(), server.registrationToken(pool), labels).as(RegisterResponse.class).credential();
    return agent;
  }

  /** The agent credential it polls with, for tests that present it where it must not work. */
  public String credential() {
    return credential;
  }

  public PollResponse poll(int capacity, List<Long> running) throws IOException {
    return poll(new PollRequest(capacity, running));
  }

  public PollResponse poll(PollRequest request) throws IOException {
    return post("/api/v1/agent/poll", request, true).as(PollResponse.class);
  }

  public Answer start(long jobId) throws IOException {
    return post("/api/v1/agent/jobs/" + jobId + "/start", null, true);
  }

  public Answer logs(long jobId, LogBatch batch) throws IOException {
    return post("/api/v1/agent/jobs/" + jobId + "/logs", batch, true);
  }

  public long logsAck(long jobId, LogBatch batch) throws IOException {
    return logs(jobId, batch).as(LogAck.class).next();
  }

  public Answer finish(long jobId, JobResult result) throws IOException {
    return post("/api/v1/agent/jobs/" + jobId + "/finish", result, true);
  }

  private Answer post(String path, Object body, boolean auth) throws IOException {
    var req = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(Json.write(body)));
    if (auth) req.header("Authorization", "Bearer " + credential);
    try {
      var res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(res.statusCode(), res.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
