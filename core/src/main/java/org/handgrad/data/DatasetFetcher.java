package org.handgrad.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Downloads a registry dataset into its folder: every file from its first reachable URL (or from a
 * mirror given by the user), verified, then archives extracted.
 *
 * <p>Failures name what to do: an unreachable server (offline) yields a message with the URL, the
 * folder to copy the files into, the Debian package where one exists, and the synthetic fallback.
 */
public final class DatasetFetcher {
  private final Downloader downloader;

  /**
   * @param downloader the HTTP downloader to use
   */
  public DatasetFetcher(Downloader downloader) {
    this.downloader = downloader;
  }

  /**
   * Downloads (or resumes, or verifies) every file of {@code info} into {@code
   * dirs.datasetDir(info.name())}.
   *
   * @param mirror a base URL replacing the registry's sources (file name appended), or null
   * @param progressFor called once per file and URL attempt; returns its progress listener
   * @return the dataset folder, complete
   * @throws IOException with instructions when the download or a check fails
   */
  public Path fetch(
      DatasetInfo info,
      DataDirs dirs,
      URI mirror,
      BiFunction<DatasetInfo.RemoteFile, URI, Downloader.Progress> progressFor)
      throws IOException {
    if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
      throw new IllegalArgumentException(
          info.name() + " is generated on the fly; nothing to fetch");
    }
    Path dir = dirs.datasetDir(info.name());
    Files.createDirectories(dir);
    for (DatasetInfo.RemoteFile f : info.files()) {
      if (f.archive() && DatasetRegistry.isComplete(info, dir)) {
        continue; // already extracted earlier; the archive itself was deleted then
      }
      Path dest = dir.resolve(f.fileName());
      List<URI> urls = mirror == null ? f.urls() : List.of(withSlash(mirror).resolve(f.fileName()));
      downloadFirstReachable(info, dirs, f, urls, dest, progressFor);
      if (f.archive()) {
        Tar.extract(dest, dir, name -> !name.endsWith("/"));
        Files.delete(dest);
      }
    }
    if (!DatasetRegistry.isComplete(info, dir)) {
      throw new IOException(
          info.name()
              + ": the download finished but "
              + dir
              + " still lacks some of "
              + info.requiredFiles());
    }
    return dir;
  }

  private void downloadFirstReachable(
      DatasetInfo info,
      DataDirs dirs,
      DatasetInfo.RemoteFile f,
      List<URI> urls,
      Path dest,
      BiFunction<DatasetInfo.RemoteFile, URI, Downloader.Progress> progressFor)
      throws IOException {
    List<String> failures = new ArrayList<>();
    boolean allUnreachable = true;
    for (URI url : urls) {
      try {
        downloader.download(url, dest, f.expected(), progressFor.apply(f, url));
        return;
      } catch (Downloader.ChecksumMismatchException e) {
        throw e; // the server answered with wrong data: a mirror would hide a real problem
      } catch (Downloader.UnreachableException e) {
        failures.add(e.getMessage().lines().findFirst().orElse(""));
      } catch (IOException e) {
        allUnreachable = false;
        failures.add(e.getMessage());
      }
    }
    String tried = String.join("\n  ", failures);
    if (allUnreachable) {
      throw new Downloader.UnreachableException(
          "cannot download "
              + info.name()
              + " (offline?):\n  "
              + tried
              + "\nWhat to do:\n"
              + DatasetRegistry.howToGet(info, dirs),
          null);
    }
    throw new IOException("cannot download " + f.fileName() + ":\n  " + tried);
  }

  private static URI withSlash(URI base) {
    String s = base.toString();
    return s.endsWith("/") ? base : URI.create(s + "/");
  }
}
