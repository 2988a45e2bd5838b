package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetInfo;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.handgrad.data.Mnist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code data list} and {@code data fetch} against temp folders and a loopback HTTP server. */
class DataCommandTest {
  @TempDir Path tmp;

  private HttpServer server;
  private final Map<String, byte[]> served = new ConcurrentHashMap<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          try (ex) {
            byte[] body = served.get(ex.getRequestURI().getPath());
            if (body == null) {
              ex.sendResponseHeaders(404, -1);
              return;
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private static URI refused(String path) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private int run(DatasetRegistry registry, Map<String, String> env, String... args) {
    DataCommand command =
        new DataCommand(
            registry,
            env,
            tmp.resolve("home"),
            new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(5)),
            () -> false);
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  /** A gzipped IDX file: n images of 4x4 (idx3) or n labels (idx1). */
  private static byte[] idx(boolean images, int n) throws IOException {
    int dims = images ? 3 : 1;
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    raw.write(new byte[] {0, 0, 8, (byte) dims});
    int[] shape = images ? new int[] {n, 4, 4} : new int[] {n};
    int count = 1;
    for (int d : shape) {
      raw.write(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
      count *= d;
    }
    for (int i = 0; i < count; i++) {
      raw.write(i % 10);
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream g = new GZIPOutputStream(gz)) {
      g.write(raw.toByteArray());
    }
    return gz.toByteArray();
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** A small IDX dataset named {@code name}, served by the loopback server (or refused). */
  private DatasetInfo tiny(String name, boolean reachable, List<Path> systemDirs) throws Exception {
    List<DatasetInfo.RemoteFile> files = new ArrayList<>();
    for (String f : Mnist.FILES) {
      byte[] b = idx(f.contains("images"), 20);
      served.put("/" + name + "/" + f, b);
      URI u = reachable ? url("/" + name + "/" + f) : refused("/" + f);
      files.add(
          new DatasetInfo.RemoteFile(
              f, List.of(u), new Downloader.Expected(b.length, sha256(b), null), false));
    }
    return new DatasetInfo(
        name,
        "test",
        DatasetInfo.Kind.IDX,
        "none",
        Mnist.DIGITS,
        files,
        Mnist.FILES,
        systemDirs,
        name.equals("offline") ? "dataset-offline" : null);
  }

  @Test
  void fetchDownloadsVerifiesAndShowsProgress() throws Exception {
    DatasetRegistry r = new DatasetRegistry(List.of(tiny("tiny", true, List.of())));
    Path data = tmp.resolve("data");
    int code = run(r, Map.of(), "fetch", "tiny", "--data-dir", data.toString());
    assertEquals(0, code, err.toString());
    for (String f : Mnist.FILES) {
      assertTrue(Files.isRegularFile(data.resolve("tiny").resolve(f)), f);
    }
    assertTrue(out.toString().contains("tiny is ready in " + data.resolve("tiny")), out.toString());
    assertTrue(err.toString().contains("train-images-idx3-ubyte.gz 100% ["), err.toString());
    assertTrue(err.toString().contains("fetching tiny"), err.toString());
    // Now it is found, and a second fetch does nothing.
    out.getBuffer().setLength(0);
    assertEquals(0, run(r, Map.of(), "fetch", "tiny", "--data-dir", data.toString()));
    assertTrue(out.toString().contains("already available in " + data.resolve("tiny")));
  }

  @Test
  void fetchUsesHandgradDataFromTheEnvironment() throws Exception {
    DatasetRegistry r = new DatasetRegistry(List.of(tiny("tiny", true, List.of())));
    Path env = tmp.resolve("from-env");
    assertEquals(0, run(r, Map.of(DataDirs.ENV, env.toString()), "fetch", "tiny"), err.toString());
    assertTrue(Files.isRegularFile(env.resolve("tiny/t10k-labels-idx1-ubyte.gz")));
  }

  @Test
  void fetchFromAMirror() throws Exception {
    DatasetRegistry r = new DatasetRegistry(List.of(tiny("tiny", false, List.of())));
    // The registry's URLs refuse; the mirror serves /tiny/<file>.
    int code =
        run(
            r,
            Map.of(),
            "fetch",
            "tiny",
            "--data-dir",
            tmp.resolve("d").toString(),
            "--mirror",
            url("/tiny/").toString());
    assertEquals(0, code, err.toString());
  }

  @Test
  void offlineFetchFailsWithInstructions() throws Exception {
    DatasetRegistry r =
        new DatasetRegistry(List.of(tiny("offline", false, List.of(tmp.resolve("sys")))));
    Path data = tmp.resolve("data");
    int code = run(r, Map.of(), "fetch", "offline", "--data-dir", data.toString());
    assertEquals(1, code);
    String e = err.toString();
    assertTrue(e.contains("error: cannot download offline (offline?)"), e);
    assertTrue(e.contains("connection refused"), e);
    assertTrue(e.contains("copy the file(s) into " + data.resolve("offline")), e);
    assertTrue(e.contains("sudo apt-get install dataset-offline"), e);
  }

  @Test
  void unknownAndSyntheticNames() throws Exception {
    DatasetRegistry r = DatasetRegistry.defaults();
    assertEquals(2, run(r, Map.of(), "fetch", "imagenet"));
    assertTrue(
        err.toString().contains("known datasets: fashion-mnist, mnist, cifar10, shapes"),
        err.toString());
    assertEquals(0, run(r, Map.of(), "fetch", "shapes"));
    assertTrue(out.toString().contains("shapes is generated on the fly"), out.toString());
  }

  @Test
  void listShowsFoundMissingAndBuiltIn() throws Exception {
    Path sys = tmp.resolve("sys");
    Files.createDirectories(sys);
    DatasetInfo present = tiny("present", true, List.of(sys));
    for (String f : Mnist.FILES) {
      Files.write(sys.resolve(f), served.get("/present/" + f));
    }
    DatasetRegistry real = DatasetRegistry.defaults();
    DatasetRegistry r =
        new DatasetRegistry(List.of(present, real.get("cifar10"), real.get("shapes")));
    Path data = tmp.resolve("data");
    assertEquals(0, run(r, Map.of(), "list", "--data-dir", data.toString()), err.toString());
    String s = out.toString();
    assertTrue(
        s.matches(
            "(?s).*present\\s+found\\s+\\S+ \\S*B\\s+"
                + sys.toString().replace("\\", "\\\\")
                + ".*"),
        s);
    assertTrue(s.matches("(?s).*cifar10\\s+missing\\s+170.1 MB\\s+not in .*"), s);
    assertTrue(s.contains("./handgrad data fetch cifar10"), s);
    assertTrue(s.matches("(?s).*shapes\\s+built-in.*"), s);
    assertTrue(s.contains("data folder: " + data + " (--data-dir"), s);
  }

  @Test
  void listDefaultsToTheHomeFolder() {
    assertEquals(0, run(DatasetRegistry.defaults(), Map.of(), "list"));
    assertTrue(
        out.toString().contains("data folder: " + tmp.resolve("home/.handgrad/data") + " (default"),
        out.toString());
  }
}
