package dev.moat.sandbox.net;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the real egress tests share: the capability check, test-only names and a fake resolver. */
public final class EgressFixture {
  /** Names the gateway resolves in tests; {@code rebind.example} points at a private address. */
  static final Map<String, String> NAMES = Map.of(
      "allowed.example", NetworkLab.ALLOWED, "other.example", NetworkLab.OTHER, "rebind.example", "10.0.0.1");

  private EgressFixture() {}

  /** Skips the calling test class, with a printed reason, unless real egress tests can run here. */
  public static void assumeCapable(String what) {
    Availability egress = Egress.probe();
    String reason = !egress.available() ? egress.reason()
        : !Files.isExecutable(Path.of(NetworkLab.PYTHON)) ? "no " + NetworkLab.PYTHON + " for the lab's listeners"
        : !Files.isExecutable(Path.of("/usr/bin/unshare")) ? "no /usr/bin/unshare"
        : !Files.isExecutable(Path.of("/usr/bin/setpriv")) ? "no /usr/bin/setpriv"
        : !Files.isExecutable(Path.of("/bin/bash")) ? "no /bin/bash" : null;
    if (reason != null) System.out.println("skipping " + what + ": " + reason);
    assumeTrue(reason == null, reason);
  }

  /** Settings whose table, prefix and pool no one else on this host uses. */
  static EgressSettings settings(String letters) {
    long pid = ProcessHandle.current().pid();
    return new EgressSettings("moat_" + letters + pid, letters + (pid % 100000), pool());
  }

  /**
   * A job address pool of this test JVM's own (10.200/16 to 10.249/16 by pid), so that two test
   * runs on one host (two checkouts) don't route the same addresses. Never the default pool.
   */
  public static Ipv4Cidr pool() {
    return Ipv4Cidr.parse("10." + (200 + ProcessHandle.current().pid() % 50) + ".0.0/16");
  }

  public static HostResolver resolver() {
    return name -> {
      String address = NAMES.get(name);
      if (address == null) throw new UnknownHostException(name);
      return List.of((Inet4Address) InetAddress.getByName(address));
    };
  }
}
