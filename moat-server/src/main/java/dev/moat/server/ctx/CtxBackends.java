package dev.moat.server.ctx;

import dev.moat.common.secret.Secret;
import dev.moat.server.http.ApiException;
import java.util.List;
import java.util.Objects;

/**
 * What the ctx routes and the server-side log mask call, as the two other parts of issue 5 provide
 * them: {@code JobCredentials.authenticate} (identity, contract 1) and {@code SecretStore.forJob} /
 * {@code valuesForJob} (store, contract 2). Held as functions so that this part stands on its own
 * until they are merged; wire them with method references ({@code credentials::authenticate}).
 *
 * @param jobs the job credential check: the job's id, or a 401 {@link ApiException}
 * @param secrets the job's secrets: a value, or a 403 {@link ApiException} naming why (audited by it)
 * @param values every value the job may be handed, for the server-side mask
 * @param tokens mints a job's credential when an agent claims it (sent as {@code jobToken}), or
 *     returns null when the server issues none
 */
public record CtxBackends(JobAuthenticator jobs, JobSecret secrets, JobSecretValues values, JobTokens tokens) {
  @FunctionalInterface
  public interface JobTokens {
    String mint(long jobId);
  }

  @FunctionalInterface
  public interface JobAuthenticator {
    long authenticate(String token);
  }

  @FunctionalInterface
  public interface JobSecret {
    Secret forJob(long jobId, String name);
  }

  @FunctionalInterface
  public interface JobSecretValues {
    List<Secret> valuesForJob(long jobId);
  }

  public CtxBackends {
    Objects.requireNonNull(jobs, "jobs");
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(tokens, "tokens");
  }

  /** A server without job credentials or a secret store: every ctx call is refused, nothing is masked. */
  public static CtxBackends none() {
    return new CtxBackends(
        token -> {
          throw ApiException.unauthorized("this server issues no job credentials");
        },
        (job, name) -> {
          throw ApiException.forbidden("this server has no secret store");
        },
        job -> List.of(),
        job -> null);
  }
}
