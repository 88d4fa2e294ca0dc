package dev.moat.sandbox.ctx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's listener on one job's ctx socket: a JDK unix-domain server channel, a virtual thread
 * per connection, one request and one answer per connection in {@code moat-ctx}'s protocol
 * ({@code moat-ctx.c}):
 * <pre>
 *   request: "&lt;argc&gt;\n" then, per argument, "&lt;length&gt;\n&lt;bytes&gt;"
 *   answer:  "ok &lt;length&gt;\n&lt;bytes&gt;"  or  "err &lt;exit&gt; &lt;length&gt;\n&lt;message&gt;"
 * </pre>
 * Requests are bounded ({@link #MAX_ARGS} arguments, {@link #MAX_ARG_BYTES} each, header lines of
 * {@link #MAX_LINE} bytes) and so are concurrent connections ({@link #MAX_CONNECTIONS}; more are
 * refused at once): a job can't make the agent buffer without limit. The socket's file is made
 * mode 0666 inside the sandbox's 0700 ctx directory, which only the job's uid (and root) can enter.
 *
 * <p>Thread-safety: {@link Handler#handle} is called concurrently from connection threads;
 * {@link #close} may be called from any thread and ends every connection.
 */
public final class CtxServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CtxServer.class);
  public static final int MAX_ARGS = 16;
  public static final int MAX_ARG_BYTES = 64 * 1024;
  static final int MAX_LINE = 12;
  static final int MAX_CONNECTIONS = 16;

  /** What the agent does with a request; never throws for a refusal, it answers with one. */
  @FunctionalInterface
  public interface Handler {
    Answer handle(List<String> args);
  }

  /**
   * One answer.
   *
   * @param exit 0 for success, else the exit code of {@code moat-ctx} (1..125)
   * @param body the output on success, the reason otherwise
   */
  public record Answer(int exit, byte[] body) {
    public Answer {
      if (exit < 0 || exit > 125) throw new IllegalArgumentException("exit code out of range: " + exit);
      Objects.requireNonNull(body, "body");
    }

    public static Answer ok(byte[] body) {
      return new Answer(0, body);
    }

    public static Answer ok(String body) {
      return ok(body.getBytes(StandardCharsets.UTF_8));
    }

    public static Answer error(int exit, String reason) {
      if (exit == 0) throw new IllegalArgumentException("an error has a non-zero exit");
      return new Answer(exit, reason.getBytes(StandardCharsets.UTF_8));
    }
  }

  private final Path path;
  private final ServerSocketChannel server;
  private final Handler handler;
  private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean closed;

  private CtxServer(Path path, ServerSocketChannel server, Handler handler, String name) {
    this.path = path;
    this.server = server;
    this.handler = handler;
    this.acceptor = Thread.ofVirtual().name("ctx-" + name).start(this::acceptLoop);
  }

  /** Binds {@code socket} (which must not exist yet) and starts serving it. */
  public static CtxServer start(Path socket, Handler handler, String name) throws IOException {
    Objects.requireNonNull(handler, "handler");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    return new CtxServer(socket, server, handler, name);
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) LOG.warn("ctx socket {} stopped accepting: {}", path, e.toString());
        return;
      }
      if (!slots.tryAcquire()) {
        answerAndClose(client, Answer.error(4, "too many concurrent moat-ctx calls in this job"));
        continue;
      }
      open.add(client);
      Thread.ofVirtual().name("ctx-conn").start(() -> {
        try {
          answerAndClose(client, answer(client));
        } finally {
          open.remove(client);
          slots.release();
        }
      });
    }
  }

  private Answer answer(SocketChannel client) {
    List<String> args;
    try {
      args = readRequest(Channels.newInputStream(client));
    } catch (BadRequest e) {
      return Answer.error(2, e.getMessage());
    } catch (IOException e) {
      return Answer.error(4, "could not read the request: " + e.getMessage());
    }
    try {
      return handler.handle(args);
    } catch (RuntimeException e) {
      LOG.warn("ctx request failed", e);
      return Answer.error(4, "the agent failed to answer: " + e.getMessage());
    }
  }

  static final class BadRequest extends IOException {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message);
    }
  }

  /** Parses one request; never reads more than its bounds allow. */
  static List<String> readRequest(InputStream in) throws IOException {
    int argc = number(in, MAX_ARGS, "argument count");
    List<String> args = new ArrayList<>(argc);
    for (int i = 0; i < argc; i++) {
      int length = number(in, MAX_ARG_BYTES, "argument length");
      byte[] arg = in.readNBytes(length);
      if (arg.length != length) throw new BadRequest("request cut short");
      args.add(new String(arg, StandardCharsets.UTF_8));
    }
    return args;
  }

  private static int number(InputStream in, int max, String what) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) throw new BadRequest("request cut short");
      if (b == '\n') break;
      if (b < '0' || b > '9' || line.size() >= MAX_LINE) throw new BadRequest("malformed request (" + what + ")");
      line.write(b);
    }
    if (line.size() == 0) throw new BadRequest("malformed request (" + what + ")");
    long n = Long.parseLong(line.toString(StandardCharsets.US_ASCII));
    if (n > max) throw new BadRequest(what + " " + n + " exceeds the limit of " + max);
    return (int) n;
  }

  private static void answerAndClose(SocketChannel client, Answer answer) {
    try (client) {
      String head = answer.exit() == 0 ? "ok " + answer.body().length + "\n"
          : "err " + answer.exit() + " " + answer.body().length + "\n";
      ByteBuffer out = ByteBuffer.allocate(head.length() + answer.body().length);
      out.put(head.getBytes(StandardCharsets.US_ASCII)).put(answer.body()).flip();
      while (out.hasRemaining()) client.write(out);
    } catch (IOException e) {
      LOG.debug("ctx client went away before its answer: {}", e.toString());
    }
  }

  /** Stops accepting, ends open connections and removes the socket file. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("closing ctx socket {}: {}", path, e.toString());
    }
    for (SocketChannel c : open) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
    try {
      acceptor.join(2000);
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.debug("removing ctx socket {}: {}", path, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
