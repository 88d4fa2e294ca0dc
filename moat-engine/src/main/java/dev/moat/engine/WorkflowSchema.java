package dev.moat.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Maps a composed workflow document to a {@link Workflow}, checking the whole schema and reporting
 * every problem at once. Strict: unknown keys are errors that list the allowed ones. Stateless.
 */
final class WorkflowSchema {
  static final List<String> TOP_KEYS = List.of("name", "on", "env", "jobs");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private WorkflowSchema() {}

  /**
   * @param document the composed document; empty when the file holds none
   * @throws WorkflowException with every problem found
   */
  static Workflow read(String file, Optional<Node> document) {
    ProblemList problems = new ProblemList(file);
    if (document.isEmpty()) {
      throw ProblemList.single(file, 1, 1, "the file is empty; expected a mapping with 'on' and 'jobs'");
    }
    if (!(document.get() instanceof MappingNode root)) {
      problems.add(document.get(), "expected a mapping with 'on' and 'jobs' at the top of the file, found "
          + YamlValues.describe(document.get()));
      throw problems.exception();
    }
    YamlMapping top = YamlMapping.of(root, problems);
    top.allowOnly(TOP_KEYS, "", problems);
    String name = top.get("name")
        .flatMap(e -> YamlValues.nonBlank(e.value(), "name", problems))
        .orElse(baseName(file));
    Optional<Triggers> on = top.required("on", "", problems)
        .flatMap(e -> TriggerSchema.read(e.value(), problems));
    Map<String, String> env = top.get("env").map(e -> env(e.value(), "env", problems)).orElse(Map.of());
    List<JobSchema.Draft> jobs = top.required("jobs", "", problems)
        .map(e -> JobSchema.readAll(e.value(), env, problems))
        .orElse(List.of());
    checkNeeds(jobs, problems);
    problems.throwIfAny();
    return new Workflow(file, name, on.orElseThrow(), env,
        jobs.stream().map(JobSchema.Draft::toSpec).toList());
  }

  /** An {@code env:} mapping; values are scalars taken as written, and null becomes "". */
  static Map<String, String> env(Node node, String path, ProblemList problems) {
    Map<String, String> env = new LinkedHashMap<>();
    Optional<YamlMapping> mapping = YamlValues.mapping(node, path, problems);
    for (YamlMapping.Entry entry : mapping.map(YamlMapping::entries).orElse(List.of())) {
      if (!ENV_NAME.matcher(entry.key()).matches()) {
        problems.add(entry.keyNode(), "'" + path + "': invalid variable name '" + entry.key()
            + "'; use letters, digits and '_', not starting with a digit");
      } else if (YamlValues.isNull(entry.value())) {
        env.put(entry.key(), "");
      } else {
        YamlValues.string(entry.value(), path + "." + entry.key(), problems)
            .ifPresent(value -> env.put(entry.key(), value));
      }
    }
    return env;
  }

  /** {@code .moat/workflows/ci.yml} becomes {@code ci}. */
  static String baseName(String file) {
    String base = file.substring(file.lastIndexOf('/') + 1);
    for (String suffix : List.of(".yml", ".yaml")) {
      if (base.endsWith(suffix) && base.length() > suffix.length()) {
        return base.substring(0, base.length() - suffix.length());
      }
    }
    return base;
  }

  /** Needs name other jobs of this workflow, at most once each, and form no cycle. */
  private static void checkNeeds(List<JobSchema.Draft> jobs, ProblemList problems) {
    Map<String, JobSchema.Draft> byId = new LinkedHashMap<>();
    jobs.forEach(job -> byId.put(job.id(), job));
    Map<String, List<String>> graph = new LinkedHashMap<>();
    Map<List<String>, Node> positions = new LinkedHashMap<>(); // [job, need] -> the needs entry
    for (JobSchema.Draft job : jobs) {
      List<String> edges = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (YamlValues.Item need : job.needs()) {
        String target = need.value();
        if (!seen.add(target)) {
          problems.add(need.node(), "job '" + job.id() + "' lists need '" + target + "' more than once");
        } else if (target.equals(job.id())) {
          problems.add(need.node(), "job '" + job.id() + "' needs itself");
        } else if (!byId.containsKey(target)) {
          problems.add(need.node(),
              "job '" + job.id() + "' needs '" + target + "', which is not a job of this workflow");
        } else {
          edges.add(target);
          positions.put(List.of(job.id(), target), need.node());
        }
      }
      graph.put(job.id(), edges);
    }
    for (List<String> cycle : NeedsGraph.cycles(graph)) {
      problems.add(positions.get(List.of(cycle.get(0), cycle.get(1))),
          "needs form a cycle: " + String.join(" -> ", cycle));
    }
  }
}
