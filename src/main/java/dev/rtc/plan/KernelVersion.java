package dev.rtc.plan;

/**
 * A kernel series, major.minor: enough to decide which command-line syntax a kernel parses.
 * Facts are checked against the kernel's own history, and each carries the commit it rests on.
 */
public record KernelVersion(int major, int minor) implements Comparable<KernelVersion> {

  /**
   * {@code hugepages=<node>:<count>[,<node>:<count>]}, pages per NUMA node at boot: commit
   * b5389086ad7b ("hugetlbfs: extend the definition of hugepages parameter to support node
   * allocation"), merged for Linux 5.16. Older kernels take only a total, spread over all nodes.
   */
  public static final KernelVersion HUGEPAGES_PER_NODE = new KernelVersion(5, 16);

  /** A kernel whose series is not known (a named package without a version in its name): no syntax fact holds for it. */
  public static final KernelVersion UNKNOWN = new KernelVersion(0, 0);

  /**
   * The series a package's name gives ({@code linux-image-5.10.0-28-rt-amd64} is 5.10,
   * {@code kernel-rt-5.14.0-427.el9} 5.14), or {@link #UNKNOWN}: the first {@code major.minor} in it.
   */
  public static KernelVersion ofPackage(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (Character.isDigit(name.charAt(i)) && (i == 0 || !Character.isLetterOrDigit(name.charAt(i - 1)))) {
        int j = i;
        while (j < name.length() && Character.isDigit(name.charAt(j))) {
          j++;
        }
        int k = j + 1;
        while (k < name.length() && Character.isDigit(name.charAt(k))) {
          k++;
        }
        if (j < name.length() && name.charAt(j) == '.' && k > j + 1 && j - i <= 2 && k - j - 1 <= 3) {
          return new KernelVersion(Integer.parseInt(name.substring(i, j)), Integer.parseInt(name.substring(j + 1, k)));
        }
      }
    }
    return UNKNOWN;
  }

  public boolean known() {
    return !equals(UNKNOWN);
  }

  /** At least {@code other}; an unknown series is at least nothing, so no fact is assumed of it. */
  public boolean atLeast(KernelVersion other) {
    return known() && compareTo(other) >= 0;
  }

  @Override
  public int compareTo(KernelVersion o) {
    return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
