package org.handgrad.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * One-line error messages for the user. The JDK's file-system exceptions carry only the path as
 * their message ("/data/runs"); these say what went wrong with it as well.
 */
final class Errors {
  private Errors() {}

  /** What went wrong, for "error: ..." lines. */
  static String describe(IOException e) {
    if (e instanceof FileSystemException f) {
      String what;
      if (e instanceof AccessDeniedException) {
        what = "permission denied";
      } else if (e instanceof NoSuchFileException) {
        what = "no such file or folder";
      } else if (e instanceof NotDirectoryException) {
        what = "not a folder";
      } else if (e instanceof FileAlreadyExistsException) {
        // createDirectories on a file says only this; say what it means there.
        what =
            f.getFile() != null && Files.isRegularFile(Path.of(f.getFile()))
                ? "a file is in the way (expected a folder or nothing)"
                : "already exists";
      } else if (e instanceof DirectoryNotEmptyException) {
        what = "folder not empty";
      } else {
        what = f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
      }
      String where = f.getFile() != null ? f.getFile() : "";
      String other = f.getOtherFile() != null ? " -> " + f.getOtherFile() : "";
      return what + ": " + where + other;
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  /** {@link #describe(IOException)} for an IOException, else the exception's message. */
  static String message(Exception e) {
    if (e instanceof IOException io) {
      return describe(io);
    }
    if (e instanceof UncheckedIOException u) {
      return describe(u);
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  /** As {@link #describe(IOException)}, with the context an unchecked wrapper adds. */
  static String describe(UncheckedIOException e) {
    String context = e.getMessage();
    String cause = describe(e.getCause());
    return context == null || context.equals(e.getCause().toString())
        ? cause
        : context + ": " + cause;
  }
}
