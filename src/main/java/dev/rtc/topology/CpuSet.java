package dev.rtc.topology;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PrimitiveIterator;
import java.util.stream.IntStream;

/**
 * An immutable set of logical CPU numbers that owns the Linux cpulist syntax.
 *
 * <p>{@link #parse} accepts what the kernel's {@code bitmap_parselist} accepts — {@code 0-3,8},
 * {@code 0-1023:2/256} (use 2 of every group of 256) — plus the shorthand {@code a-b:n} for "every
 * n-th CPU from a to b" ({@code 0-62:2} = the even CPUs), which is how lscpu users describe
 * even/odd NUMA numbering. {@link #toString} prints the canonical range form that the kernel,
 * libvirt and lscpu all print and accept.
 */
public final class CpuSet implements Iterable<Integer>, Comparable<CpuSet> {

  /** The kernel's largest NR_CPUS is 8192; a larger number is a typo, not a machine. */
  public static final int MAX_CPU = 8191;

  private static final CpuSet EMPTY = new CpuSet(new BitSet());

  private final BitSet bits;

  private CpuSet(BitSet bits) {
    this.bits = bits;
  }

  public static CpuSet empty() {
    return EMPTY;
  }

  public static CpuSet of(int... cpus) {
    BitSet b = new BitSet();
    for (int c : cpus) {
      checkCpu(c);
      b.set(c);
    }
    return new CpuSet(b);
  }

  public static CpuSet of(Iterable<Integer> cpus) {
    BitSet b = new BitSet();
    for (int c : cpus) {
      checkCpu(c);
      b.set(c);
    }
    return new CpuSet(b);
  }

  public static CpuSet range(int fromInclusive, int toInclusive) {
    checkCpu(fromInclusive);
    checkCpu(toInclusive);
    BitSet b = new BitSet();
    if (toInclusive >= fromInclusive) {
      b.set(fromInclusive, toInclusive + 1);
    }
    return new CpuSet(b);
  }

  private static void checkCpu(int c) {
    if (c < 0 || c > MAX_CPU) {
      throw new IllegalArgumentException("CPU " + c + " is outside 0-" + MAX_CPU);
    }
  }

  /**
   * Parses a cpulist. An empty or blank string is the empty set (the kernel prints an empty line
   * for an empty mask).
   *
   * @throws SyntaxException naming the offending part and what was expected
   */
  public static CpuSet parse(String text) {
    BitSet b = new BitSet();
    String s = text.strip();
    if (s.isEmpty()) {
      return EMPTY;
    }
    for (String part : s.split(",", -1)) {
      parseGroup(part.strip(), text, b);
    }
    return new CpuSet(b);
  }

  private static void parseGroup(String part, String whole, BitSet b) {
    if (part.isEmpty()) {
      throw new SyntaxException("empty item in cpulist '" + whole + "' (a stray comma?)");
    }
    String range = part;
    int used = 1;
    int group = 1;
    int colon = part.indexOf(':');
    if (colon >= 0) {
      range = part.substring(0, colon);
      String stride = part.substring(colon + 1);
      int slash = stride.indexOf('/');
      if (slash >= 0) {
        used = number(stride.substring(0, slash), part);
        group = number(stride.substring(slash + 1), part);
      } else {
        group = number(stride, part);
      }
      if (used < 1 || group < 1 || used > group) {
        throw new SyntaxException("in '" + part + "': a stride needs 1 <= used <= group, as in 0-62:2 or 0-63:1/2");
      }
      if (range.indexOf('-') < 0) {
        throw new SyntaxException("in '" + part + "': a stride applies to a range a-b");
      }
    }
    int dash = range.indexOf('-');
    int from;
    int to;
    if (dash >= 0) {
      from = cpu(range.substring(0, dash), part);
      to = cpu(range.substring(dash + 1), part);
      if (to < from) {
        throw new SyntaxException("in '" + part + "': range end " + to + " is below its start " + from);
      }
    } else {
      from = cpu(range, part);
      to = from;
    }
    for (int base = from; base <= to; base += group) {
      int end = Math.min(base + used - 1, to);
      b.set(base, end + 1);
    }
  }

  private static int cpu(String digits, String part) {
    int n = number(digits, part);
    if (n > MAX_CPU) {
      throw new SyntaxException("in '" + part + "': CPU " + digits.strip() + " is above " + MAX_CPU
          + ", the largest CPU number Linux supports");
    }
    return n;
  }

  private static int number(String digits, String part) {
    String d = digits.strip();
    if (d.isEmpty() || !d.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      throw new SyntaxException("in '" + part + "': '" + d + "' is not a CPU number");
    }
    if (d.length() > 9) {
      throw new SyntaxException("in '" + part + "': CPU " + d + " is above " + MAX_CPU
          + ", the largest CPU number Linux supports");
    }
    return Integer.parseInt(d);
  }

