package dev.rtc.topology;

import java.util.Locale;

/**
 * A cache capacity bitmask (CBM): bit i set means cache way i. Owns the resctrl hex form.
 * Masks are at most 32 ways wide (real parts have 8 to 20).
 */
public record WayMask(int bits) {

  public static final int MAX_WAYS = 32;

  public static WayMask ofRun(int lowWay, int count) {
    if (lowWay < 0 || count < 0 || lowWay + count > MAX_WAYS) {
      throw new IllegalArgumentException("run " + lowWay + "+" + count + " outside " + MAX_WAYS + " ways");
    }
    long run = ((1L << count) - 1) << lowWay;
    return new WayMask((int) run);
  }

  /** Parses hex as resctrl prints it ({@code 7fff}; a {@code 0x} prefix and leading zeros are accepted). */
  public static WayMask parseHex(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    if (s.startsWith("0x")) {
      s = s.substring(2);
    }
    if (s.isEmpty() || s.length() > 8 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new IllegalArgumentException("'" + text + "' is not a hex cache mask of at most 32 bits");
    }
    return new WayMask((int) Long.parseLong(s, 16));
  }

  public int ways() {
    return Integer.bitCount(bits);
  }

  public boolean isEmpty() {
    return bits == 0;
  }

  /** One run of consecutive ones (Intel CAT requires it; the empty mask is not contiguous). */
  public boolean isContiguous() {
    if (bits == 0) {
      return false;
    }
    int shifted = bits >>> Integer.numberOfTrailingZeros(bits);
    return (shifted & (shifted + 1)) == 0;
  }

  public int lowestWay() {
    return Integer.numberOfTrailingZeros(bits);
  }

  /** Highest way number + 1, i.e. the CBM length for a full mask. */
  public int width() {
    return 32 - Integer.numberOfLeadingZeros(bits);
  }

  public boolean has(int way) {
    return (bits >>> way & 1) == 1;
  }

  public boolean overlaps(WayMask o) {
    return (bits & o.bits) != 0;
  }

  public WayMask minus(WayMask o) {
    return new WayMask(bits & ~o.bits);
  }

  public WayMask union(WayMask o) {
    return new WayMask(bits | o.bits);
  }

  /** Lower-case hex zero-padded to ceil(cbmLength/4) digits, as libvirt writes it ({@code virBitmapToString}). */
  public String hex(int cbmLength) {
    int digits = Math.max(1, (cbmLength + 3) / 4);
    String h = Integer.toHexString(bits);
    return "0".repeat(Math.max(0, digits - h.length())) + h;
  }

  /** e.g. "ways 2-3" or "way 5". */
  public String describe() {
    if (bits == 0) {
      return "no ways";
    }
    if (isContiguous()) {
      int lo = lowestWay();
      int hi = width() - 1;
      return lo == hi ? "way " + lo : "ways " + lo + "-" + hi;
    }
    StringBuilder sb = new StringBuilder("ways ");
    for (int i = 0; i < 32; i++) {
      if (has(i)) {
        sb.append(sb.length() > 5 ? "," : "").append(i);
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "0x" + Integer.toHexString(bits);
  }
}
