package dev.moat.agent;

import java.util.function.BooleanSupplier;

/** Retries calls to the server while it is unavailable, with capped exponential back-off. */
final class Retry {
  interface Call {
    void run() throws java.io.IOException;
  }

  private Retry() {}

  /**
   * Runs {@code call} until the server answers. A refusal ({@link ServerClient.Rejected}) is thrown
   * at once. While the server is unavailable it retries, every 50 ms doubling to 2 s, unless
   * {@code giveUp} turns true (after at least one retry window).
   */
  static void untilAnswered(Call call, BooleanSupplier giveUp) throws ServerClient.Rejected, InterruptedException {
    long backoff = 50;
    long started = System.nanoTime();
    while (true) {
      try {
        call.run();
        return;
      } catch (ServerClient.Rejected e) {
        throw e;
      } catch (java.io.IOException e) {
        if (giveUp.getAsBoolean() && System.nanoTime() - started > 30_000_000_000L) return;
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }
}
