package dev.rtc.emit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** {@code SHA256SUMS} in sha256sum's format, so {@code sha256sum -c SHA256SUMS} checks a bundle. */
public final class Checksums {

  private Checksums() {}

  public static String of(Bundle b) {
    MessageDigest sha = sha256();
    StringBuilder sb = new StringBuilder();
    b.files().values().forEach(a -> sb.append(HexFormat.of().formatHex(sha.digest(a.bytes()))).append("  ").append(a.path()).append('\n'));
    return sb.toString();
  }

  /** The SHA-256 of {@code bytes}, in lower-case hex. */
  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