  public boolean contains(int cpu) {
    return cpu >= 0 && bits.get(cpu);
  }

  public boolean containsAll(CpuSet other) {
    BitSet b = (BitSet) other.bits.clone();
    b.andNot(bits);
    return b.isEmpty();
  }

  public boolean intersects(CpuSet other) {
    return bits.intersects(other.bits);
  }

  public CpuSet union(CpuSet other) {
    BitSet b = (BitSet) bits.clone();
    b.or(other.bits);
    return new CpuSet(b);
  }

  public CpuSet intersect(CpuSet other) {
    BitSet b = (BitSet) bits.clone();
    b.and(other.bits);
    return new CpuSet(b);
  }

  public CpuSet minus(CpuSet other) {
    BitSet b = (BitSet) bits.clone();
    b.andNot(other.bits);
    return new CpuSet(b);
  }

  public int size() {
    return bits.cardinality();
  }

  public boolean isEmpty() {
    return bits.isEmpty();
  }

  /** The lowest CPU; the set must not be empty. */
  public int first() {
    if (bits.isEmpty()) {
      throw new NoSuchElementException("empty CpuSet");
    }
    return bits.nextSetBit(0);
  }

  public int last() {
    if (bits.isEmpty()) {
      throw new NoSuchElementException("empty CpuSet");
    }
    return bits.length() - 1;
  }

  /** The {@code n} lowest CPUs. */
  public CpuSet lowest(int n) {
    return of(stream().limit(n).boxed().toList());
  }

  /** The {@code n} highest CPUs. */
  public CpuSet highest(int n) {
    List<Integer> all = toList();
    return of(all.subList(Math.max(0, all.size() - n), all.size()));
  }

  public IntStream stream() {
    return bits.stream();
  }

  public List<Integer> toList() {
    return stream().boxed().toList();
  }

  @Override
  public Iterator<Integer> iterator() {
    PrimitiveIterator.OfInt it = bits.stream().iterator();
    return it;
  }

  /**
   * For people, not for the kernel: also folds arithmetic runs of 3 or more into rtc's
   * {@code a-b:stride} ({@code 0-62:2} for a NUMA node of even CPUs). The manifest accepts this
   * form back, so a message's set can be pasted into it. Artifacts use {@link #toString()}.
   */
  public String describe() {
    List<Integer> cpus = toList();
    List<String> parts = new ArrayList<>();
    int i = 0;
    while (i < cpus.size()) {
      int j = i + 1;
      if (j < cpus.size()) {
        int step = cpus.get(j) - cpus.get(i);
        while (j + 1 < cpus.size() && cpus.get(j + 1) - cpus.get(j) == step) {
          j++;
        }
        if (j - i >= 2) {
          parts.add(cpus.get(i) + "-" + cpus.get(j) + (step == 1 ? "" : ":" + step));
          i = j + 1;
          continue;
        }
      }
      parts.add(Integer.toString(cpus.get(i)));
      i++;
    }
    return parts.isEmpty() ? "none" : String.join(",", parts);
  }

  /**
   * The set as a hex bitmask, CPU 0 the lowest bit, without leading zeros or the kernel's commas
   * between 32-bit words ({@code 0-3} is {@code f}): how the runbook compares it with a cpumask
   * file such as /sys/devices/virtual/workqueue/cpumask once it has dropped those.
   */
  public String hexMask() {
    return isEmpty() ? "0" : new java.math.BigInteger(1, reversed(bits.toByteArray())).toString(16);
  }

  private static byte[] reversed(byte[] littleEndian) {
    byte[] b = new byte[littleEndian.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = littleEndian[b.length - 1 - i];
    }
    return b;
  }

  /** Canonical cpulist: ascending, runs of 3 or more as {@code a-b}, pairs as {@code a,b}. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    int i = bits.nextSetBit(0);
    while (i >= 0) {
      int end = bits.nextClearBit(i) - 1;
      if (end == i) {
        parts.add(Integer.toString(i));
      } else if (end == i + 1) {
        parts.add(i + "," + end);
      } else {
        parts.add(i + "-" + end);
      }
      i = bits.nextSetBit(end + 1);
    }
    return String.join(",", parts);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CpuSet other && bits.equals(other.bits);
  }

  @Override
  public int hashCode() {
    return bits.hashCode();
  }

  /** Orders by lowest CPU, then by size; gives deterministic iteration over sets of sets. */
  @Override
  public int compareTo(CpuSet o) {
    int a = isEmpty() ? -1 : first();
    int b = o.isEmpty() ? -1 : o.first();
    if (a != b) {
      return Integer.compare(a, b);
    }
    return toString().compareTo(o.toString());
  }

  /** A cpulist that does not parse; the message says what is wrong in user terms. */
  public static final class SyntaxException extends IllegalArgumentException {
    public SyntaxException(String message) {
      super(message);
    }
  }
}
