package org.handgrad.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes whole files so that readers see either the old content or the new one, never a mix: the
 * bytes go to a temporary file in the target's folder, are forced to disk, and the temporary file
 * is renamed over the target (an atomic {@code rename(2)} on POSIX file systems).
 *
 * <p>The fsync before the rename matters: without it a power loss can leave the new name pointing
 * at a file whose blocks were never written (the classic ext4 zero-length-file problem). The folder
 * is synced afterwards too, so the rename itself survives a crash (best effort: not every platform
 * can open a folder for syncing).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Replaces {@code file} with {@code bytes} atomically, creating parent folders as needed.
   *
   * @throws IOException when writing or renaming fails; the target is then unchanged and the
   *     temporary file removed
   */
  public static void write(Path file, byte[] bytes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = tempFileFor(file);
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    syncDirectory(dir);
  }

  /** Prefix and suffix of the temporary files: {@code .<name>.<random>.tmp}. */
  public static final String TMP_PREFIX = ".";

  /** See {@link #TMP_PREFIX}. */
  public static final String TMP_SUFFIX = ".tmp";

  /**
   * A fresh temporary name beside {@code file}, {@code .<name>.<random>.tmp}: the leading dot keeps
   * half-written files out of listings that look for the real names, and the file is then created
   * with {@code CREATE_NEW} so it gets the default permissions (the user's umask), unlike {@link
   * Files#createTempFile}, which makes every output 0600.
   */
  static Path tempFileFor(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    long r = RANDOM.nextLong() & Long.MAX_VALUE;
    return dir.resolve(TMP_PREFIX + file.getFileName() + "." + Long.toString(r, 36) + TMP_SUFFIX);
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Whether {@code name} is one of our temporary files (left behind only by a crash). */
  public static boolean isTempName(String name) {
    return name.startsWith(TMP_PREFIX) && name.endsWith(TMP_SUFFIX);
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException notSupported) {
      // Windows and some file systems cannot open or sync a folder; the rename is still atomic.
    }
  }
}
