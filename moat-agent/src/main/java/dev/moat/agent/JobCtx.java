package dev.moat.agent;

import dev.moat.common.secret.Secret;
import dev.moat.common.wire.CtxOutput;
import dev.moat.sandbox.ctx.CtxServer;
import dev.moat.sandbox.ctx.CtxServer.Answer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one job's {@code moat-ctx} calls mean, answered by calling the server with the job's own
 * credential ({@code jobToken}), which never enters the sandbox: {@code secret get NAME},
 * {@code output set KEY VALUE} and {@code id-token --audience A}. Every secret value is added to the
 * job's {@link MaskedLog} before the job receives it; nothing is written to disk.
 *
 * <p>Exit codes of {@code moat-ctx}: 2 usage, 3 refused by the server (its reason is printed),
 * 4 the server could not be reached. Thread-safe.
 */
final class JobCtx implements CtxServer.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(JobCtx.class);
  static final String USAGE = "usage: moat-ctx secret get NAME | output set KEY VALUE | id-token --audience A";

  private final ServerClient server;
  private final String jobToken;
  private final MaskedLog log;
  private final Map<String, String> logFields;
  /** The step running now, e.g. {@code step 2 (deploy)}, named to the store for its audit. */
  private volatile String step;

  /** @param logFields the job's log fields ({@link dev.moat.common.log.LogFields}), set on the socket's threads */
  JobCtx(ServerClient server, String jobToken, MaskedLog log, Map<String, String> logFields) {
    this.server = server;
    this.jobToken = jobToken;
    this.log = log;
    this.logFields = logFields;
  }

  /** The step that runs from now on, named in the audit of the secrets it gets. */
  void step(String step) {
    this.step = step;
  }

  /** Fetches one secret just in time and masks it from now on; throws what the server said. */
  Secret secret(String name) throws IOException {
    Secret value = server.ctxSecret(jobToken, name, step);
    log.mask(value.revealText());
    LOG.atInfo().addKeyValue(dev.moat.common.log.LogFields.SECRETS, List.of(name)).log("secret handed to job");
    return value;
  }

  @Override
  public Answer handle(List<String> args) {
    var outer = org.slf4j.MDC.getCopyOfContextMap();
    org.slf4j.MDC.setContextMap(logFields);
    try {
      return answer(args);
    } finally {
      if (outer == null) org.slf4j.MDC.clear();
      else org.slf4j.MDC.setContextMap(outer);
    }
  }

  private Answer answer(List<String> args) {
    try {
      if (args.size() == 3 && args.get(0).equals("secret") && args.get(1).equals("get")) {
        return Answer.ok(secret(args.get(2)).reveal());
      }
      if (args.size() == 4 && args.get(0).equals("output") && args.get(1).equals("set")) {
        CtxOutput output;
        try {
          output = new CtxOutput(args.get(2), args.get(3));
        } catch (IllegalArgumentException e) {
          return Answer.error(2, e.getMessage());
        }
        server.ctxOutput(jobToken, output);
        return Answer.ok(new byte[0]);
      }
      if (args.size() == 3 && args.get(0).equals("id-token") && args.get(1).equals("--audience")) {
        return Answer.ok(server.ctxIdToken(jobToken, args.get(2)) + "\n");
      }
      return Answer.error(2, USAGE);
    } catch (ServerClient.Rejected e) {
      return Answer.error(3, e.detail);
    } catch (IOException | IllegalStateException e) {
      return Answer.error(4, "the Moat server could not answer: " + e.getMessage());
    }
  }
}
