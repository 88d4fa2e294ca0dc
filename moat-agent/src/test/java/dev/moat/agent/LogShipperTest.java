package dev.moat.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.common.wire.LogChunk;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogShipperTest {
  final FakeLogServer server = new FakeLogServer();
  final LogShipper shipper = new LogShipper(server, "test");

  @AfterEach
  void protocolWasKept() {
    closeWithin();
    assertThat(server.violations()).isEmpty();
  }

  @Test
  void everyByteArrivesExactlyOnceAndInOrder() {
    String log = lines(5000);

    write(log.getBytes(UTF_8), 7);
    closeWithin();

    assertThat(server.log()).isEqualTo(log);
    assertThat(server.chunks()).extracting(LogChunk::seq)
        .containsExactlyElementsOf(IntStream.range(0, server.chunks().size()).mapToObj(Long::valueOf).toList());
  }

  @Test
  void chunksAreCutAtLineEndsWhenPossible() {
    String lines = ("x".repeat(99) + "\n").repeat(400);

    write((lines + "partial").getBytes(UTF_8), Integer.MAX_VALUE);
    closeWithin();

    List<String> chunks = server.chunks().stream().map(LogChunk::data).toList();
    assertThat(chunks).hasSizeGreaterThan(2);
    assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c).endsWith("\n"));
    assertThat(chunks.getLast()).isEqualTo("partial");
  }

  @Test
  void multiByteCharactersWrittenOneByteAtATimeAreNeverSplit() {
    String text = multiByteText();

    write(text.getBytes(UTF_8), 1);
    closeWithin();

    assertNoSplitCharacters();
    assertThat(server.log()).isEqualTo(text);
  }

  @Test
  void multiByteCharactersWrittenAtOddBoundariesAreNeverSplit() {
    String text = multiByteText();
    byte[] bytes = text.getBytes(UTF_8);
    int[] sizes = {1, 2, 3, 5, 7, 11, 13, 4099};

    for (int at = 0, i = 0; at < bytes.length; at += sizes[i++ % sizes.length]) {
      shipper.write(bytes, at, Math.min(sizes[i % sizes.length], bytes.length - at));
    }
    closeWithin();

    assertNoSplitCharacters();
    assertThat(server.log()).isEqualTo(text);
  }

  @Test
  void aLargeWriteWithoutLineEndsIsCutOnCharacterBoundaries() {
    String text = "a" + "€".repeat(30_000) + "😀".repeat(10_000);

    write(text.getBytes(UTF_8), Integer.MAX_VALUE);
    closeWithin();

    assertThat(server.chunks()).hasSizeGreaterThan(2);
    assertNoSplitCharacters();
    assertThat(server.log()).isEqualTo(text);
  }

  @Test
  void aCharacterCutByTheFlushTimerWaitsForItsLastByte() {
    byte[] euro = "€".getBytes(UTF_8);

    shipper.write("abc".getBytes(UTF_8), 0, 3);
    shipper.write(euro, 0, 2);
    await().until(() -> server.log().equals("abc"));
    shipper.write(euro, 2, 1);
    closeWithin();

    assertThat(server.chunks()).extracting(LogChunk::data).containsExactly("abc", "€");
  }

  @Test
  void closeShipsAnUnfinishedCharacterAtTheEndInsteadOfWaitingForever() {
    shipper.write(new byte[] {'o', 'k', (byte) 0xE2, (byte) 0x82}, 0, 4);
    closeWithin();

    assertThat(server.log()).isEqualTo("ok\uFFFD");
  }

  @Test
  void nothingIsLostOrDuplicatedWhenTheServerRestarts() {
    String before = lines(300);
    String during = "written while the server is down\n".repeat(100);
    server.down(true);

    write(before.getBytes(UTF_8), 100);
    await().until(() -> server.calls() >= 3);
    write(during.getBytes(UTF_8), 100);
    server.down(false);
    closeWithin();

    assertThat(server.log()).isEqualTo(before + during);
  }

  @Test
  void aLostAckIsResentAndDeduplicated() {
    String log = lines(5000);
    server.loseAcks(3);

    write(log.getBytes(UTF_8), Integer.MAX_VALUE);
    closeWithin();

    assertThat(server.log()).isEqualTo(log);
    assertThat(server.chunksSent()).as("chunks were resent").isGreaterThan(server.chunks().size());
  }

  @Test
  void closeReturnsOnlyAfterEverythingIsAcknowledged() {
    server.down(true);
    shipper.line("the last words");
    Thread closer = Thread.ofVirtual().start(() -> close(shipper));

    int calls = server.calls();
    await().until(() -> server.calls() >= calls + 3);
    assertThat(closer.isAlive()).isTrue();
    server.down(false);
    await().until(() -> !closer.isAlive());

    assertThat(server.log()).isEqualTo("the last words\n");
  }

  @Test
  void aRefusalMakesTheShipperGiveUpAndCloseReturn() {
    server.refuse(new ServerClient.Rejected(409, "job 7 is not running"));

    shipper.line("nobody will read this");
    closeWithin();
    shipper.line("written after giving up");

    assertThat(server.calls()).isEqualTo(1);
    assertThat(server.log()).isEmpty();
  }

  @Test
  void anUnexpectedFailureMakesTheShipperGiveUpAndCloseReturn() {
    var broken = new LogShipper(batch -> {
      throw new IllegalStateException("unreadable ack");
    }, "broken");

    broken.line("x");
    Thread closer = Thread.ofVirtual().start(() -> close(broken));

    await().atMost(Duration.ofSeconds(20)).until(() -> !closer.isAlive());
  }

  @Test
  void utf8BoundaryOfNothingIsZero() {
    assertThat(LogShipper.utf8Boundary(new byte[0], 0)).isZero();
  }

  @Test
  void utf8BoundaryOfAsciiIsTheLimit() {
    byte[] abc = "abc".getBytes(UTF_8);

    assertThat(LogShipper.utf8Boundary(abc, 3)).isEqualTo(3);
    assertThat(LogShipper.utf8Boundary(abc, 1)).isEqualTo(1);
  }

  @Test
  void utf8BoundaryKeepsWholeCharacters() {
    assertThat(LogShipper.utf8Boundary(hex("c3a9"), 2)).isEqualTo(2);
    assertThat(LogShipper.utf8Boundary(hex("e282ac"), 3)).isEqualTo(3);
    assertThat(LogShipper.utf8Boundary(hex("f09f9880"), 4)).isEqualTo(4);
  }

  @Test
  void utf8BoundaryStopsBeforeATruncatedTwoByteCharacter() {
    assertThat(LogShipper.utf8Boundary(hex("61c3"), 2)).isEqualTo(1);
  }

  @Test
  void utf8BoundaryStopsBeforeATruncatedThreeByteCharacter() {
    assertThat(LogShipper.utf8Boundary(hex("61e2"), 2)).isEqualTo(1);
    assertThat(LogShipper.utf8Boundary(hex("61e282"), 3)).isEqualTo(1);
  }

  @Test
  void utf8BoundaryStopsBeforeATruncatedFourByteCharacter() {
    assertThat(LogShipper.utf8Boundary(hex("61f0"), 2)).isEqualTo(1);
    assertThat(LogShipper.utf8Boundary(hex("61f09f"), 3)).isEqualTo(1);
    assertThat(LogShipper.utf8Boundary(hex("61f09f98"), 4)).isEqualTo(1);
    assertThat(LogShipper.utf8Boundary(hex("f09f98"), 3)).isZero();
  }

  @Test
  void utf8BoundaryLooksOnlyBelowTheLimit() {
    byte[] aEuroB = "a€b".getBytes(UTF_8);

    assertThat(LogShipper.utf8Boundary(aEuroB, 2)).isEqualTo(1);
    assertThat(LogShipper.utf8Boundary(aEuroB, 4)).isEqualTo(4);
  }

  @Test
  void utf8BoundaryNeverHoldsBackBytesThatCanNotStartACharacter() {
    assertThat(LogShipper.utf8Boundary(hex("8080808080"), 5)).isEqualTo(5);
    assertThat(LogShipper.utf8Boundary(hex("6180"), 2)).isEqualTo(2);
    assertThat(LogShipper.utf8Boundary(hex("61ff"), 2)).isEqualTo(2);
    assertThat(LogShipper.utf8Boundary(hex("61f8"), 2)).isEqualTo(2);
    assertThat(LogShipper.utf8Boundary(hex("c3a9a9"), 3)).isEqualTo(3);
  }

  private void write(byte[] bytes, int slice) {
    for (int at = 0; at < bytes.length; at += slice) shipper.write(bytes, at, Math.min(slice, bytes.length - at));
  }

  private void closeWithin() {
    Thread closer = Thread.ofVirtual().start(() -> close(shipper));
    await().atMost(Duration.ofSeconds(20)).until(() -> !closer.isAlive());
  }

  private static void close(LogShipper shipper) {
    try {
      shipper.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void assertNoSplitCharacters() {
    assertThat(server.chunks()).extracting(LogChunk::data).allSatisfy(c -> assertThat(c).doesNotContain("\uFFFD"));
  }

  private static String lines(int count) {
    return IntStream.range(0, count).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
  }

  /** About 100 KB of 2-, 3- and 4-byte characters, with a line end now and then. */
  private static String multiByteText() {
    return IntStream.range(0, 3000).mapToObj(i -> "€😀日本ü🎉" + (i % 7 == 0 ? "\n" : "")).collect(Collectors.joining());
  }

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
