package dev.moat.sandbox.image;

import java.util.Objects;

/**
 * One named image in an {@link ImageStore}'s index.
 *
 * @param name the image's name, e.g. {@code debian-bookworm}
 * @param digest the sha256 of its {@code .tar.zst} artifact, as 64 lowercase hex digits
 * @param recipe what it was built from
 * @param sizeBytes the artifact's size
 */
public record ImageEntry(String name, String digest, ImageRecipe recipe, long sizeBytes) {
  public ImageEntry {
    ImageStore.requireName(name);
    ImageStore.requireDigest(digest);
    Objects.requireNonNull(recipe, "recipe");
    if (sizeBytes < 0) throw new IllegalArgumentException("negative size");
  }
}
