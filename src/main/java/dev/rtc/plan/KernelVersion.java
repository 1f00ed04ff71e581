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

  public boolean atLeast(KernelVersion other) {
    return compareTo(other) >= 0;
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
