package dev.moat.engine;

import static dev.moat.engine.ParseResults.problems;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The YAML layer: limits, malformed input and YAML features we refuse. */
class WorkflowYamlSafetyTest {
  /** Ten levels of nine aliases each: 9^9 strings once expanded. */
  private static String billionLaughs() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int level = 1; level < 10; level++) {
      yaml.append("a").append(level).append(": &a").append(level).append(" [");
      for (int i = 0; i < 9; i++) yaml.append(i == 0 ? "" : ", ").append("*a").append(level - 1);
      yaml.append("]\n");
    }
    return yaml.toString();
  }

  @Test
  void refusesAnAliasBombQuicklyWithTheAliasPosition() {
    // A guard against a hang, not a benchmark: an expanding parser would never finish.
    List<String> problems = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> problems(billionLaughs()));

    // The 51st alias to a list is the 6th on line 7 (a6): "a6: &a6 [" then 5 x "*a5, ".
    assertThat(problems).containsExactly("ci.yml:7:35: too many aliases to lists or mappings "
        + "(more than 50); refusing what looks like an alias bomb");
  }

  @Test
  void refusesATenMegabyteDocumentBySizeBeforeParsing() {
    String huge = "a: " + "[".repeat(10 * 1024 * 1024); // would be a YAML error if it were parsed

    assertThat(problems(huge)).containsExactly(
        "ci.yml:1:1: the file is 10485763 bytes; the limit is 262144 bytes");
  }

  @Test
  void countsTheSizeInUtf8Bytes() {
    String text = "# " + "é".repeat(140_000) + "\n"; // 140,003 chars, 280,003 bytes

    assertThat(problems(text)).containsExactly(
        "ci.yml:1:1: the file is 280003 bytes; the limit is 262144 bytes");
    assertThat(WorkflowParser.utf8Length("a€😀")).isEqualTo(1 + 3 + 4);
  }

  @Test
  void acceptsAFileJustUnderTheLimit() {
    String padding = "#" + "x".repeat(WorkflowParser.MAX_BYTES - 100) + "\n";
    String yaml = ParseResults.jobWith("steps: [{run: make}]");

    assertThat(ParseResults.parse(padding + yaml).jobs()).hasSize(1);
  }

  @Test
  void rejectsDuplicateKeysWithBothPositions() {
    assertThat(problems("""
        on: push
        jobs:
          build:
            steps: [{run: x}]
          build:
            steps: [{run: y}]
        """)).containsExactly("ci.yml:5:3: duplicate key 'build' (first at 3:3)");
    assertThat(problems("on: push\non: push\njobs: {a: {steps: [{run: x}]}}\n"))
        .containsExactly("ci.yml:2:1: duplicate key 'on' (first at 1:1)");
  }

  @Test
  void refusesMergeKeys() {
    assertThat(problems("""
        on: push
        jobs:
          a: &base
            steps: [{run: x}]
          b:
            <<: *base
            name: b
        """)).containsExactly(
        "ci.yml:6:5: merge keys ('<<') are not supported; write the keys out, or put an anchor on the whole value",
        "ci.yml:6:5: missing required key 'steps' in 'jobs.b'");
  }

  @Test
  void refusesAnExplicitMergeTagThatTheComposerWouldApplySilently() {
    assertThat(problems("""
        on: push
        jobs:
          a: &a {steps: [{run: x}]}
          b:
            !!merge <<: *a
        """)).containsExactly("ci.yml:5:5: merge keys ('<<') are not supported; "
        + "write the keys out, or put an anchor on the whole value");
  }

  @Test
  void readsSelfReferencingAliasesWithoutLooping() {
    assertThat(problems("on: &o [*o]\njobs: &j {a: {steps: *j}}\n")).containsExactly(
        "ci.yml:1:5: 'on[0]': expected a string, found a list",
        "ci.yml:2:7: 'jobs.a.steps': expected a list, found a mapping");
  }

  @Test
  void refusesOtherYamlTypesByTheirShortTag() {
    assertThat(problems(ParseResults.jobWith("timeout: !!binary aGVsbG8=", "steps: [{run: x}]")))
        .containsExactly("ci.yml:4:14: 'jobs.a.timeout': expected a string, found a value tagged '!!binary'");
  }

  @Test
  void turnsSyntaxErrorsIntoPositionedProblems() {
    assertThat(problems("on: push\njobs: [a, b\n")).containsExactly(
        "ci.yml:3:1: invalid YAML: expected ',' or ']', but got <stream end> "
            + "(while parsing a flow sequence at 2:7)");
    assertThat(problems("on: push\n\tjobs: x\n")).singleElement().asString()
        .startsWith("ci.yml:2:1: invalid YAML: found character '\\t(TAB)' that cannot start any token");
    assertThat(problems("on: push: now\n")).containsExactly(
        "ci.yml:1:9: invalid YAML: mapping values are not allowed here");
    assertThat(problems("on: *nowhere\n")).containsExactly(
        "ci.yml:1:5: invalid YAML: found undefined alias nowhere");
  }

  @Test
  void refusesControlCharacters() {
    assertThat(problems("on: push\nname: a\u0007b\n")).containsExactly(
        "ci.yml:2:8: invalid YAML: character U+0007 is not allowed");
  }

  @Test
  void allowsOnlyOneDocumentPerFile() {
    assertThat(problems("on: push\n---\non: push\n")).containsExactly(
        "ci.yml:2:1: only one YAML document is allowed per file (found a second '---')");
  }

  @Test
  void refusesDeepNestingInsteadOfOverflowingTheStack() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);

    assertThat(problems(deep)).containsExactly(
        "ci.yml:1:65: lists and mappings are nested more than 64 levels deep");
  }

  @Test
  void refusesAnEmptyFileAndANonMappingDocument() {
    assertThat(problems("")).containsExactly(
        "ci.yml:1:1: the file is empty; expected a mapping with 'on' and 'jobs'");
    assertThat(problems("# nothing here\n")).containsExactly(
        "ci.yml:1:1: the file is empty; expected a mapping with 'on' and 'jobs'");
    assertThat(problems("- on: push\n")).containsExactly(
        "ci.yml:1:1: expected a mapping with 'on' and 'jobs' at the top of the file, found a list");
  }

  @Test
  void refusesNonScalarKeys() {
    assertThat(problems("on: push\n? [a]\n: 1\n")).singleElement().asString()
        .startsWith("ci.yml:2:").endsWith("mapping keys must be plain values, not lists or mappings");
  }
}
