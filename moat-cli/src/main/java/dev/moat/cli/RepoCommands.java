package dev.moat.cli;

import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code moat repo add|add-github|ls|signers}. */
@Command(name = "repo", description = "Manage repositories.",
    subcommands = {RepoCommands.Add.class, RepoCommands.AddGitHub.class, RepoCommands.Ls.class, RepoCommands.Signers.class})
final class RepoCommands {
  private static String readFile(java.nio.file.Path file) {
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
      if (allowedSigners != null) body.put("allowedSigners", readFile(allowedSigners));
      var repo = new ApiClient(Target.resolve()).post("/api/v1/repos", body);
      System.out.println("added repository " + repo.path("name").asString() + "; push hook: " + repo.path("hook").asString());
    }
  }

  @Command(name = "add-github", description = "Register a GitHub repository: its webhook goes to /hooks/github, and Moat "
      + "authenticates to GitHub with a token or as a GitHub App.")
  static final class AddGitHub implements Runnable {
    @Parameters(index = "0", description = "Repository name in Moat.") String name;

    @Option(names = "--github", required = true, description = "OWNER/REPO on GitHub.") String github;

    @Option(names = "--secret-file", required = true, description = "File holding the webhook secret (16 characters or more).")
    java.nio.file.Path secretFile;

    @Option(names = "--token-file", description = "File holding a GitHub token (instead of an App).") java.nio.file.Path tokenFile;

    @Option(names = "--app-id", description = "GitHub App id.") Long appId;

    @Option(names = "--installation-id", description = "The App's installation id on the owner.") Long installationId;

    @Option(names = "--key-file", description = "The App's private key (.pem).") java.nio.file.Path keyFile;

    @Option(names = "--api-url", description = "GitHub API base URL (default https://api.github.com).") String apiUrl;

    @Option(names = "--clone-url", description = "Where to fetch from (default https://github.com/OWNER/REPO.git).") String cloneUrl;

    @Override
    public void run() {
      String[] parts = github.split("/", -1);
      if (parts.length != 2) throw new CliException(CliException.USAGE, "--github must be OWNER/REPO");
      var body = new java.util.LinkedHashMap<String, Object>();
      body.put("name", name);
      body.put("owner", parts[0]);
      body.put("repo", parts[1]);
      body.put("webhookSecret", readFile(secretFile).strip());
      if (tokenFile != null) body.put("token", readFile(tokenFile).strip());
      if (appId != null) body.put("appId", appId);
      if (installationId != null) body.put("installationId", installationId);
      if (keyFile != null) body.put("privateKey", readFile(keyFile));
      if (apiUrl != null) body.put("apiUrl", apiUrl);
      if (cloneUrl != null) body.put("cloneUrl", cloneUrl);
      var repo = new ApiClient(Target.resolve()).post("/api/v1/github/repos", body);
      System.out.println("added GitHub repository " + repo.path("github").asString() + " as " + repo.path("name").asString()
          + "; point its webhook (push, pull_request, issue_comment, member, membership, organization, team) at "
          + repo.path("hook").asString());
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
      new ApiClient(Target.resolve()).put("/api/v1/repos/" + name + "/allowed-signers", Map.of("signers", readFile(file)));
      System.out.println("allowed signers of " + name + " set: pushes not signed by one of them are held");
    }
  }
}
