package org.handgrad.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny HTTP file server bound to the loopback address on a free port, for download tests. It
 * never contacts anything; it can ignore Range, break a response mid-way, stall, or redirect.
 */
final class LoopbackServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  final Map<String, byte[]> files = new ConcurrentHashMap<>();
  final Map<String, String> redirects = new ConcurrentHashMap<>();

  /** Range header of every request, or "" when absent. */
  final List<String> ranges = new CopyOnWriteArrayList<>();

  volatile boolean honourRange = true;

  /** When >= 0, the next response sends this many body bytes and then drops the connection. */
  volatile int breakAfter = -1;

  /** When > 0, responses send 100 bytes and then sleep this long. */
  volatile int stallMillis = 0;

  /** Send bodies without Content-Length (chunked). */
  volatile boolean chunked = false;

  private final HttpServer server;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "loopback-http");
            t.setDaemon(true);
            return t;
          });

  LoopbackServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  /** The URL of a path on this server, e.g. "/data/a.gz". */
  URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  /** A loopback URL on which nothing listens (connection refused). */
  static URI refusedUrl(String path) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String range = ex.getRequestHeaders().getFirst("Range");
      ranges.add(range == null ? "" : range);
      String target = redirects.get(path);
      if (target != null) {
        ex.getResponseHeaders().add("Location", target);
        ex.sendResponseHeaders(302, -1);
        return;
      }
      byte[] body = files.get(path);
      if (body == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      int from = 0;
      Matcher m = range == null ? null : RANGE.matcher(range);
      if (honourRange && m != null && m.matches()) {
        from = Integer.parseInt(m.group(1));
        if (from >= body.length) {
          ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
          ex.sendResponseHeaders(416, -1);
          return;
        }
        ex.getResponseHeaders()
            .add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        ex.sendResponseHeaders(206, body.length - from);
      } else {
        ex.sendResponseHeaders(200, chunked ? 0 : body.length);
      }
      OutputStream out = ex.getResponseBody();
      int n = body.length - from;
      if (breakAfter >= 0) {
        int k = Math.min(breakAfter, n);
        breakAfter = -1;
        out.write(body, from, k);
        out.flush();
        throw new IOException("test server: dropping the connection on purpose");
      }
      if (stallMillis > 0) {
        out.write(body, from, Math.min(100, n));
        out.flush();
        try {
          Thread.sleep(stallMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IOException("test server: stalled on purpose");
      }
      out.write(body, from, n);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
