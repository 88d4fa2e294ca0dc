package dev.moat.sandbox;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Hands a job's workspace to the sandbox's uid before the job starts.
 *
 * <p>Invariants after {@link #give}: the workspace is a real directory (not a link) with mode 0700;
 * when the agent is root, every entry below it is owned by the sandbox's uid and gid, links
 * included and never followed (so a link in a checkout cannot make the agent chown a host file).
 * Stateless.
 *
 * <p>Public only so that the other tiers' packages ({@code oci}) share it; not part of the Sandbox API.
 */
public final class WorkspaceGrant {
  private WorkspaceGrant() {}

  /**
   * Checks that the job's uid can reach the workspace, then hands it over.
   *
   * @param chown whether to change owners (only possible, and only needed, when the agent is root)
   */
  public static void give(Path workspace, int uid, int gid, boolean chown) throws IOException {
    if (!Files.isDirectory(workspace, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("workspace is not a directory: " + workspace);
    }
    requireTraversable(workspace.getParent(), uid, gid);
    if (chown) chownTree(workspace, uid, gid);
    Files.setPosixFilePermissions(workspace, PosixFilePermissions.fromString("rwx------"));
  }

  /**
   * Throws unless {@code uid:gid} (with no supplementary groups) may search every directory from
   * {@code /} down to {@code dir}, which bwrap needs to bind the workspace.
   */
  static void requireTraversable(Path dir, int uid, int gid) throws IOException {
    for (Path p = dir; p != null; p = p.getParent()) {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid");
      int mode = (int) a.get("mode");
      int bit = (int) a.get("uid") == uid ? 0100 : (int) a.get("gid") == gid ? 0010 : 0001;
      if ((mode & bit) == 0) {
        throw new IOException("sandbox uid " + uid + " cannot traverse " + p + " (mode "
            + Integer.toOctalString(mode & 07777) + "): put workspaces under a directory it can search");
      }
    }
  }

  private static void chownTree(Path workspace, int uid, int gid) throws IOException {
    Files.walkFileTree(workspace, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        chown(dir, uid, gid);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        chown(file, uid, gid);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** lchown: with NOFOLLOW_LINKS the JDK changes a link itself, never its target. */
  private static void chown(Path path, int uid, int gid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }
}
