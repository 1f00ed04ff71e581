package dev.rtc.topology;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes that owns the text forms sysfs and lscpu print: {@code 60 MiB}, {@code 28160K},
 * {@code 27.5 MiB}, {@code 8 GiB}. Units are binary: {@code K}/{@code KiB} = 1024 (sysfs's
 * {@code cache/index3/size} prints {@code 61440K} meaning KiB). The decimal {@code KB}/{@code MB}
 * /{@code GB} are refused on purpose: the guide writes "8 MB" for 8 MiB, and libvirt reads "MB"
 * as 10^6, so the spelling is ambiguous in exactly the place where a wrong guess costs a way.
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

  private static final Pattern FORM =
      Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)\\s*");
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative size " + bytes);
    }
  }

  public static ByteSize ofMiB(long mib) {
    return new ByteSize(mib << 20);
  }

  /** @throws SyntaxException with a message fit for the user */
  public static ByteSize parse(String text) {
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new SyntaxException("'" + text + "' is not a size; write a number and a unit, e.g. 60 MiB or 28160K");
    }
    String unit = m.group(2);
    int shift = switch (unit.toLowerCase(Locale.ROOT)) {
      case "b" -> 0;
      case "k", "kib" -> 10;
      case "m", "mib" -> 20;
      case "g", "gib" -> 30;
      case "t", "tib" -> 40;
      case "" -> throw new SyntaxException("'" + text + "' has no unit; write e.g. " + m.group(1) + " MiB");
      case "kb", "mb", "gb", "tb" -> throw new SyntaxException("'" + text + "' uses a decimal unit; rtc takes binary units "
          + "only (KiB, MiB, GiB or K, M, G as sysfs prints them) because 'MB' means 10^6 to libvirt and 2^20 to most people");
      default -> throw new SyntaxException("'" + text + "': unknown unit '" + unit + "'; use B, KiB, MiB, GiB, TiB (or K, M, G, T)");
    };
    BigDecimal value = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1L << shift));
    if (value.compareTo(BigDecimal.valueOf(1L << 50)) > 0) {
      throw new SyntaxException("'" + text + "' is larger than 1 PiB");
    }
    if (value.stripTrailingZeros().scale() > 0) {
      throw new SyntaxException("'" + text + "' is not a whole number of bytes");
    }
    return new ByteSize(value.longValueExact());
  }

  /** The largest binary unit that divides the size exactly, as libvirt prints sizes: "60 MiB", "2560 KiB". */
  public String exact() {
    return exactValue() + " " + exactUnit();
  }

  /** The number part of {@link #exact()}, for XML {@code size}/{@code unit} attribute pairs. */
  public long exactValue() {
    return bytes >> (10 * exactUnitIndex());
  }

  /** The unit part of {@link #exact()}: B, KiB, MiB, GiB or TiB (all understood by libvirt). */
  public String exactUnit() {
    return UNITS[exactUnitIndex()];
  }

  private int exactUnitIndex() {
    int u = 0;
    long v = bytes;
    while (u < UNITS.length - 1 && v != 0 && v % 1024 == 0) {
      v /= 1024;
      u++;
    }
    return u;
  }

  /**
   * For a manifest a person reads: whole GiB, or MiB with up to three decimals when that is exact
   * ("2.5 MiB" for an 11th of 27.5 MiB), else {@link #exact()} ("2560 KiB" stays exact either way;
   * 1.3 MiB does not exist in bytes). The manifest reads every form back to the same bytes.
   */
  public String person() {
    if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + " GiB";
    }
    BigDecimal mib = new BigDecimal(bytes).divide(BigDecimal.valueOf(1L << 20)).stripTrailingZeros();
    return bytes >= 1L << 20 && mib.scale() <= 3 ? mib.toPlainString() + " MiB" : exact();
  }

  /** For people: MiB with up to two decimals, e.g. "3.75 MiB". */
  public String mib() {
    BigDecimal v = BigDecimal.valueOf(bytes).divide(BigDecimal.valueOf(1L << 20));
    v = v.setScale(Math.min(2, Math.max(0, v.stripTrailingZeros().scale())), java.math.RoundingMode.HALF_UP);
    return v.stripTrailingZeros().toPlainString() + " MiB";
  }

  public long kib() {
    return bytes >> 10;
  }

  @Override
  public int compareTo(ByteSize o) {
    return Long.compare(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return exact();
  }

  /** A size that does not parse. */
  public static final class SyntaxException extends IllegalArgumentException {
    public SyntaxException(String message) {
      super(message);
    }
  }
}
