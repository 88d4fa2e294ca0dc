package dev.moat.cli;

import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code moat repo add|ls}. */
@Command(name = "repo", description = "Manage repositories.", subcommands = {RepoCommands.Add.class, RepoCommands.Ls.class})
final class RepoCommands {
  @Command(name = "add", description = "Register a local bare repository and install its push hook.")
  static final class Add implements Runnable {
    @Parameters(index = "0", description = "Repository name.") String name;

    @Option(names = "--path", required = true, description = "Path of the bare repository.") String path;

    @Override
    public void run() {
      var repo = new ApiClient(Target.resolve())
          .post("/api/v1/repos", Map.of("name", name, "path", java.nio.file.Path.of(path).toAbsolutePath().toString()));
      System.out.println("added repository " + repo.path("name").asString() + "; push hook: " + repo.path("hook").asString());
    }
  }

  @Command(name = "ls", description = "List repositories.")
  static final class Ls implements Runnable {
    @Override
    public void run() {
      var table = new Table("NAME", "PATH");
      new ApiClient(Target.resolve()).get("/api/v1/repos").forEach(r -> table.row(r.path("name").asString(), r.path("path").asString()));
      table.print(System.out);
    }
  }
}
