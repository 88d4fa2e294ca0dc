package dev.moat.common.secret;

/** A stored secret that can't be opened: tampered with, moved to another name, or its key is gone. */
public final class SecretIntegrityException extends RuntimeException {
  public SecretIntegrityException(String message) {
    super(message);
  }
}
