package dev.rtc.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads the files a user names on the command line: manifests, facts files, cyclictest outputs,
 * bundles. Only regular files, and never more than a limit: a character device ({@code /dev/zero})
 * never ends, a FIFO blocks the open until someone writes, and the size a file reports is not a
 * bound ({@code /proc} files report 0). The type is looked at before the file is opened (opening
 * a FIFO would block), and the read itself stops one byte past the limit.
 */
public final class InputFiles {

  private InputFiles() {}

  /** A file rtc will not read: not a regular file, or larger than the limit. The message says which, for a user. */
  public static final class RefusedException extends IOException {
    /** Why: so callers can choose their own words or codes without reading the message. */
    public enum Reason { NOT_A_FILE, TOO_LARGE, NOT_TEXT }

    private final Reason reason;

    RefusedException(Reason reason, String message) {
      super(message);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  /** The whole file, if it is a regular file of at most {@code limit} bytes. */
  public static byte[] read(Path path, int limit) throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class); // follows links, as open does
    if (!attrs.isRegularFile()) {
      throw new RefusedException(RefusedException.Reason.NOT_A_FILE, "is " + kind(path, attrs) + ", not a regular file");
    }
    if (attrs.size() > limit) {
      throw new RefusedException(RefusedException.Reason.TOO_LARGE, "is " + attrs.size() + " bytes; rtc reads at most " + human(limit) + " here");
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new RefusedException(RefusedException.Reason.TOO_LARGE, "is larger than " + human(limit) + ", the most rtc reads here");
      }
      return bytes;
    }
  }

  /** {@link #read}, decoded as UTF-8; bytes that are not UTF-8 are refused with their offset. */
  public static String readText(Path path, int limit) throws IOException {
    return decode(read(path, limit));
  }

  /** Strict UTF-8 decoding, or a {@link RefusedException} that says where the first bad byte is. */
  public static String decode(byte[] bytes) throws RefusedException {
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return utf8.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      utf8.reset().decode(in, java.nio.CharBuffer.allocate(bytes.length), true);
      int at = in.position();
      throw new RefusedException(RefusedException.Reason.NOT_TEXT, String.format("is not UTF-8 text (byte 0x%02x at offset %d)", bytes[at] & 0xff, at));
    }
  }

  static String human(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    return bytes + " bytes";
  }

  /** What a path that is not a regular file is, in words: from the mode's file-type bits where the platform has them. */
  static String kind(Path path, BasicFileAttributes attrs) {
    if (attrs.isDirectory()) {
      return "a folder";
    }
    try {
      int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;
      switch (type) {
        case 0020000: return "a character device";
        case 0060000: return "a block device";
        case 0010000: return "a FIFO (named pipe)";
        case 0140000: return "a socket";
        default: break;
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
      // no unix view: say only that it is something else
    }
    return "a special file";
  }
}
