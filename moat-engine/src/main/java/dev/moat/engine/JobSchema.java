package dev.moat.engine;

import dev.moat.common.wire.EnvironmentNames;
import dev.moat.common.wire.ImageNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads {@code jobs:}, each job and its steps. Needs are only collected here; whether they name real
 * jobs and form no cycle is checked by {@link WorkflowSchema} once every job is known. Stateless.
 */
final class JobSchema {
  static final List<String> JOB_KEYS = List.of("name", "runs-on", "image", "needs", "env", "timeout", "steps", "environment");
  static final List<String> STEP_KEYS = List.of("name", "run", "secrets");
  /** A secret's name in {@code secrets:}, which is also the variable it is put in. */
  static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  static final int MAX_STEP_SECRETS = 32;
  static final int MAX_ID_LENGTH = 64;
  static final int MAX_STEP_NAME = 60;
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

  /**
   * A job as read, before its needs are checked against the other jobs. Where the file had a
   * problem the fields hold fallbacks; the problem is reported, so no workflow is built from them.
   */
  record Draft(
      String id,
      String name,
      List<String> runsOn,
      List<YamlValues.Item> needs,
      Map<String, String> env,
      Duration timeout,
      List<StepSpec> steps,
      Optional<String> image,
      Optional<String> environment) {
    JobSpec toSpec() {
      return new JobSpec(id, name, runsOn, needs.stream().map(YamlValues.Item::value).toList(), env,
          timeout, steps, image, environment);
    }
  }

  private JobSchema() {}

  /** Every job under {@code jobs:} in file order; a job whose value is unusable still has a draft. */
  static List<Draft> readAll(Node jobsNode, Map<String, String> workflowEnv, ProblemList problems) {
    Optional<YamlMapping> jobs = YamlValues.mapping(jobsNode, "jobs", problems);
    if (jobs.isEmpty()) return List.of();
    if (jobs.get().isEmpty()) problems.add(jobsNode, "'jobs' must define at least one job");
    List<Draft> drafts = new ArrayList<>();
    for (YamlMapping.Entry entry : jobs.get().entries()) {
      checkId(entry, problems);
      drafts.add(read(entry, workflowEnv, problems));
    }
    return drafts;
  }

  private static void checkId(YamlMapping.Entry entry, ProblemList problems) {
    String id = entry.key();
    if (!JOB_ID.matcher(id).matches()) {
      problems.add(entry.keyNode(), "invalid job id '" + id
          + "'; use letters, digits, '_' and '-', starting with a letter or '_'");
    } else if (id.length() > MAX_ID_LENGTH) {
      problems.add(entry.keyNode(), "job id '" + id + "' is longer than " + MAX_ID_LENGTH + " characters");
    }
  }

  private static Draft read(YamlMapping.Entry entry, Map<String, String> workflowEnv, ProblemList problems) {
    String id = entry.key();
    String path = "jobs." + id;
    Optional<YamlMapping> found = YamlValues.mapping(entry.value(), path, problems);
    if (found.isEmpty()) {
      return new Draft(id, id, List.of(), List.of(), workflowEnv, JobTimeout.DEFAULT, List.of(), Optional.empty(), Optional.empty());
    }
    YamlMapping job = found.get();
    job.allowOnly(JOB_KEYS, path, problems);
    String name = job.get("name")
        .flatMap(e -> YamlValues.nonBlank(e.value(), path + ".name", problems))
        .orElse(id);
    List<String> runsOn = job.get("runs-on")
        .map(e -> YamlValues.labels(e.value(), path + ".runs-on", problems))
        .orElse(List.of());
    List<YamlValues.Item> needs = job.get("needs")
        .flatMap(e -> YamlValues.strings(e.value(), path + ".needs", problems))
        .orElse(List.of());
    Map<String, String> env = new LinkedHashMap<>(workflowEnv);
    job.get("env").ifPresent(e -> env.putAll(WorkflowSchema.env(e.value(), path + ".env", problems)));
    Duration timeout = job.get("timeout")
        .flatMap(e -> timeout(e.value(), path + ".timeout", problems))
        .orElse(JobTimeout.DEFAULT);
    List<StepSpec> steps = job.required("steps", path, problems)
        .map(e -> steps(e.value(), path + ".steps", problems))
        .orElse(List.of());
    Optional<String> image = job.get("image").flatMap(e -> image(e.value(), path + ".image", problems));
    Optional<String> environment = job.get("environment")
        .flatMap(e -> environment(e.value(), path + ".environment", problems));
    return new Draft(id, name, runsOn, needs, env, timeout, steps, image, environment);
  }

