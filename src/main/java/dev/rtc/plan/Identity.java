package dev.rtc.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Stable identities for VMs: the same bundle and VM name give the same UUID and MAC on every
 * machine and every run, so redefining a domain updates it instead of creating a twin, and the
 * guest keeps its DHCP lease.
 */
final class Identity {

  /** rtc's namespace for RFC 4122 name-based (v5, SHA-1) UUIDs. */
  private static final UUID NAMESPACE = UUID.fromString("6f0c1f5e-2b51-5d1e-9a43-7c1d0f3b9e21");

  private Identity() {}

  static String uuid(String bundle, String vm) {
    byte[] hash = sha1(bytes(NAMESPACE), (bundle + "/" + vm).getBytes(StandardCharsets.UTF_8));
    hash[6] = (byte) ((hash[6] & 0x0f) | 0x50); // version 5
    hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // IETF variant
    long msb = 0;
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      msb = (msb << 8) | (hash[i] & 0xff);
      lsb = (lsb << 8) | (hash[i + 8] & 0xff);
    }
    return new UUID(msb, lsb).toString();
  }

  /** A MAC in QEMU's locally administered 52:54:00 range, from the same name. */
  static String mac(String bundle, String vm) {
    byte[] h = sha1(bytes(NAMESPACE), ("mac:" + bundle + "/" + vm).getBytes(StandardCharsets.UTF_8));
    return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(h, 0, 3);
  }

  private static byte[] bytes(UUID u) {
    byte[] b = new byte[16];
    long msb = u.getMostSignificantBits();
    long lsb = u.getLeastSignificantBits();
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (msb >>> (56 - 8 * i));
      b[i + 8] = (byte) (lsb >>> (56 - 8 * i));
    }
    return b;
  }

  private static byte[] sha1(byte[] a, byte[] b) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      md.update(a);
      md.update(b);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
