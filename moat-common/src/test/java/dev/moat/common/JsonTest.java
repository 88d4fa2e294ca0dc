package dev.moat.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.wire.JobResult;
import dev.moat.common.wire.LogChunk;
import dev.moat.common.wire.PollRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;

class JsonTest {
  @Test
  void wireRecordsRoundTrip() {
    var poll = new PollRequest(2, List.of(7L, 8L));

    assertThat(Json.read(Json.write(poll), PollRequest.class)).isEqualTo(poll);
    assertThat(Json.read("{\"state\":\"failed\",\"exitCode\":2,\"message\":\"step 1 exited with 2\"}".getBytes(), JobResult.class))
        .isEqualTo(new JobResult("failed", 2, "step 1 exited with 2"));
  }

  @Test
  void aJobResultCarriesItsEgressDenialsAndAnOlderAgentsResultWithoutThemHasNone() {
    var result = new JobResult("failed", 1, "step 1 exited with 1", 3);

    assertThat(Json.write(result)).contains("\"egressDenials\":3");
    assertThat(Json.read(Json.write(result), JobResult.class)).isEqualTo(result);
    assertThat(Json.read("{\"state\":\"succeeded\",\"exitCode\":0,\"message\":\"ok\"}", JobResult.class).egressDenials())
        .isZero();
    assertThatThrownBy(() -> Json.read("{\"state\":\"failed\",\"message\":\"x\",\"egressDenials\":-1}", JobResult.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("egressDenials must be >= 0");
  }

  @Test
  void aPollCarriesTheAgentsSandboxTierAndAnOlderAgentsPollHasTheTierItsImageImplies() {
    var poll = new PollRequest(1, List.of(), "debian-bookworm", "microvm");

    assertThat(Json.write(poll)).contains("\"tier\":\"microvm\"");
    assertThat(Json.read(Json.write(poll), PollRequest.class)).isEqualTo(poll);
    assertThat(Json.read("{\"capacity\":1,\"running\":[]}", PollRequest.class).tier()).isEqualTo("bwrap");
    assertThat(Json.read("{\"capacity\":1,\"running\":[],\"image\":\"debian-bookworm\"}", PollRequest.class).tier())
        .isEqualTo("oci");
    assertThatThrownBy(() -> Json.read("{\"capacity\":1,\"running\":[],\"tier\":\"vm\"}", PollRequest.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("unknown sandbox tier 'vm': use bwrap, oci or microvm");
  }

  @Test
  void unknownPropertiesAreRefused() {
    assertThatThrownBy(() -> Json.read("{\"capacity\":1,\"running\":[],\"admin\":true}", PollRequest.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("admin");
  }

  @Test
  void duplicateKeysAreRefused() {
    assertThatThrownBy(() -> Json.read("{\"capacity\":1,\"capacity\":64,\"running\":[]}", PollRequest.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("Duplicate Object property \"capacity\"");
  }

  @Test
  void pollRequestWithNegativeCapacityFailsToDeserialize() {
    assertThatThrownBy(() -> Json.read("{\"capacity\":-1,\"running\":[]}", PollRequest.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("capacity must be 0..64");
  }

  @Test
  void jobResultWithAnUnknownStateFailsToDeserialize() {
    assertThatThrownBy(() -> Json.read("{\"state\":\"won\",\"exitCode\":0,\"message\":\"\"}", JobResult.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("bad job result state: won");
  }

  @Test
  void oversizedLogChunkFailsToDeserialize() {
    String json = Json.write(new LogChunk(0, "x".repeat(LogChunk.MAX_CHARS))).replace("\"x", "\"xx");

    assertThatThrownBy(() -> Json.read(json, LogChunk.class))
        .isInstanceOf(JacksonException.class).hasMessageContaining("chunk too large");
  }
}
