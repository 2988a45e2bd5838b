package org.handgrad.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLConnection;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file over HTTP(S) with progress reports, checksum verification and resume.
 *
 * <p>The data goes to {@code dest + ".part"} and is moved to {@code dest} only once it is complete
 * and its checksums match, so {@code dest} never holds a partial or corrupt file. When a {@code
 * .part} file exists, the download resumes with an HTTP {@code Range: bytes=K-} request; a server
 * that ignores Range (answers 200 instead of 206) restarts from byte 0. A checksum mismatch deletes
 * the {@code .part} file (after one automatic fresh retry when the bad data came from a resumed
 * partial file, which may be stale). A connection that breaks mid-way keeps the {@code .part} file
 * for the next attempt.
 *
 * <p>Timeouts: connecting, and the longest silence while reading (a stalled server), both
 * configurable. Unreachable hosts (offline, refused, unknown host) raise {@link
 * UnreachableException} whose message names the URL and the destination to copy the file into.
 */
public final class Downloader {
  /** Receives progress after every chunk; implementations throttle their own output. */
  @FunctionalInterface
  public interface Progress {
    /**
     * @param bytesDone bytes of the file on disk so far (including a resumed prefix)
     * @param totalBytes the file's size, or -1 when the server does not say
     * @param bytesPerSecond average rate of this session's transfer
     */
    void update(long bytesDone, long totalBytes, double bytesPerSecond);

    /** A listener that ignores everything. */
    Progress NONE = (done, total, rate) -> {};
  }

  /**
   * What the downloaded file must be; null fields are not checked.
   *
   * @param size exact size in bytes, or -1 if unknown
   * @param sha256 lower-case hex SHA-256, or null
   * @param md5 lower-case hex MD5, or null (some datasets publish only MD5)
   */
  public record Expected(long size, String sha256, String md5) {
    /** Normalizes hex to lower case. */
    public Expected {
      sha256 = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
      md5 = md5 == null ? null : md5.toLowerCase(Locale.ROOT);
    }

    /** Nothing known: any complete file is accepted. */
    public static final Expected ANY = new Expected(-1, null, null);
  }

  /**
   * The outcome of a download.
   *
   * @param file the destination path
   * @param bytes its size
   * @param sha256 its SHA-256, lower-case hex
   * @param resumed whether a partial file was continued
   * @param alreadyPresent whether a matching file was already there (nothing was transferred)
   */
  public record Result(
      Path file, long bytes, String sha256, boolean resumed, boolean alreadyPresent) {}

