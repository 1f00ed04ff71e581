package dev.rtc.io;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * What an I/O failure means, in the words a user needs: the file and what is wrong with it, never
 * a Java class name ("java.nio.file.AccessDeniedException: /out" says less than "/out: permission
 * denied", and to someone who does not read Java, nothing).
 */
public final class IoErrors {

  private IoErrors() {}

  public static String describe(IOException e) {
    if (e instanceof InputFiles.RefusedException) {
      return e.getMessage();
    }
    if (e instanceof CharacterCodingException) {
      return "is not UTF-8 text";
    }
    if (e instanceof FileSystemException f) {
      String what;
      if (e instanceof NoSuchFileException) {
        what = "no such file or folder";
      } else if (e instanceof AccessDeniedException) {
        what = "permission denied";
      } else if (e instanceof NotDirectoryException) {
        what = "is not a folder";
      } else if (e instanceof FileAlreadyExistsException) {
        what = "already exists";
      } else if (e instanceof DirectoryNotEmptyException) {
        what = "is a folder that is not empty";
      } else {
        what = f.getReason() != null ? lowerFirst(f.getReason()) : "input/output error";
      }
      String file = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": ";
      return file + what;
    }
    return e.getMessage() != null ? e.getMessage() : "input/output error";
  }

  /** "No space left on device" reads better mid-sentence as "no space left on device". */
  private static String lowerFirst(String s) {
    return s.isEmpty() || (s.length() > 1 && Character.isUpperCase(s.charAt(1))) ? s
        : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
