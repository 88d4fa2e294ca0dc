package dev.moat.sandbox;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** An {@link OutputSink} that keeps everything; readable from any thread while it fills. */
public final class OutputCapture implements OutputSink {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  @Override
  public void write(byte[] buffer, int offset, int length) {
    bytes.write(buffer, offset, length); // ByteArrayOutputStream is synchronized
  }

  public String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return text();
  }
}
