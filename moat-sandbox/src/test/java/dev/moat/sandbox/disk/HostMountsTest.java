package dev.moat.sandbox.disk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostMountsTest {
  static final Path ROOT = Path.of("/var/lib/moat/volumes");

  @Test
  void onlyMountPointsBelowTheRootAreFoundDeepestFirst() {
    String mounts = """
        /dev/vda / ext4 rw,relatime 0 0
        /dev/loop0 /var/lib/moat/volumes/a ext4 rw,nosuid,nodev 0 0
        tmpfs /var/lib/moat/volumes tmpfs rw 0 0
        /dev/loop1 /var/lib/moat/volumes-other/b ext4 rw 0 0
        tmpfs /var/lib/moat/volumes/a/sub tmpfs rw 0 0
        /dev/loop2 /var/lib/moat/volumes/with\\040space ext4 rw 0 0
        """;

    assertThat(HostMounts.mountPointsUnder(mounts, ROOT)).containsExactly(
        Path.of("/var/lib/moat/volumes/a/sub"), Path.of("/var/lib/moat/volumes/a"),
        Path.of("/var/lib/moat/volumes/with space"));
  }

  @Test
  void loopDevicesAreMatchedByTheirBackingFileEvenWhenItWasDeleted() {
    String losetup = """
        /dev/loop0 /var/lib/moat/volumes/a.ext4
        /dev/loop1 /var/tmp/other.img
        /dev/loop2 /var/lib/moat/volumes/b.ext4\\x20(deleted)
        /dev/loop3 /var/lib/moat/volumes/c\\x20d.ext4
        /dev/loop4\s
        """;

    assertThat(HostMounts.loopsUnder(losetup, ROOT)).containsExactly(
        new HostMounts.Loop("/dev/loop0", Path.of("/var/lib/moat/volumes/a.ext4")),
        new HostMounts.Loop("/dev/loop2", Path.of("/var/lib/moat/volumes/b.ext4")),
        new HostMounts.Loop("/dev/loop3", Path.of("/var/lib/moat/volumes/c d.ext4")));
  }

  @Test
  void escapesDecodeToUtf8AndMalformedOnesStayAsTheyAre() {
    assertThat(HostMounts.unescapeOctal("a\\040b\\134c\\011")).isEqualTo("a b\\c\t");
    assertThat(HostMounts.unescapeOctal("caf\\303\\251")).isEqualTo("café");
    assertThat(HostMounts.unescapeOctal("x\\04")).isEqualTo("x\\04");
    assertThat(HostMounts.unescapeHex("a\\x20b\\xzz")).isEqualTo("a b\\xzz");
  }
}
