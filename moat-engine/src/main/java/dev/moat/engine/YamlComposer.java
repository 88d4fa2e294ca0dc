package dev.moat.engine;

import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.ComposerException;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.JsonSchema;

/**
 * Turns workflow (and placement policy) text into a snakeyaml node tree with positions, under hard limits, and turns every
 * snakeyaml failure into a {@link WorkflowException} with {@code file:line:col}.
 *
 * <p>This is what the low-level {@code Compose} API does (a node tree, no object construction),
 * with a {@link GuardedParser} between parser and composer for the limits that LoadSettings lacks.
 * Composing does not check duplicate keys (only snakeyaml's constructor does), so {@link
 * YamlMapping} checks them. Stateless.
 */
public final class YamlComposer {
  /** More aliases to lists or mappings than this is treated as an alias bomb. */
  static final int MAX_ALIASES = 50;
  /** A workflow needs about six levels; the rest is headroom for anchors and flow style. */
  static final int MAX_DEPTH = 64;

  private YamlComposer() {}

  /**
   * Composes the single document of {@code text}; empty when the text holds no document.
   *
   * @throws WorkflowException on any YAML error, with its position
   */
  public static Optional<Node> compose(String file, String text) {
    LoadSettings settings = LoadSettings.builder()
        .setLabel(file)
        .setAllowDuplicateKeys(false)
        .setAllowRecursiveKeys(false)
        .setMaxAliasesForCollections(MAX_ALIASES)
        .setCodePointLimit(WorkflowParser.MAX_BYTES)
        // The JSON schema leaves `<<` a plain string key; the core schema would make the composer
        // apply merges, which we refuse with a clear error instead.
        .setSchema(new JsonSchema())
        .build();
    var parser = new GuardedParser(
        new ParserImpl(settings, new StreamReader(settings, text)), file, MAX_DEPTH);
    try {
      return new Composer(settings, parser).getSingleNode();
    } catch (ReaderException e) {
      int[] position = position(text, e.getPosition());
      throw ProblemList.single(file, position[0], position[1],
          "invalid YAML: character U+%04X is not allowed".formatted(e.getCodePoint()));
    } catch (MarkedYamlEngineException e) {
      Optional<Mark> mark = e.getProblemMark().or(e::getContextMark).or(parser::lastMark);
      throw at(file, mark, message(e));
    } catch (YamlEngineException e) {
      throw at(file, parser.lastMark(), message(e));
    }
  }

  private static WorkflowException at(String file, Optional<Mark> mark, String message) {
    ProblemList problems = new ProblemList(file);
    problems.add(mark, message);
    return problems.exception();
  }

  private static String message(MarkedYamlEngineException e) {
    String context = e.getContext() == null ? "" : e.getContext();
    if (e instanceof ComposerException && context.startsWith("expected a single document")) {
      return "only one YAML document is allowed per file (found a second '---')";
    }
    String problem = e.getProblem() == null ? "malformed YAML" : e.getProblem();
    if (context.isEmpty()) return "invalid YAML: " + problem;
    String where = e.getContextMark()
        .map(m -> " at " + (m.getLine() + 1) + ":" + (m.getColumn() + 1))
        .orElse("");
    return "invalid YAML: " + problem + " (" + context + where + ")";
  }

  private static String message(YamlEngineException e) {
    String text = e.getMessage() == null ? "" : e.getMessage();
    if (text.startsWith("Number of aliases")) {
      return "too many aliases to lists or mappings (more than " + MAX_ALIASES
          + "); refusing what looks like an alias bomb";
    }
    if (text.startsWith("Non scalar key")) return "mapping keys must be plain values, not lists or mappings";
    if (text.startsWith("Recursive key")) return "a mapping key may not refer to itself";
    return "invalid YAML: " + text;
  }

  /** 1-based line and column of the code point at {@code index}, as snakeyaml counts them. */
  static int[] position(String text, int index) {
    int line = 1;
    int column = 1;
    int offset = 0;
    for (int i = 0; i < index && offset < text.length(); i++) {
      int cp = text.codePointAt(offset);
      offset += Character.charCount(cp);
      if (cp == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return new int[] {line, column};
  }
}
