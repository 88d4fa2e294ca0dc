package dev.moat.sandbox.image;

import java.io.IOException;

/** An image artifact's content no longer matches the digest it is stored under: never unpack it. */
public final class ImageIntegrityException extends IOException {
  public ImageIntegrityException(String message) {
    super(message);
  }
}
