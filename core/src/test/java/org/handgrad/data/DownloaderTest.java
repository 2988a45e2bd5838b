package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader against a real HTTP server on 127.0.0.1; no other address is contacted. */
class DownloaderTest {
  @TempDir Path tmp;

  private LoopbackServer server;
  private final byte[] content = new byte[200_000];
  private Path dest;
  private final Downloader downloader =
      new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(5));

  @BeforeEach
  void start() throws IOException {
    new Random(1).nextBytes(content);
    server = new LoopbackServer();
    server.files.put("/data/file.bin", content);
    dest = tmp.resolve("sub").resolve("file.bin");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  static String md5(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
  }

  private Downloader.Expected good() throws Exception {
    return new Downloader.Expected(content.length, sha256(content), md5(content));
  }

  @Test
  void fullDownloadIsVerifiedAndReportsProgress() throws Exception {
    List<long[]> updates = new ArrayList<>();
    Downloader.Result r =
        downloader.download(
            server.url("/data/file.bin"),
            dest,
            good(),
            (done, total, rate) -> {
              assertTrue(rate >= 0);
              updates.add(new long[] {done, total});
            });
    assertArrayEquals(content, Files.readAllBytes(dest));
    assertFalse(Files.exists(Downloader.partPath(dest)));
    assertEquals(sha256(content), r.sha256());
    assertEquals(content.length, r.bytes());
    assertFalse(r.resumed());
    assertFalse(r.alreadyPresent());
    assertEquals(content.length, updates.get(updates.size() - 1)[0]);
    assertEquals(content.length, updates.get(0)[1]);
    assertTrue(updates.size() > 1);
    assertEquals(List.of(""), server.ranges);
  }

  @Test
  void presentFileIsNotDownloadedAgain() throws Exception {
    downloader.download(server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE);
    Downloader.Result r =
        downloader.download(server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE);
    assertTrue(r.alreadyPresent());
    assertEquals(1, server.ranges.size());
  }

  @Test
  void checksumMismatchDeletesTheDownload() throws Exception {
    Downloader.Expected wrong = new Downloader.Expected(-1, "ab".repeat(32), null);
    Downloader.ChecksumMismatchException e =
        assertThrows(
            Downloader.ChecksumMismatchException.class,
            () ->
                downloader.download(
                    server.url("/data/file.bin"), dest, wrong, Downloader.Progress.NONE));
    assertTrue(e.getMessage().contains("SHA-256 expected " + "ab".repeat(32)), e.getMessage());
    assertTrue(e.getMessage().contains("got " + sha256(content)), e.getMessage());
    assertTrue(e.getMessage().contains("deleted"), e.getMessage());
    assertFalse(Files.exists(dest));
    assertFalse(Files.exists(Downloader.partPath(dest)));
  }

  @Test
  void md5AndSizeAreCheckedToo() throws Exception {
    Downloader.Expected badMd5 = new Downloader.Expected(content.length, null, "0".repeat(32));
    assertThrows(
        Downloader.ChecksumMismatchException.class,
        () ->
            downloader.download(
                server.url("/data/file.bin"), dest, badMd5, Downloader.Progress.NONE));
    Downloader.Expected badSize = new Downloader.Expected(content.length + 1, null, null);
    Downloader.ChecksumMismatchException e =
        assertThrows(
            Downloader.ChecksumMismatchException.class,
            () ->
                downloader.download(
                    server.url("/data/file.bin"), dest, badSize, Downloader.Progress.NONE));
    assertTrue(e.getMessage().contains("expected 200001 bytes, got 200000"), e.getMessage());
    assertFalse(Files.exists(Downloader.partPath(dest)));
  }

  @Test
  void resumesAPartialFileWithRange() throws Exception {
    Files.createDirectories(dest.getParent());
    Files.write(Downloader.partPath(dest), Arrays.copyOf(content, 70_000));
    List<Long> firstDone = new ArrayList<>();
    Downloader.Result r =
        downloader.download(
            server.url("/data/file.bin"),
            dest,
            good(),
            (done, total, rate) -> {
              if (firstDone.isEmpty()) {
                firstDone.add(done);
              }
            });
    assertTrue(r.resumed());
    assertEquals(List.of("bytes=70000-"), server.ranges);
    assertEquals(70_000L, firstDone.get(0));
    assertArrayEquals(content, Files.readAllBytes(dest));
  }

  @Test
  void brokenConnectionKeepsThePartialFileAndTheNextRunResumes() throws Exception {
    server.breakAfter = 50_000;
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                downloader.download(
                    server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE));
    assertTrue(e.getMessage().contains("run again to resume"), e.getMessage());
    long kept = Files.size(Downloader.partPath(dest));
    assertTrue(kept > 0 && kept <= 50_000, "kept " + kept);
    Downloader.Result r =
        downloader.download(server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE);
    assertTrue(r.resumed());
    assertEquals("bytes=" + kept + "-", server.ranges.get(1));
    assertArrayEquals(content, Files.readAllBytes(dest));
  }

  @Test
  void serverIgnoringRangeRestartsFromZero() throws Exception {
    server.honourRange = false;
    Files.createDirectories(dest.getParent());
    byte[] junk = new byte[30_000]; // not even a prefix of the file: must be overwritten
    Files.write(Downloader.partPath(dest), junk);
    Downloader.Result r =
        downloader.download(server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE);
    assertFalse(r.resumed());
    assertEquals(List.of("bytes=30000-"), server.ranges);
    assertArrayEquals(content, Files.readAllBytes(dest));
  }

  @Test
  void stalePartialFileFailingTheChecksumIsRetriedFromScratch() throws Exception {
    Files.createDirectories(dest.getParent());
    Files.write(Downloader.partPath(dest), new byte[10_000]); // wrong prefix, resumed with Range
    Downloader.Result r =
        downloader.download(server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE);
    assertEquals(List.of("bytes=10000-", ""), server.ranges);
    assertFalse(r.resumed());
    assertArrayEquals(content, Files.readAllBytes(dest));
  }

  @Test
  void completePartialFileAnswered416StartsOver() throws Exception {
    Files.createDirectories(dest.getParent());
    Files.write(Downloader.partPath(dest), new byte[content.length]);
    downloader.download(server.url("/data/file.bin"), dest, good(), Downloader.Progress.NONE);
    assertEquals(List.of("bytes=200000-", ""), server.ranges);
    assertArrayEquals(content, Files.readAllBytes(dest));
  }

  @Test
  void connectionRefusedSaysWhatToDo() throws Exception {
    URI url = LoopbackServer.refusedUrl("/data/file.bin");
    Downloader.UnreachableException e =
        assertThrows(
            Downloader.UnreachableException.class,
            () -> downloader.download(url, dest, good(), Downloader.Progress.NONE));
    assertTrue(e.getMessage().contains("cannot download " + url), e.getMessage());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
    assertTrue(
        e.getMessage().contains("copy the file to " + dest.toAbsolutePath()), e.getMessage());
    assertFalse(Files.exists(dest));
  }

  @Test
  void httpErrorsAreReported() {
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                downloader.download(
                    server.url("/nope"), dest, Downloader.Expected.ANY, Downloader.Progress.NONE));
    assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    assertTrue(e.getMessage().contains("/nope"), e.getMessage());
  }

  @Test
  void stalledServerTimesOutAndKeepsThePartialFile() {
    // The read timeout also covers the wait for the response headers, so it must outlast a
    // loaded machine's scheduling delays (300 ms did not at a load average of 30); the stall
    // itself is longer still, so only the stall can trip it.
    server.stallMillis = 8000;
    Downloader impatient = new Downloader(Duration.ofSeconds(5), Duration.ofMillis(1500));
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                impatient.download(
                    server.url("/data/file.bin"),
                    dest,
                    Downloader.Expected.ANY,
                    Downloader.Progress.NONE));
    assertTrue(e.getMessage().contains("stalled"), e.getMessage());
    assertTrue(Files.exists(Downloader.partPath(dest)));
  }

  @Test
  void followsRedirects() throws Exception {
    server.redirects.put("/old/file.bin", "/data/file.bin");
    downloader.download(server.url("/old/file.bin"), dest, good(), Downloader.Progress.NONE);
    assertArrayEquals(content, Files.readAllBytes(dest));
  }

  @Test
  void unknownLengthIsReportedAsMinusOne() throws Exception {
    server.chunked = true;
    List<Long> totals = new ArrayList<>();
    downloader.download(
        server.url("/data/file.bin"), dest, good(), (done, total, rate) -> totals.add(total));
    assertTrue(totals.stream().allMatch(t -> t == -1));
    assertArrayEquals(content, Files.readAllBytes(dest));
  }
}
