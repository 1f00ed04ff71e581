package dev.rtc.emit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** {@code SHA256SUMS} in sha256sum's format, so {@code sha256sum -c SHA256SUMS} checks a bundle. */
final class Checksums {

  private Checksums() {}

  static String of(Bundle b) {
    StringBuilder sb = new StringBuilder();
    b.files().values().forEach(a -> sb.append(hex(a.bytes())).append("  ").append(a.path()).append('\n'));
    return sb.toString();
  }

  static String hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
