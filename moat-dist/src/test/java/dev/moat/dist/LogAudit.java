package dev.moat.dist;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.moat.common.Json;
import dev.moat.common.mask.SecretForms;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Audits every log line that the server and agents in this JVM write while a test class runs
 * (registered for every moat-dist test class through JUnit's extension autodetection). Each line
 * is encoded by the same JSON encoder that writes Moat's real log ({@code logback.xml}), Moat's own
 * loggers at DEBUG and above and libraries at their configured levels, while the console keeps its own. After the class:
 * <ul>
 *   <li>every line is one JSON object with {@code ts}, {@code level} and {@code msg};
 *   <li>no line holds a Moat credential ({@code moat_<kind>_} and 43 random characters: job,
 *       agent, registration, admin and hook tokens) or a JWT (ID tokens, GitHub App JWTs);
 *   <li>no line holds any form ({@link SecretForms}) of a value a test declared secret with
 *       {@link #forbid}, e.g. the values the secrets suite stores and hands to jobs.
 * </ul>
 * Lines are kept only for the class; a value once forbidden stays forbidden for later classes.
 */
public final class LogAudit implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  /** A Moat token (kind and 32 random bytes, base64url) or a JWT (an ID token, an App JWT). */
  private static final Pattern CREDENTIAL =
      Pattern.compile("moat_[a-z]+_[A-Za-z0-9_-]{43}|eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.");
  private static final Set<String> FORBIDDEN = ConcurrentHashMap.newKeySet();
  private static final int MAX_LINES = 500_000;
  private static final String KEY = "capture";

  /** Declares {@code values} secret: no log line of this or a later test class may hold any form of them. */
  public static void forbid(String... values) {
    FORBIDDEN.addAll(List.of(values));
  }

  /** The lines captured so far in the running test, for tests that check fields. */
  public static List<JsonNode> lines() {
    Capture c = current;
    if (c == null) throw new IllegalStateException("no log capture: LogAudit is not registered");
    synchronized (c.lines) {
      return c.lines.subList(c.testStart, c.lines.size()).stream().map(Json.MAPPER::readTree).toList();
    }
  }

  /**
   * The one line that {@code logger} (a class's simple name) wrote with message {@code msg} for job
   * {@code jobId}; fails naming what was there when there is not exactly one.
   */
  public static JsonNode line(String logger, String msg, long jobId) {
    var found = lines().stream()
        .filter(n -> n.path("logger_name").asString().endsWith("." + logger) && msg.equals(n.path("msg").asString())
            && Long.toString(jobId).equals(n.path("job_id").asString()))
        .toList();
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " lines of " + logger + " '" + msg + "' for job " + jobId + " in: "
          + lines().stream().filter(n -> n.path("logger_name").asString().endsWith("." + logger)).toList());
    }
    return found.getFirst();
  }

  private static volatile Capture current;

  @Override
  public void beforeAll(ExtensionContext context) {
    var c = new Capture();
    c.attach();
    current = c;
    context.getStore(ExtensionContext.Namespace.create(LogAudit.class)).put(KEY, c);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Capture c = current;
    if (c != null) {
      synchronized (c.lines) {
        c.testStart = c.lines.size();
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    var c = (Capture) context.getStore(ExtensionContext.Namespace.create(LogAudit.class)).remove(KEY);
    if (c == null) return;
    c.detach();
    if (current == c) current = null;
    List<String> problems = c.problems();
    if (!problems.isEmpty()) {
      throw new AssertionError(problems.size() + " bad log line(s) in " + context.getDisplayName() + ":\n"
          + String.join("\n", problems.subList(0, Math.min(20, problems.size()))));
    }
  }

  /** One class's capture: an appender on the root logger sharing the console appender's encoder. */
  private static final class Capture extends AppenderBase<ILoggingEvent> {
    final List<String> lines = new ArrayList<>();
    /** Where the running test's lines start in {@link #lines}; guarded by it. */
    int testStart;
    private Encoder<ILoggingEvent> encoder;
    private Logger root;
    private Level rootLevel;
    private Logger moat;
    private Level moatLevel;
    private ThresholdFilter consoleFilter;
    private OutputStreamAppender<ILoggingEvent> console;
    private int dropped;

    @SuppressWarnings("unchecked")
    void attach() {
      root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      console = (OutputStreamAppender<ILoggingEvent>) root.getAppender("JSON");
      if (console == null) throw new IllegalStateException("no JSON appender on the root logger: is logback.xml on the classpath?");
      encoder = console.getEncoder();
      setContext((LoggerContext) LoggerFactory.getILoggerFactory());
      setName("log-audit");
      // The console keeps the level the suite runs at; the capture sees DEBUG too.
      rootLevel = root.getLevel();
      consoleFilter = new ThresholdFilter();
      consoleFilter.setLevel(rootLevel.toString());
      consoleFilter.start();
      console.addFilter(consoleFilter);
      super.start();
      root.addAppender(this);
      // Moat's own code at DEBUG; libraries stay at their configured levels (JGit at DEBUG costs minutes).
      moat = (Logger) LoggerFactory.getLogger("dev.moat");
      moatLevel = moat.getLevel();
      moat.setLevel(Level.DEBUG);
    }

    void detach() {
      moat.setLevel(moatLevel);
      root.detachAppender(this);
      console.clearAllFilters();
      stop();
    }

    @Override
    protected void append(ILoggingEvent event) {
      String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
      synchronized (lines) {
        if (lines.size() < MAX_LINES) lines.add(line);
        else dropped++;
      }
    }

    List<String> problems() {
      var out = new ArrayList<String>();
      if (dropped > 0) out.add(dropped + " lines beyond " + MAX_LINES + " were not checked");
      synchronized (lines) {
        out.addAll(LogAudit.problems(lines));
      }
      return out;
    }
  }

  /**
   * What is wrong with these log lines (as a Moat process wrote them, e.g. a daemon's log file): a
   * line that is not one JSON object with {@code ts}, {@code level} and {@code msg}, or that holds a
   * credential or a form of a forbidden value. Empty when all is well.
   */
  public static List<String> problems(List<String> lines) {
    var forms = new ArrayList<String>();
    for (String v : FORBIDDEN) {
      for (byte[] f : SecretForms.of(v)) forms.add(new String(f, StandardCharsets.UTF_8));
    }
    var out = new ArrayList<String>();
    for (String raw : lines) {
      String line = raw.endsWith("\n") ? raw.substring(0, raw.length() - 1) : raw;
      if (line.contains("\n")) out.add("not one line: " + line);
      // The raw line and its decoded values: JSON escaping must not hide a value from the check.
      var text = new StringBuilder(line);
      try {
        JsonNode n = Json.MAPPER.readTree(line);
        for (String f : List.of("ts", "level", "msg")) {
          if (!n.isObject() || !n.hasNonNull(f)) out.add("no " + f + ": " + line);
        }
        decoded(n, text);
      } catch (RuntimeException e) {
        out.add("not JSON (" + e.getMessage() + "): " + line);
      }
      if (CREDENTIAL.matcher(text).find()) out.add("a credential: " + line);
      for (String f : forms) if (text.indexOf(f) >= 0) out.add("a secret value's form: " + line);
    }
    return out;
  }

  private static void decoded(JsonNode n, StringBuilder into) {
    if (n.isString()) into.append('\n').append(n.asString());
    for (JsonNode child : n) decoded(child, into);
    if (n.isObject()) n.propertyNames().forEach(name -> into.append('\n').append(name));
  }
}
