package dev.moat.server.repo;

import dev.moat.common.tar.TarWriter;
import dev.moat.engine.WorkflowParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;

/**
 * Reads a git repository as data with JGit: resolves refs, lists workflow files at a commit (sizes
 * checked before anything is loaded), and streams the tree at a commit as a tar. Nothing in the
 * repository is ever executed. Thread-safe (opens the repository per call).
 */
public final class GitReader {
  /** Where workflow files live in a repository. */
  public static final String WORKFLOW_DIR = ".moat/workflows";

  /** A workflow file at a commit: its text, or the reason it was not loaded. */
  public record WorkflowFile(String path, Optional<String> text, long size) {}

  public static boolean isRepository(Path dir) {
    try (Repository repo = open(dir)) {
      return repo.getObjectDatabase().exists();
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The commit a ref (branch name, full ref or sha) points to, if any. */
  public Optional<String> resolve(Path dir, String ref) throws IOException {
    try (Repository repo = open(dir)) {
      ObjectId id = repo.resolve(ref + "^{commit}");
      return Optional.ofNullable(id).map(ObjectId::getName);
    }
  }

  /** The {@code *.yml}/{@code *.yaml} files directly under {@link #WORKFLOW_DIR} at {@code sha}. */
  public List<WorkflowFile> workflows(Path dir, String sha) throws IOException {
    List<WorkflowFile> files = new ArrayList<>();
    try (Repository repo = open(dir); RevWalk walk = new RevWalk(repo)) {
      RevCommit commit = walk.parseCommit(ObjectId.fromString(sha));
      try (TreeWalk tree = new TreeWalk(repo)) {
        tree.addTree(commit.getTree());
        tree.setRecursive(true);
        tree.setFilter(PathFilter.create(WORKFLOW_DIR));
        while (tree.next()) {
          String path = tree.getPathString();
          String rest = path.substring(WORKFLOW_DIR.length() + 1);
          if (rest.contains("/") || !(rest.endsWith(".yml") || rest.endsWith(".yaml"))) continue;
          if (!FileMode.REGULAR_FILE.equals(tree.getFileMode(0)) && !FileMode.EXECUTABLE_FILE.equals(tree.getFileMode(0))) continue;
          long size = repo.getObjectDatabase().newReader().getObjectSize(tree.getObjectId(0), Constants.OBJ_BLOB);
          Optional<String> text = size > WorkflowParser.MAX_BYTES
              ? Optional.empty()
              : Optional.of(new String(repo.open(tree.getObjectId(0)).getBytes(), StandardCharsets.UTF_8));
          files.add(new WorkflowFile(path, text, size));
        }
      }
    }
    files.sort(java.util.Comparator.comparing(WorkflowFile::path));
    return files;
  }

  /** Writes the tree at {@code sha} as a tar: regular files, executables and symlinks; submodules are skipped. */
  public void archive(Path dir, String sha, OutputStream out) throws IOException {
    try (Repository repo = open(dir); RevWalk walk = new RevWalk(repo); var tar = new TarWriter(out)) {
      RevCommit commit = walk.parseCommit(ObjectId.fromString(sha));
      try (TreeWalk tree = new TreeWalk(repo)) {
        tree.addTree(commit.getTree());
        tree.setRecursive(true);
        while (tree.next()) {
          FileMode mode = tree.getFileMode(0);
          String path = tree.getPathString();
          if (FileMode.SYMLINK.equals(mode)) {
            tar.symlink(path, new String(repo.open(tree.getObjectId(0)).getBytes(), StandardCharsets.UTF_8));
          } else if (FileMode.REGULAR_FILE.equals(mode) || FileMode.EXECUTABLE_FILE.equals(mode)) {
            var loader = repo.open(tree.getObjectId(0));
            try (var in = loader.openStream()) {
              tar.file(path, loader.getSize(), FileMode.EXECUTABLE_FILE.equals(mode), in);
            }
          }
        }
      }
    }
  }

  private static Repository open(Path dir) throws IOException {
    return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
  }
}
