package dev.moat.sandbox.oci;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.image.ImageStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Chooses the oci tier's runtime at agent start: crun (smaller and faster to start) only where
 * this host can really run it, otherwise runc. "Can run it" is decided by a real container: crun
 * must run the tier's probe ({@link OciTier#probe}) over the pool's image with the pool's settings.
 * That is what rules crun out on hybrid cgroup hosts, where it refuses to start ("cgroups in hybrid
 * mode not supported"), as on this project's build machines. Each runtime keeps its state in its own
 * directory ({@code <state parent>/crun} next to runc's), so that the crash sweep of one never meets
 * the other's containers. Stateless.
 */
public final class OciRuntimes {
  public static final Path CRUN = Path.of("/usr/bin/crun");

  private OciRuntimes() {}

  /**
   * The chosen settings and why.
   *
   * @param settings {@code runc}'s settings, or the same with crun and crun's state directory
   * @param reason one line for the agent's log: which runtime, and why not crun when it is runc
   */
  public record Choice(OciSettings settings, String reason) {
    public Choice {
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(reason, "reason");
    }

    public boolean crun() {
      return settings.runc().equals(CRUN);
    }
  }

  /**
   * Crun if {@link #CRUN} runs the probe container with {@code runcSettings} otherwise changed only
   * in runtime and state directory; else {@code runcSettings} unchanged.
   */
  public static Choice choose(OciSettings runcSettings, ImageStore images, String digest) {
    return choose(runcSettings, images, digest, CRUN);
  }

  static Choice choose(OciSettings runcSettings, ImageStore images, String digest, Path crun) {
    if (!Files.isExecutable(crun)) return new Choice(runcSettings, "runc: no " + crun);
    OciSettings withCrun = runcSettings.withRuntime(crun, runcSettings.runcRoot().resolveSibling("crun"));
    Availability probe = OciTier.probe(withCrun, images, digest);
    if (probe.available()) return new Choice(withCrun, "crun: " + probe.reason());
    return new Choice(runcSettings, "runc: crun can't run containers here: " + probe.reason());
  }
}