  /** Only the name's syntax is checked here; whether the server has it is decided when a run is created. */
  private static Optional<String> environment(Node node, String path, ProblemList problems) {
    Optional<String> name = YamlValues.string(node, path, problems);
    if (name.isPresent() && !EnvironmentNames.valid(name.get())) {
      problems.add(node, "'" + path + "': '" + name.get() + "' is not an environment name: use lower-case letters, "
          + "digits, '_' and '-', at most 64, starting with a letter or digit");
      return Optional.empty();
    }
    return name;
  }


  private static Optional<String> image(Node node, String path, ProblemList problems) {
    Optional<String> name = YamlValues.string(node, path, problems);
    if (name.isPresent() && !ImageNames.valid(name.get())) {
      problems.add(node, "'" + path + "': '" + name.get() + "' is not an image name: use lower-case letters, digits, "
          + "'.', '_' and '-', at most 64, starting with a letter or digit");
      return Optional.empty();
    }
    return name;
  }

  private static Optional<Duration> timeout(Node node, String path, ProblemList problems) {
    Optional<String> text = YamlValues.string(node, path, problems);
    if (text.isEmpty()) return Optional.empty();
    try {
      return Optional.of(JobTimeout.parse(text.get()));
    } catch (IllegalArgumentException e) {
      problems.add(node, "'" + path + "': " + e.getMessage());
      return Optional.empty();
    }
  }

  private static List<StepSpec> steps(Node node, String path, ProblemList problems) {
    Optional<List<Node>> list = YamlValues.list(node, path, problems);
    if (list.isEmpty()) return List.of();
    if (list.get().isEmpty()) problems.add(node, "'" + path + "' must list at least one step");
    List<StepSpec> steps = new ArrayList<>();
    for (int i = 0; i < list.get().size(); i++) {
      step(list.get().get(i), path + "[" + i + "]", problems).ifPresent(steps::add);
    }
    return steps;
  }

  private static Optional<StepSpec> step(Node node, String path, ProblemList problems) {
    Optional<YamlMapping> found = YamlValues.mapping(node, path, problems);
    if (found.isEmpty()) return Optional.empty();
    YamlMapping step = found.get();
    step.allowOnly(STEP_KEYS, path, problems);
    Optional<String> run = step.required("run", path, problems)
        .flatMap(e -> YamlValues.nonBlank(e.value(), path + ".run", problems));
    Optional<String> name = step.get("name")
        .flatMap(e -> YamlValues.nonBlank(e.value(), path + ".name", problems));
    List<String> secrets = step.get("secrets").map(e -> secrets(e.value(), path + ".secrets", problems)).orElse(List.of());
    return run.map(script -> new StepSpec(name.orElseGet(() -> defaultStepName(script)), script, secrets));
  }

  /** {@code secrets: [NAME, ...]}: names of the secrets that this step alone gets, as variables. */
  private static List<String> secrets(Node node, String path, ProblemList problems) {
    List<String> names = new ArrayList<>();
    List<YamlValues.Item> items = YamlValues.strings(node, path, problems).orElse(List.of());
    if (items.size() > MAX_STEP_SECRETS) {
      problems.add(node, "'" + path + "' lists " + items.size() + " secrets; the limit is " + MAX_STEP_SECRETS);
      return List.of();
    }
    for (YamlValues.Item item : items) {
      if (!SECRET_NAME.matcher(item.value()).matches()) {
        problems.add(item.node(), "'" + path + "': '" + item.value() + "' is not a secret name: use letters, digits and"
            + " '_', not starting with a digit, at most 64");
      } else if (names.contains(item.value())) {
        problems.add(item.node(), "'" + path + "': secret '" + item.value() + "' is listed twice");
      } else {
        names.add(item.value());
      }
    }
    return names;
  }

  /** The first non-blank line of the script, trimmed, cut to {@value #MAX_STEP_NAME} characters. */
  static String defaultStepName(String run) {
    String first = run.strip().lines().findFirst().orElse("").strip();
    if (first.codePointCount(0, first.length()) <= MAX_STEP_NAME) return first;
    return first.substring(0, first.offsetByCodePoints(0, MAX_STEP_NAME)).strip();
  }
}
