package dev.rtc.init;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * SHA-512 crypt ({@code $6$}), as glibc's crypt(3), mkpasswd -m sha-512 and cloud-init's
 * passwd take it: Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512", 5000 rounds. For
 * {@code rtc init}, which writes a starter manifest with a fresh password's hash, never the password.
 */
public final class Sha512Crypt {

  private static final String ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final int ROUNDS = 5000;
  /** The order in which the digest's bytes go into the 22-character hash: the spec's table, three bytes at a time. */
  private static final int[][] ORDER = {{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48},
      {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57},
      {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}};

  private Sha512Crypt() {}

  /** {@code $6$salt$hash} of {@code password}; {@code salt} is at most 16 characters of [./0-9A-Za-z]. */
  public static String hash(String password, String salt) {
    byte[] p = password.getBytes(StandardCharsets.UTF_8);
    byte[] s = salt.substring(0, Math.min(16, salt.length())).getBytes(StandardCharsets.US_ASCII);
    MessageDigest b = sha512();
    b.update(p);
    b.update(s);
    b.update(p);
    byte[] bd = b.digest();
    MessageDigest a = sha512();
    a.update(p);
    a.update(s);
    int cnt;
    for (cnt = p.length; cnt > 64; cnt -= 64) {
      a.update(bd, 0, 64);
    }
    a.update(bd, 0, cnt);
    for (cnt = p.length; cnt > 0; cnt >>= 1) {
      if ((cnt & 1) != 0) {
        a.update(bd, 0, 64);
      } else {
        a.update(p);
      }
    }
    byte[] ad = a.digest();
    MessageDigest dp = sha512();
    for (int i = 0; i < p.length; i++) {
      dp.update(p);
    }
    byte[] pSeq = repeat(dp.digest(), p.length);
    MessageDigest ds = sha512();
    for (int i = 0; i < 16 + (ad[0] & 0xff); i++) {
      ds.update(s);
    }
    byte[] sSeq = repeat(ds.digest(), s.length);
    byte[] c = ad;
    for (int i = 0; i < ROUNDS; i++) {
      MessageDigest r = sha512();
      r.update((i & 1) != 0 ? pSeq : c);
      if (i % 3 != 0) {
        r.update(sSeq);
      }
      if (i % 7 != 0) {
        r.update(pSeq);
      }
      r.update((i & 1) != 0 ? c : pSeq);
      c = r.digest();
    }
    StringBuilder out = new StringBuilder("$6$").append(new String(s, StandardCharsets.US_ASCII)).append('$');
    for (int[] t : ORDER) {
      b64(out, c[t[0]] & 0xff, c[t[1]] & 0xff, c[t[2]] & 0xff, 4);
    }
    b64(out, 0, 0, c[63] & 0xff, 2);
    return out.toString();
  }

  /** A random salt of 16 characters from crypt's alphabet. */
  public static String salt(SecureRandom random) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      s.append(ITOA64.charAt(random.nextInt(64)));
    }
    return s.toString();
  }

  /** A password of {@code n} characters from letters and digits, without the look-alikes 0 O 1 l I. */
  public static String password(SecureRandom random, int n) {
    String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  private static void b64(StringBuilder out, int b2, int b1, int b0, int n) {
    int w = (b2 << 16) | (b1 << 8) | b0;
    for (int i = 0; i < n; i++) {
      out.append(ITOA64.charAt(w & 0x3f));
      w >>= 6;
    }
  }

  private static byte[] repeat(byte[] digest, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = digest[i % digest.length];
    }
    return out;
  }

  private static MessageDigest sha512() {
    try {
      return MessageDigest.getInstance("SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-512", e);
    }
  }
}
