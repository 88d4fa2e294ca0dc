package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Creating and removing cgroup directories: the two operations where a cgroupfs behaves unlike a
 * plain directory tree (the kernel fills a new cgroup with interface files, and {@code rmdir}
 * removes a cgroup although those files are in it). Drivers reach the kernel through
 * {@link #KERNEL}; unit tests pass a fake that imitates it over a temporary directory.
 *
 * <p>Implementations are thread-safe.
 */
interface CgroupTree {
  /** The real cgroupfs. */
  CgroupTree KERNEL = new CgroupTree() {
    @Override
    public void mkdir(Path dir) throws IOException {
      Files.createDirectory(dir);
    }

    @Override
    public void rmdir(Path dir) throws IOException {
      CgroupFiles.rmdir(dir);
    }
  };

  /** Creates the cgroup {@code dir}; fails if it exists. */
  void mkdir(Path dir) throws IOException;

  /** Removes the empty cgroup {@code dir}, waiting briefly while the kernel still holds it; absent is done. */
  void rmdir(Path dir) throws IOException;
}
