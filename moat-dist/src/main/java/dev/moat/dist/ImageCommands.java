package dev.moat.dist;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moat.cli.CliException;
import dev.moat.cli.Table;
import dev.moat.cli.Target;
import dev.moat.common.Json;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.image.AptMirror;
import dev.moat.sandbox.image.ImageEntry;
import dev.moat.sandbox.image.ImageRecipe;
import dev.moat.sandbox.image.ImageStore;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code moat image build|ls|rm}: root filesystem images for the oci tier, in a local
 * {@link ImageStore} (default {@code $MOAT_DATA_DIR/images}). Runs on the agent's host, not through
 * the server. Exit codes follow the CLI contract: 2 for a bad name, suite or package, or an unknown
 * image; 4 when a build is needed but this host can't build (not root, no mmdebstrap or zstd); 1
 * when the build itself fails.
 */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Build, list and remove root filesystem images (oci tier).",
    subcommands = {ImageCommands.Build.class, ImageCommands.Ls.class, ImageCommands.Rm.class})
final class ImageCommands implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: build, ls or rm");
  }

  /** The store's directory: {@code --store}, else {@code $MOAT_DATA_DIR/images}. */
  static Path storeDir(Path option) {
    return option != null ? option : Target.dataDir().resolve("images");
  }

  /**
   * One image as printed by {@code --json}: a stable shape for scripts.
   *
   * @param reused for {@code build}: whether an equal recipe's artifact was reused (null in {@code ls})
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ImageJson(String name, String digest, String suite, List<String> packages, String mirror, long sizeBytes,
      Boolean reused) {
    static ImageJson of(ImageEntry e, Boolean reused) {
      return new ImageJson(e.name(), e.digest(), e.recipe().suite(), e.recipe().packages(), e.recipe().mirror(),
          e.sizeBytes(), reused);
    }
  }

  static void printJson(Object value) {
    System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
  }

  static void printTable(List<ImageEntry> images) {
    var table = new Table("NAME", "DIGEST", "SIZE", "SUITE", "PACKAGES");
    for (ImageEntry e : images) {
      table.row(e.name(), e.digest().substring(0, 12), (e.sizeBytes() + (1 << 19)) / (1 << 20) + " MB",
          e.recipe().suite(), e.recipe().packages().isEmpty() ? "-" : String.join(",", e.recipe().packages()));
    }
    table.print(System.out);
  }

  static CliException failed(String what, IOException e) {
    return new CliException(CliException.FAILED, what + ": " + e.getMessage());
  }

  @Command(name = "build", mixinStandardHelpOptions = true, description = "Build image NAME from Debian minbase plus packages; an equal recipe reuses its artifact.")
  static final class Build implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "Image name: lowercase letters, digits, '.', '_', '-'.") String name;

    @Option(names = "--suite", defaultValue = "bookworm", description = "Debian suite (default: ${DEFAULT-VALUE}).") String suite;

    @Option(names = "--include", split = ",", paramLabel = "PKG", description = "Extra packages, comma-separated.")
    List<String> include = List.of();

    @Option(names = "--store", paramLabel = "DIR", description = "Image store (default: $MOAT_DATA_DIR/images).") Path store;

    @Option(names = "--json", description = "Print JSON for scripts.") boolean json;

    @Override
    public Integer call() {
      try {
        ImageStore.requireName(name);
        new ImageRecipe(suite, include, AptMirror.FALLBACK); // checks suite and packages before touching the store
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
      try {
        ImageStore images = new ImageStore(storeDir(store));
        ImageRecipe recipe = new ImageRecipe(suite, include, images.mirror());
        boolean reused = stored(images, recipe).isPresent();
        if (!reused) requireBuildable();
        ImageEntry entry = images.build(name, suite, include);
        if (json) printJson(ImageJson.of(entry, reused));
        else System.out.println((reused ? "reused " : "built ") + entry.name() + " sha256:" + entry.digest());
        return 0;
      } catch (IOException e) {
        throw failed("cannot build image " + name, e);
      }
    }

    /** An image of an equal recipe whose artifact is there: the store will reuse it without mmdebstrap. */
    private static Optional<ImageEntry> stored(ImageStore images, ImageRecipe recipe) throws IOException {
      return images.list().stream()
          .filter(e -> e.recipe().equals(recipe) && Files.isRegularFile(images.artifact(e.digest()))).findFirst();
    }

    private static void requireBuildable() {
      if (!HostUser.current().isRoot()) {
        throw new CliException(CliException.UNAVAILABLE, "building an image needs root (mmdebstrap --mode=root)");
      }
      for (String tool : List.of("mmdebstrap", "zstd")) {
        if (onPath(tool).isEmpty()) {
          throw new CliException(CliException.UNAVAILABLE, "building an image needs " + tool + " (apt-get install " + tool + ")");
        }
      }
    }

    /** Where {@code tool} is on {@code $PATH}, as the store's ProcessBuilder would find it. */
    static Optional<Path> onPath(String tool) {
      String path = System.getenv("PATH");
      if (path == null) return Optional.empty();
      for (String dir : path.split(File.pathSeparator)) {
        if (dir.isEmpty()) continue;
        Path candidate = Path.of(dir, tool);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.of(candidate);
      }
      return Optional.empty();
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the images in the store.")
  static final class Ls implements Callable<Integer> {
    @Option(names = "--store", paramLabel = "DIR", description = "Image store (default: $MOAT_DATA_DIR/images).") Path store;

    @Option(names = "--json", description = "Print JSON for scripts.") boolean json;

    @Override
    public Integer call() {
      Path dir = storeDir(store);
      try {
        // Listing never creates a store: a missing one simply holds no images.
        List<ImageEntry> images = Files.isDirectory(dir) ? new ImageStore(dir).list() : List.of();
        if (json) printJson(images.stream().map(e -> ImageJson.of(e, null)).toList());
        else printTable(images);
        return 0;
      } catch (IOException e) {
        throw failed("cannot list images in " + dir, e);
      }
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove image NAME; its artifact goes when no other name pins it.")
  static final class Rm implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = "--store", paramLabel = "DIR", description = "Image store (default: $MOAT_DATA_DIR/images).") Path store;

    @Override
    public Integer call() {
      try {
        ImageStore.requireName(name);
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
      Path dir = storeDir(store);
      try {
        if (!Files.isDirectory(dir) || !new ImageStore(dir).remove(name)) {
          throw new CliException(CliException.USAGE, "no image named " + name + " in " + dir);
        }
        System.out.println("removed " + name);
        return 0;
      } catch (IOException e) {
        throw failed("cannot remove image " + name, e);
      }
    }
  }
}
