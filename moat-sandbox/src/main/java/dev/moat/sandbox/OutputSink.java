package dev.moat.sandbox;

/** Receives a command's merged output as it comes, from one pump thread. */
@FunctionalInterface
public interface OutputSink {
  void write(byte[] buffer, int offset, int length);
}
