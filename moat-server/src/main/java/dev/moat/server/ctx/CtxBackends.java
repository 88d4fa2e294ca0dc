package dev.moat.server.ctx;

import dev.moat.common.secret.Secret;
import dev.moat.server.http.ApiException;
import java.util.List;
import java.util.Objects;

/**
 * The secret store's side of the ctx routes and of the server-side log mask, as the store part of
 * issue 5 provides it: {@code SecretStore.forJob} and {@code valuesForJob} (contract 2). Held as
 * functions so that this part stands on its own until the store is merged; wire it with method
 * references ({@code new CtxBackends(store::forJob, store::valuesForJob)}).
 *
 * @param secrets the job's secrets: a value, or a 403 {@link ApiException} naming why (the store
 *     audits the read or the denial, with the step when the agent named it, else null)
 * @param values every value the job may be handed, for the server-side mask
 */
public record CtxBackends(JobSecret secrets, JobSecretValues values) {
  @FunctionalInterface
  public interface JobSecret {
    Secret forJob(long jobId, String name, String step);
  }

  @FunctionalInterface
  public interface JobSecretValues {
    List<Secret> valuesForJob(long jobId);
  }

  public CtxBackends {
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(values, "values");
  }

  /** A server without a secret store: every secret request is refused, nothing is masked. */
  public static CtxBackends none() {
    return new CtxBackends(
        (job, name, step) -> {
          throw ApiException.forbidden("secret " + name + " is not available: this server has no secret store");
        },
        job -> List.of());
  }
}
