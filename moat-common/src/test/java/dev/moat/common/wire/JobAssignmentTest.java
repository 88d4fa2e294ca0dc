package dev.moat.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The job credential on the wire: old JSON without it stays valid, and it never prints. */
class JobAssignmentTest {
  private static final String OLD_JSON = """
      {"jobId":7,"runId":3,"repo":"app","ref":"refs/heads/main","sha":"abc","workflow":"ci","job":"a",
       "env":{},"timeoutSeconds":60,"steps":[{"name":"s","run":"true"}],"image":null}""";

  @Test
  void anAssignmentFromAServerBeforeJobCredentialsHasNoToken() {
    var a = Json.read(OLD_JSON, JobAssignment.class);
    assertThat(a.jobId()).isEqualTo(7);
    assertThat(a.jobToken()).isNull();
  }

  @Test
  void theJobTokenTravelsInJsonButNeverPrints() {
    var a = new JobAssignment(7, 3, "app", "refs/heads/main", "abc", "ci", "a", Map.of(), 60,
        List.of(new JobAssignment.Step("s", "true")), null, "moat_job_s3cr3tvalue");
    assertThat(Json.read(Json.write(a), JobAssignment.class).jobToken()).isEqualTo("moat_job_s3cr3tvalue");
    assertThat(a.toString()).doesNotContain("s3cr3t").contains("jobToken=***");
  }
}
