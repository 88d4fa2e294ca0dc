package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A real agent runs a real job (bwrap): the job credential it holds for the job reaches neither the
 * sandbox's environment nor any file, the server's database included (DESIGN I9: the agent keeps it
 * in memory; the server stores only its hash).
 */
class JobCredentialExposureTest {
  @TempDir Path dir;

  @Test
  void aRealJobNeverSeesItsCredentialAndNothingOnDiskHoldsIt() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("on: push\njobs: {a: {runs-on: [linux], steps: [{run: 'env; echo ENV-DONE'}]}}\n");
      JsonNode job = Scenario.job(s.awaitRunEnded(run), "a");
      String log = s.server.log(job.path("id").asLong());
      assertThat(job.path("status").asString()).as(log).isEqualTo("succeeded");
      assertThat(log).contains("ENV-DONE").contains("PATH=").doesNotContain("moat_job_");
      try (var files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain("moat_job_");
        }
      }
    }
  }
}
