package dev.moat.server;

import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.engine.placement.PolicyException;
import dev.moat.engine.placement.PolicyParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the server's placement policy once, at start, and logs what was loaded: the file, the
 * SHA-256 of its bytes, and the policy in one line, so that an audit can tell which policy placed
 * which runs. Stateless.
 */
public final class PolicyFile {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyFile.class);

  private PolicyFile() {}

  /**
   * The policy in {@code file}, or {@link PlacementPolicy#DEFAULT} when there is none.
   *
   * @throws PolicyException when the file is not a valid policy (every problem, with positions)
   * @throws IOException when it can't be read
   */
  public static PlacementPolicy load(Optional<Path> file) throws IOException {
    if (file.isEmpty()) {
      LOG.atInfo().addKeyValue("policy", "default").addKeyValue("placement", PlacementPolicy.DEFAULT.describe())
          .log("placement policy: the default (no policy file)");
      return PlacementPolicy.DEFAULT;
    }
    Path path = file.get();
    long size = Files.size(path);
    if (size > PolicyParser.MAX_BYTES * 4L) {
      throw PolicyException.of(path.toString(), "the file is " + size + " bytes; the limit is " + PolicyParser.MAX_BYTES + " bytes");
    }
    byte[] bytes = Files.readAllBytes(path);
    PlacementPolicy policy = PolicyParser.parse(path.toString(), new String(bytes, StandardCharsets.UTF_8));
    LOG.atInfo().addKeyValue("policy", path.toString()).addKeyValue("sha256", sha256(bytes))
        .addKeyValue("placement", policy.describe()).log("placement policy loaded");
    return policy;
  }

  /** As {@code sha256sum} prints it, so that the logged digest can be checked against the file. */
  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always present", e);
    }
  }
}
