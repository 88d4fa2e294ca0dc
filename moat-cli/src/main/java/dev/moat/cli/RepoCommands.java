package dev.moat.cli;

import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code moat repo add|ls|signers}. */
@Command(name = "repo", description = "Manage repositories.",
    subcommands = {RepoCommands.Add.class, RepoCommands.Ls.class, RepoCommands.Signers.class})
final class RepoCommands {
  private static String readSigners(java.nio.file.Path file) {
    try {
      return java.nio.file.Files.readString(file);
    } catch (java.io.IOException e) {
      throw new CliException(CliException.USAGE, "cannot read " + file + ": " + e.getMessage());
    }
  }

  @Command(name = "add", description = "Register a local bare repository and install its push hook.")
  static final class Add implements Runnable {
    @Parameters(index = "0", description = "Repository name.") String name;

    @Option(names = "--path", required = true, description = "Path of the bare repository.") String path;

    @Option(names = "--allowed-signers", description = "SSH allowed_signers file: only pushes whose head commit one of its keys signed are trusted; others are held.")
    java.nio.file.Path allowedSigners;

    @Override
    public void run() {
      var body = new java.util.LinkedHashMap<String, Object>();
      body.put("name", name);
      body.put("path", java.nio.file.Path.of(path).toAbsolutePath().toString());
      if (allowedSigners != null) body.put("allowedSigners", readSigners(allowedSigners));
      var repo = new ApiClient(Target.resolve()).post("/api/v1/repos", body);
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

  @Command(name = "signers", description = "Set a repository's allowed signers (SSH allowed_signers file).")
  static final class Signers implements Runnable {
    @Parameters(index = "0", description = "Repository name.") String name;

    @Parameters(index = "1", description = "The allowed_signers file.") java.nio.file.Path file;

    @Override
    public void run() {
      new ApiClient(Target.resolve()).put("/api/v1/repos/" + name + "/allowed-signers", Map.of("signers", readSigners(file)));
      System.out.println("allowed signers of " + name + " set: pushes not signed by one of them are held");
    }
  }
}