  /** The file arrived but is not the expected one; the bad download has been deleted. */
  public static final class ChecksumMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    ChecksumMismatchException(String message) {
      super(message);
    }
  }

  /** The server could not be reached (offline, refused, unknown host, connect timeout). */
  public static final class UnreachableException extends IOException {
    private static final long serialVersionUID = 1L;

    UnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  private static final int CHUNK = 1 << 16;

  private final Duration connectTimeout;
  private final Duration readTimeout;

  /** Connect timeout 15 s, read (silence) timeout 60 s. */
  public Downloader() {
    this(Duration.ofSeconds(15), Duration.ofSeconds(60));
  }

  /**
   * @param connectTimeout longest wait to open a connection
   * @param readTimeout longest silence while waiting for data
   */
  public Downloader(Duration connectTimeout, Duration readTimeout) {
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
  }

  /** The partial-download path used for {@code dest}. */
  public static Path partPath(Path dest) {
    return dest.resolveSibling(dest.getFileName() + ".part");
  }

  /**
   * Downloads {@code url} to {@code dest} (creating its folder), verifying {@code expected}.
   *
   * <p>When {@code dest} already exists and matches {@code expected}, nothing is transferred; when
   * it exists but does not match, it is replaced.
   *
   * @throws UnreachableException when the host cannot be reached
   * @throws ChecksumMismatchException when the data does not match expected (the data is deleted)
   * @throws IOException on HTTP errors, short transfers (the .part file is kept), or disk errors
   */
  public Result download(URI url, Path dest, Expected expected, Progress progress)
      throws IOException {
    Files.createDirectories(dest.toAbsolutePath().getParent());
    if (Files.isRegularFile(dest)) {
      Digests d = Digests.of(dest);
      if (d.matches(expected) == null) {
        return new Result(dest, Files.size(dest), d.sha256(), false, true);
      }
      Files.delete(dest);
    }
    Path part = partPath(dest);
    boolean resumed = Files.isRegularFile(part) && Files.size(part) > 0;
    try {
      return transfer(url, dest, part, expected, progress);
    } catch (ChecksumMismatchException e) {
      if (!resumed) {
        throw e;
      }
      // The stale prefix came from an earlier attempt (maybe another version of the file): one
      // clean retry from byte 0 before giving up.
      Files.deleteIfExists(part);
      return transfer(url, dest, part, expected, progress);
    }
  }

  private Result transfer(URI url, Path dest, Path part, Expected expected, Progress progress)
      throws IOException {
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;
    HttpURLConnection conn = connect(url, have, dest);
    try {
      int code = conn.getResponseCode();
      long total;
      if (have > 0 && code == 416) {
        // Range not satisfiable: the partial file is as long as (or longer than) the resource,
        // or the server disagrees about it. Start over.
        conn.disconnect();
        Files.delete(part);
        return transfer(url, dest, part, expected, progress);
      } else if (have > 0 && code == 206) {
        Matcher m = CONTENT_RANGE.matcher(String.valueOf(conn.getHeaderField("Content-Range")));
        if (!m.matches() || Long.parseLong(m.group(1)) != have) {
          conn.disconnect();
          Files.delete(part); // the server answered a range we did not ask for
          return transfer(url, dest, part, expected, progress);
        }
        total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
      } else if (code == 200) {
        have = 0; // a full body: the server ignored Range (or there was no partial file)
        total = conn.getContentLengthLong();
      } else {
        throw new IOException(
            "download failed: HTTP "
                + code
                + " "
                + String.valueOf(conn.getResponseMessage())
                + " for "
                + url);
      }
      Digests digests = new Digests();
      if (have > 0) {
        digests.feed(part);
      }
      long done = have;
      long start = System.nanoTime();
      StandardOpenOption mode =
          have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
      try (InputStream in = conn.getInputStream();
          OutputStream out =
              Files.newOutputStream(
                  part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
        byte[] buf = new byte[CHUNK];
        progress.update(done, total, 0);
        for (int r; (r = in.read(buf)) >= 0; ) {
          out.write(buf, 0, r);
          digests.update(buf, r);
          done += r;
          double seconds = (System.nanoTime() - start) / 1e9;
          progress.update(done, total, seconds > 0 ? (done - have) / seconds : 0);
        }
      } catch (SocketTimeoutException e) {
        throw new IOException(
            "download of "
                + url
                + " stalled: no data for "
                + readTimeout.toSeconds()
                + " s after "
                + done
                + " bytes; the partial file "
                + part
                + " is kept, run again to resume",
            e);
      } catch (IOException e) {
        throw new IOException(
            "download of "
                + url
                + " broke after "
                + done
                + " bytes ("
                + e.getMessage()
                + "); the partial file "
                + part
                + " is kept, run again to resume",
            e);
      }
      if (total >= 0 && done < total) {
        throw new IOException(
            "download of "
                + url
                + " ended early: "
                + done
                + " of "
                + total
                + " bytes; the partial file "
                + part
                + " is kept, run again to resume");
      }
      String problem = digests.matches(expected);
      if (problem != null) {
        Files.deleteIfExists(part);
        throw new ChecksumMismatchException(
            dest.getFileName()
                + " from "
                + url
                + " is corrupt or not the expected file: "
                + problem
                + "; the download was deleted");
      }
      Files.move(part, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new Result(dest, done, digests.sha256(), have > 0, false);
    } finally {
      conn.disconnect();
    }
  }

  /**
   * Opens a GET request and follows up to {@value #MAX_REDIRECTS} redirects by hand
   * (HttpURLConnection alone will not cross from http to https), turning network failures into
   * clear messages.
   */
  private HttpURLConnection connect(URI url, long from, Path dest) throws IOException {
    URI current = url;
    for (int hop = 0; ; hop++) {
      HttpURLConnection conn = open(current, from);
      int code;
      try {
        code = conn.getResponseCode();
      } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
        throw unreachable(current, dest, e);
      } catch (SocketTimeoutException e) {
        throw unreachable(current, dest, e);
      }
      String location = conn.getHeaderField("Location");
      if (code < 300 || code > 308 || code == 304 || location == null) {
        return conn;
      }
      conn.disconnect();
      if (hop == MAX_REDIRECTS) {
        throw new IOException("download: more than " + MAX_REDIRECTS + " redirects from " + url);
      }
      current = current.resolve(location);
    }
  }

  private static final int MAX_REDIRECTS = 5;

  private HttpURLConnection open(URI url, long from) throws IOException {
    URLConnection c;
    try {
      c = url.toURL().openConnection();
    } catch (IllegalArgumentException e) {
      throw new IOException("download: not a valid URL: " + url, e);
    }
    if (!(c instanceof HttpURLConnection)) {
      throw new IOException("download: only http and https URLs are supported, got " + url);
    }
    HttpURLConnection conn = (HttpURLConnection) c;
    conn.setConnectTimeout((int) connectTimeout.toMillis());
    conn.setReadTimeout((int) readTimeout.toMillis());
    conn.setInstanceFollowRedirects(false);
    conn.setRequestProperty("User-Agent", "handgrad-downloader");
    // Compressed transfer encodings would break byte ranges and checksums of the stored file.
    conn.setRequestProperty("Accept-Encoding", "identity");
    if (from > 0) {
      conn.setRequestProperty("Range", "bytes=" + from + "-");
    }
    return conn;
  }

  private UnreachableException unreachable(URI url, Path dest, IOException e) {
    String why =
        e instanceof UnknownHostException
            ? "unknown host " + url.getHost() + " (no network or no DNS?)"
            : e instanceof SocketTimeoutException
                ? "timed out (" + e.getMessage() + ")"
                : String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("refused")
                    ? "connection refused"
                    : String.valueOf(e.getMessage());
    return new UnreachableException(
        "cannot download "
            + url
            + ": "
            + why
            + ".\n  To install it by hand: fetch that URL on a machine with network access and copy"
            + " the file to "
            + dest.toAbsolutePath(),
        e);
  }

  /** SHA-256 (always) and MD5 (cheap) of a stream of bytes, and its length. */
  static final class Digests {
    private final MessageDigest sha256;
    private final MessageDigest md5;
    private long size;
    private String sha256Hex;
    private String md5Hex;

    Digests() {
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
        md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK must provide SHA-256 and MD5", e);
      }
    }

    static Digests of(Path file) throws IOException {
      Digests d = new Digests();
      d.feed(file);
      return d;
    }

    void feed(Path file) throws IOException {
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buf = new byte[CHUNK];
        for (int r; (r = in.read(buf)) >= 0; ) {
          update(buf, r);
        }
      }
    }

    void update(byte[] buf, int n) {
      sha256.update(buf, 0, n);
      md5.update(buf, 0, n);
      size += n;
    }

    String sha256() {
      if (sha256Hex == null) {
        sha256Hex = HexFormat.of().formatHex(sha256.digest());
        md5Hex = HexFormat.of().formatHex(md5.digest());
      }
      return sha256Hex;
    }

    String md5() {
      sha256();
      return md5Hex;
    }

    /** Null when every known property matches, else a description of the first mismatch. */
    String matches(Expected e) {
      if (e.size() >= 0 && size != e.size()) {
        return "expected " + e.size() + " bytes, got " + size;
      }
      if (e.sha256() != null && !e.sha256().equals(sha256())) {
        return "SHA-256 expected " + e.sha256() + ", got " + sha256();
      }
      if (e.md5() != null && !e.md5().equals(md5())) {
        return "MD5 expected " + e.md5() + ", got " + md5();
      }
      return null;
    }
  }
}
