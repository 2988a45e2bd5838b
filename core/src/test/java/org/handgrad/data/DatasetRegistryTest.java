package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery, the built-in registry, and fetching datasets from a loopback server. */
class DatasetRegistryTest {
  @TempDir Path tmp;

  private final Downloader fast = new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(5));

  @Test
  void dataDirResolutionOrder() {
    Path home = tmp.resolve("home");
    Map<String, String> env = Map.of(DataDirs.ENV, tmp.resolve("env").toString());
    assertEquals(tmp.resolve("cli"), DataDirs.resolve(tmp.resolve("cli"), env, home).dataDir());
    DataDirs fromEnv = DataDirs.resolve(null, env, home);
    assertEquals(tmp.resolve("env"), fromEnv.dataDir());
    assertEquals("$HANDGRAD_DATA", fromEnv.origin());
    DataDirs def = DataDirs.resolve(null, Map.of(), home);
    assertEquals(home.resolve(".handgrad/data"), def.dataDir());
    assertEquals(home.resolve(".handgrad/data/mnist"), def.datasetDir("mnist"));
  }

  @Test
  void builtInRegistryFacts() {
    DatasetRegistry r = DatasetRegistry.defaults();
    assertEquals("fashion-mnist, mnist, cifar10, shapes", r.names());
    DatasetInfo f = r.get("fashion-mnist");
    assertEquals("dataset-fashion-mnist", f.aptPackage());
    assertEquals(List.of(Path.of("/usr/share/datasets/fashion-mnist")), f.systemDirs());
    assertEquals(26_421_880 + 29_515 + 4_422_102 + 5_148, f.downloadSize());
    for (DatasetInfo d : r.all()) {
      for (DatasetInfo.RemoteFile file : d.files()) {
        assertTrue(file.expected().sha256().matches("[0-9a-f]{64}"), file.fileName());
        assertTrue(file.expected().md5().matches("[0-9a-f]{32}"), file.fileName());
      }
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> r.get("imagenet"));
    assertEquals(
        "unknown dataset 'imagenet'; known datasets: fashion-mnist, mnist, cifar10, shapes",
        e.getMessage());
  }

  @Test
  void locatePrefersTheDataDirThenSystemDirs() throws IOException {
    Path system = IdxFiles.writeDataset(tmp.resolve("system"), 10, 10);
    DatasetInfo info = tinyIdx(List.of(), List.of(system));
    DatasetRegistry r = new DatasetRegistry(List.of(info));
    DataDirs dirs = new DataDirs(tmp.resolve("data"), "test");
    assertEquals(system, r.locate(info, dirs).orElseThrow());
    IdxFiles.writeDataset(dirs.datasetDir("tiny"), 20, 10);
    assertEquals(dirs.datasetDir("tiny"), r.locate(info, dirs).orElseThrow());
    assertEquals(20, r.load("tiny", dirs).train().size());
    Files.delete(dirs.datasetDir("tiny").resolve("t10k-labels-idx1-ubyte.gz"));
    assertEquals(system, r.locate(info, dirs).orElseThrow(), "incomplete folders are skipped");
  }

  @Test
  void loadingAMissingDatasetSaysHowToGetIt() {
    DatasetRegistry r = DatasetRegistry.defaults();
    DataDirs dirs = new DataDirs(tmp.resolve("data"), "test");
    IOException e = assertThrows(IOException.class, () -> r.load("cifar10", dirs));
    assertTrue(e.getMessage().contains("cifar10 is not available"), e.getMessage());
    assertTrue(
        e.getMessage().contains("./handgrad data fetch cifar10 (170.1 MB; needs network"),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"),
        e.getMessage());
    assertTrue(e.getMessage().contains(dirs.datasetDir("cifar10").toString()), e.getMessage());
  }

  @Test
  void shapesLoadsWithoutFiles() throws IOException {
    DatasetInfo shapes = DatasetRegistry.defaults().get("shapes");
    assertTrue(
        DatasetRegistry.howToGet(shapes, new DataDirs(tmp, "t")).contains("nothing to download"));
  }

  @Test
  void fetchesAnIdxDatasetTryingMirrorsInOrder() throws Exception {
    Path src = IdxFiles.writeDataset(tmp.resolve("src"), 30, 10);
    try (LoopbackServer server = new LoopbackServer()) {
      List<DatasetInfo.RemoteFile> files = new ArrayList<>();
      for (String name : Mnist.FILES) {
        byte[] b = Files.readAllBytes(src.resolve(name));
        server.files.put("/mirror/" + name, b);
        files.add(
            new DatasetInfo.RemoteFile(
                name,
                List.of(LoopbackServer.refusedUrl("/" + name), server.url("/mirror/" + name)),
                new Downloader.Expected(b.length, DownloaderTest.sha256(b), DownloaderTest.md5(b)),
                false));
      }
      DatasetInfo info = tinyIdx(files, List.of());
      DataDirs dirs = new DataDirs(tmp.resolve("data"), "test");
      List<String> seen = new ArrayList<>();
      Path dir =
          new DatasetFetcher(fast)
              .fetch(
                  info,
                  dirs,
                  null,
                  (f, url) -> {
                    seen.add(url.getPath());
                    return Downloader.Progress.NONE;
                  });
      assertEquals(dirs.datasetDir("tiny"), dir);
      assertEquals(8, seen.size(), "each file: the refused URL, then the mirror");
      Dataset d = new DatasetRegistry(List.of(info)).load("tiny", dirs);
      assertEquals(30, d.train().size());
    }
  }

  @Test
  void fetchingWhileOfflineExplainsEveryOption() throws Exception {
    DatasetInfo real = DatasetRegistry.defaults().get("fashion-mnist");
    List<DatasetInfo.RemoteFile> refused = new ArrayList<>();
    for (DatasetInfo.RemoteFile f : real.files()) {
      refused.add(
          new DatasetInfo.RemoteFile(
              f.fileName(),
              List.of(LoopbackServer.refusedUrl("/" + f.fileName())),
              f.expected(),
              false));
    }
    DatasetInfo offline =
        new DatasetInfo(
            real.name(),
            real.title(),
            real.kind(),
            real.homepage(),
            real.classNames(),
            refused,
            real.requiredFiles(),
            real.systemDirs(),
            real.aptPackage());
    DataDirs dirs = new DataDirs(tmp.resolve("data"), "test");
    Downloader.UnreachableException e =
        assertThrows(
            Downloader.UnreachableException.class,
            () ->
                new DatasetFetcher(fast)
                    .fetch(offline, dirs, null, (f, u) -> Downloader.Progress.NONE));
    String m = e.getMessage();
    assertTrue(m.contains("connection refused"), m);
    assertTrue(m.contains("copy the file(s) into " + dirs.datasetDir("fashion-mnist")), m);
    assertTrue(m.contains("sudo apt-get install dataset-fashion-mnist"), m);
    assertTrue(m.contains("/usr/share/datasets/fashion-mnist"), m);
    assertTrue(m.contains("'shapes'"), m);
  }

  @Test
  void fetchesAndExtractsACifarArchiveFromAMirror() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("cifar-10-batches-bin/", null);
    for (int b = 0; b < 5; b++) {
      entries.put("cifar-10-batches-bin/" + Cifar10.TRAIN_FILES.get(b), Cifar10Test.batch(b, 2));
    }
    entries.put("cifar-10-batches-bin/test_batch.bin", Cifar10Test.batch(5, 2));
    entries.put(
        "cifar-10-batches-bin/batches.meta.txt", String.join("\n", Cifar10.CLASSES).getBytes());
    byte[] archive = IdxFiles.gzip(TarFiles.tar(entries));
    DatasetInfo real = DatasetRegistry.defaults().get("cifar10");
    DatasetInfo.RemoteFile f = real.files().get(0);
    DatasetInfo test =
        new DatasetInfo(
            real.name(),
            real.title(),
            real.kind(),
            real.homepage(),
            real.classNames(),
            List.of(
                new DatasetInfo.RemoteFile(
                    f.fileName(),
                    f.urls(),
                    new Downloader.Expected(archive.length, DownloaderTest.sha256(archive), null),
                    true)),
            real.requiredFiles(),
            real.systemDirs(),
            real.aptPackage());
    try (LoopbackServer server = new LoopbackServer()) {
      server.files.put("/m/cifar-10-binary.tar.gz", archive);
      DataDirs dirs = new DataDirs(tmp.resolve("data"), "test");
      URI mirror = server.url("/m"); // no trailing slash: the fetcher adds it
      Path dir =
          new DatasetFetcher(fast).fetch(test, dirs, mirror, (x, u) -> Downloader.Progress.NONE);
      assertFalse(Files.exists(dir.resolve("cifar-10-binary.tar.gz")), "archive removed");
      assertTrue(DatasetRegistry.isComplete(test, dir));
      assertEquals(10, Cifar10.load(dir, 2).train().size());
      // A second fetch finds the extracted files and downloads nothing.
      new DatasetFetcher(fast).fetch(test, dirs, mirror, (x, u) -> Downloader.Progress.NONE);
      assertEquals(1, server.ranges.size());
    }
  }

  private static DatasetInfo tinyIdx(List<DatasetInfo.RemoteFile> files, List<Path> systemDirs) {
    return new DatasetInfo(
        "tiny",
        "test data",
        DatasetInfo.Kind.IDX,
        "none",
        Mnist.DIGITS,
        files,
        Mnist.FILES,
        systemDirs,
        null);
  }
}
