package dev.moat.engine;

import static dev.moat.engine.ParseResults.jobWith;
import static dev.moat.engine.ParseResults.parse;
import static dev.moat.engine.ParseResults.problems;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkflowParserTest {
  @Test
  void readsEveryFieldOfAFullWorkflow() {
    Workflow workflow = parse("""
        name: ci
        on:
          push:
            branches: [main, 'release/**']
        env:
          GREETING: hello
          VERSION: 1.10
          DEBUG: true
          EMPTY:
        jobs:
          build:
            name: Build it
            runs-on: [linux, x64]
            image: debian-bookworm
            env:
              GREETING: hi
              ONLY_BUILD: "1"
            timeout: 15m
            steps:
              - run: |
                  ./gradlew build
                  echo done
              - name: upload
                run: ./upload.sh
          test:
            runs-on: linux
            needs: build
            steps:
              - run: ./test.sh
          deploy:
            needs: [build, test]
            timeout: 90
            steps:
              - run: ./deploy.sh
        """);

    assertThat(workflow.file()).isEqualTo("ci.yml");
    assertThat(workflow.name()).isEqualTo("ci");
    assertThat(workflow.on()).isEqualTo(
        new Triggers(Optional.of(new Triggers.BranchFilter(List.of("main", "release/**")))));
    assertThat(workflow.env()).containsExactlyInAnyOrderEntriesOf(
        Map.of("GREETING", "hello", "VERSION", "1.10", "DEBUG", "true", "EMPTY", ""));
    assertThat(workflow.jobs()).extracting(JobSpec::id).containsExactly("build", "test", "deploy");

    JobSpec build = workflow.jobs().get(0);
    assertThat(build).isEqualTo(new JobSpec("build", "Build it", List.of("linux", "x64"), List.of(),
        Map.of("GREETING", "hi", "VERSION", "1.10", "DEBUG", "true", "EMPTY", "", "ONLY_BUILD", "1"),
        Duration.ofMinutes(15),
        List.of(new StepSpec("./gradlew build", "./gradlew build\necho done\n"),
            new StepSpec("upload", "./upload.sh")),
        Optional.of("debian-bookworm")));
    JobSpec test = workflow.jobs().get(1);
    assertThat(test.name()).isEqualTo("test");
    assertThat(test.runsOn()).containsExactly("linux");
    assertThat(test.needs()).containsExactly("build");
    assertThat(test.timeout()).isEqualTo(Duration.ofMinutes(60));
    assertThat(test.env()).isEqualTo(workflow.env());
    assertThat(test.image()).isEmpty();
    JobSpec deploy = workflow.jobs().get(2);
    assertThat(deploy.needs()).containsExactly("build", "test");
    assertThat(deploy.runsOn()).isEmpty();
    assertThat(deploy.timeout()).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void defaultsTheNameToTheFileBaseName() {
    String yaml = jobWith("steps: [{run: make}]");
    assertThat(WorkflowParser.parse(".moat/workflows/nightly.yaml", yaml).name()).isEqualTo("nightly");
    assertThat(WorkflowParser.parse(".moat/workflows/ci.yml", yaml).name()).isEqualTo("ci");
    assertThat(WorkflowParser.parse("build", yaml).name()).isEqualTo("build");
  }

  @Test
  void defaultsAStepNameToTheFirstLineOfItsScript() {
    String longLine = "echo " + "x".repeat(100);
    Workflow workflow = parse(jobWith(
        "steps:",
        "  - run: |",
        "      ",
        "      echo hello   ",
        "      second line",
        "  - run: " + longLine));

    List<StepSpec> steps = workflow.jobs().get(0).steps();
    assertThat(steps.get(0).name()).isEqualTo("echo hello");
    assertThat(steps.get(1).name()).isEqualTo(longLine.substring(0, 60)).hasSize(60);
  }

  @Test
  void expandsAnchorsAndAliases() {
    Workflow workflow = parse("""
        on: push
        jobs:
          a:
            steps: &steps
              - run: make
          b:
            steps: *steps
        """);

    assertThat(workflow.jobs().get(1).steps()).containsExactly(new StepSpec("make", "make"));
  }

  @Test
  void readsAStepsSecretsAndRefusesBadNamesAndRepeats() {
    Workflow workflow = parse(jobWith("steps:", "  - run: deploy", "    secrets: [API_TOKEN, _x1]", "  - run: test"));
    var steps = workflow.jobs().getFirst().steps();
    assertThat(steps.get(0).secrets()).containsExactly("API_TOKEN", "_x1");
    assertThat(steps.get(1).secrets()).isEmpty();

    assertThat(problems(jobWith("steps: [{run: x, secrets: [1BAD, ok, ok, 'a-b']}]"))).containsExactly(
        "ci.yml:4:32: 'jobs.a.steps[0].secrets': '1BAD' is not a secret name: use letters, digits and '_', not starting with a digit, at most 64",
        "ci.yml:4:42: 'jobs.a.steps[0].secrets': secret 'ok' is listed twice",
        "ci.yml:4:46: 'jobs.a.steps[0].secrets': 'a-b' is not a secret name: use letters, digits and '_', not starting with a digit, at most 64");
  }

  @Test
  void rejectsUnknownTopLevelKeyWithPositionAndAllowedKeys() {
    assertThat(problems("""
        name: ci
        on: push
        nmae: x
        jobs: {a: {steps: [{run: make}]}}
        """)).containsExactly("ci.yml:3:1: unknown key 'nmae'; allowed: name, on, env, jobs");
  }

  @Test
  void rejectsUnknownJobKeyWithPosition() {
    assertThat(problems(jobWith("container: debian", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:5: unknown key 'container' in 'jobs.a'; allowed: name, runs-on, image, needs, env, timeout, steps, environment");
  }

  @Test
  void readsAJobsEnvironment() {
    Workflow wf = WorkflowParser.parse("ci.yml", jobWith("environment: production", "steps: [{run: make}]"));
    assertThat(wf.jobs().getFirst().environment()).contains("production");
    Workflow none = WorkflowParser.parse("ci.yml", jobWith("steps: [{run: make}]"));
    assertThat(none.jobs().getFirst().environment()).isEmpty();
  }

  @Test
  void rejectsAnEnvironmentThatIsNotAnEnvironmentName() {
    assertThat(problems(jobWith("environment: Prod/EU", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:18: 'jobs.a.environment': 'Prod/EU' is not an environment name: use lower-case letters, digits, "
            + "'_' and '-', at most 64, starting with a letter or digit");
  }

  @Test
  void rejectsAnImageThatIsNotAnImageName() {
    assertThat(problems(jobWith("image: ../Debian:latest", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:12: 'jobs.a.image': '../Debian:latest' is not an image name: use lower-case letters, digits, "
            + "'.', '_' and '-', at most 64, starting with a letter or digit");
  }

  @Test
  void rejectsUnknownStepKeyWithPosition() {
    assertThat(problems(jobWith("steps:", "  - run: make", "    uses: actions/checkout"))).containsExactly(
        "ci.yml:6:9: unknown key 'uses' in 'jobs.a.steps[0]'; allowed: name, run, secrets");
  }

  @Test
  void saysWhatTypeWasExpectedAndWhatWasFound() {
    assertThat(problems(jobWith("runs-on: {os: linux}", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:14: 'jobs.a.runs-on': expected a string or a list of strings, found a mapping");
    assertThat(problems(jobWith("needs: [[b]]", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:13: 'jobs.a.needs[0]': expected a string, found a list");
    assertThat(problems(jobWith("steps: make"))).containsExactly(
        "ci.yml:4:12: 'jobs.a.steps': expected a list, found a string");
    assertThat(problems(jobWith("steps: [make]"))).containsExactly(
        "ci.yml:4:13: 'jobs.a.steps[0]': expected a mapping, found a string");
    assertThat(problems(jobWith("name: [x]", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:11: 'jobs.a.name': expected a string, found a list");
    assertThat(problems("on: push\njobs: [a]\n")).containsExactly(
        "ci.yml:2:7: 'jobs': expected a mapping, found a list");
    assertThat(problems("on: push\njobs:\n  a: run make\n")).containsExactly(
        "ci.yml:3:6: 'jobs.a': expected a mapping, found a string");
    assertThat(problems(jobWith("steps: [{run: !custom make}]"))).containsExactly(
        "ci.yml:4:19: 'jobs.a.steps[0].run': expected a string, found a value tagged '!custom'");
  }

  @Test
  void rejectsMissingRequiredKeys() {
    assertThat(problems("name: x\n")).containsExactly(
        "ci.yml:1:1: missing required key 'on'", "ci.yml:1:1: missing required key 'jobs'");
    assertThat(problems(jobWith("name: b"))).containsExactly(
        "ci.yml:4:5: missing required key 'steps' in 'jobs.a'");
    assertThat(problems(jobWith("steps:", "  - name: no script"))).containsExactly(
        "ci.yml:5:9: missing required key 'run' in 'jobs.a.steps[0]'");
  }

  @Test
  void rejectsEmptyJobsStepsAndScripts() {
    assertThat(problems("on: push\njobs: {}\n")).containsExactly(
        "ci.yml:2:7: 'jobs' must define at least one job");
    assertThat(problems(jobWith("steps: []"))).containsExactly(
        "ci.yml:4:12: 'jobs.a.steps' must list at least one step");
    assertThat(problems(jobWith("steps: [{run: '  '}]"))).containsExactly(
        "ci.yml:4:19: 'jobs.a.steps[0].run' must not be blank");
    assertThat(problems(jobWith("runs-on: [linux, '']", "steps: [{run: make}]"))).containsExactly(
        "ci.yml:4:22: 'jobs.a.runs-on': a label must not be blank");
  }

  @Test
  void rejectsInvalidJobIds() {
    assertThat(problems("on: push\njobs:\n  1st: {steps: [{run: make}]}\n")).containsExactly(
        "ci.yml:3:3: invalid job id '1st'; use letters, digits, '_' and '-', starting with a letter or '_'");
    String longId = "j".repeat(65);
    assertThat(problems("on: push\njobs:\n  " + longId + ": {steps: [{run: make}]}\n")).containsExactly(
        "ci.yml:3:3: job id '" + longId + "' is longer than 64 characters");
    assertThat(parse("on: push\njobs:\n  " + "j".repeat(64) + ": {steps: [{run: make}]}\n").jobs())
        .hasSize(1);
    assertThat(parse("on: push\njobs:\n  _build-2_x: {steps: [{run: make}]}\n").jobs().get(0).id())
        .isEqualTo("_build-2_x");
  }

  @Test
  void rejectsBadEnvironmentNamesAndValues() {
    assertThat(problems("""
        on: push
        env:
          BAD-NAME: x
          LIST: [1]
        jobs:
          a:
            env: {OK: 1, MAP: {k: v}}
            steps: [{run: make}]
        """)).containsExactly(
        "ci.yml:3:3: 'env': invalid variable name 'BAD-NAME'; use letters, digits and '_', not starting with a digit",
        "ci.yml:4:9: 'env.LIST': expected a string, found a list",
        "ci.yml:7:23: 'jobs.a.env.MAP': expected a string, found a mapping");
  }

  @Test
  void reportsSeveralProblemsTogetherInFileOrder() {
    WorkflowException e = org.junit.jupiter.api.Assertions.assertThrows(WorkflowException.class,
        () -> parse("""
            on: schedule
            jobs:
              build:
                timeout: 2d
                steps:
                  - run: make
                    uses: actions/checkout
              test:
                needs: [biuld]
            """));

    assertThat(e.getMessage()).isEqualTo(String.join("\n",
        "ci.yml:1:5: unsupported trigger 'schedule'; supported: push, pull_request",
        "ci.yml:4:14: 'jobs.build.timeout': invalid duration '2d'; use e.g. 90s, 15m, 1h30m or a number of minutes",
        "ci.yml:7:9: unknown key 'uses' in 'jobs.build.steps[0]'; allowed: name, run, secrets",
        "ci.yml:9:5: missing required key 'steps' in 'jobs.test'",
        "ci.yml:9:13: job 'test' needs 'biuld', which is not a job of this workflow"));
    assertThat(e.problems()).hasSize(5).first()
        .isEqualTo(new WorkflowException.Problem("ci.yml", 1, 5,
            "unsupported trigger 'schedule'; supported: push, pull_request"));
  }

  @Test
  void keepsEnvironmentValuesAsWritten() {
    Workflow workflow = parse("""
        on: push
        env: {A: 1.10, B: 007, C: yes, D: null, E: 'quoted: text'}
        jobs: {a: {env: {A: override}, steps: [{run: make}]}}
        """);

    assertThat(workflow.env()).containsOnly(entry("A", "1.10"), entry("B", "007"), entry("C", "yes"),
        entry("D", ""), entry("E", "quoted: text"));
    assertThat(workflow.jobs().get(0).env()).containsEntry("A", "override").containsEntry("B", "007");
  }
}
