package dev.moat.sandbox.image;

import java.util.List;

/** The JSON document {@code index.json} of an {@link ImageStore}: one entry per name. */
record ImageIndex(List<ImageEntry> images) {
  ImageIndex {
    images = List.copyOf(images);
  }
}
