package dev.rtc.manifest;

import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the user wrote, bound and typed, with nothing decided yet. The plan's records (package
 * {@code dev.rtc.plan}) hold what the solver decided; the two are kept apart on purpose.
 *
 * @param sha256 of the manifest's bytes, for provenance headers
 */
public record Manifest(String file, String sha256, String name, Host host, List<Vm> vms, Optional<Benchmark> benchmark) {

  public Manifest {
    vms = List.copyOf(vms);
  }

  public Optional<Vm> vm(String name) {
    return vms.stream().filter(v -> v.name().equals(name)).findFirst();
  }

  public enum Os {
    DEBIAN11("debian11"), DEBIAN12("debian12"), UBUNTU2204("ubuntu2204"), UBUNTU2404("ubuntu2404"), RHEL9("rhel9");

    private final String id;

    Os(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    public static Os of(String id) {
      for (Os o : values()) {
        if (o.id.equals(id)) {
          return o;
        }
      }
      throw new IllegalArgumentException(id);
    }
  }

  /** @param cacheOverShareable the host's default group sits over the L3 ways shared with I/O (host.cacheAt: shareable) */
  public record Host(Os os, Topology topology, CpuSet housekeeping, Optional<ByteSize> cache, List<String> extraKernelArgs,
      boolean cacheOverShareable) {
    public Host {
      extraKernelArgs = List.copyOf(extraKernelArgs);
    }
  }

  /**
   * @param siblingOffset with SMT, CPU n and n + offset share a core (n below the offset); 0 for
   *     adjacent numbering (2k and 2k+1); ignored without SMT
   */
  public record Topology(int threadsPerCore, int siblingOffset, List<Socket> sockets, List<NumaNode> numaNodes, Optional<L3> l3,
      Optional<Mba> mba) {
    public Topology {
      sockets = List.copyOf(sockets);
      numaNodes = List.copyOf(numaNodes);
    }

    public boolean smt() {
      return threadsPerCore > 1;
    }

    /** The CPU that shares {@code cpu}'s core; {@code cpu} itself without SMT. */
    public int sibling(int cpu) {
      if (!smt()) {
        return cpu;
      }
      if (siblingOffset == 0) {
        return cpu ^ 1;
      }
      return cpu < siblingOffset ? cpu + siblingOffset : cpu - siblingOffset;
    }

    public CpuSet allCpus() {
      CpuSet all = CpuSet.empty();
      for (Socket s : sockets) {
        all = all.union(s.cpus());
      }
      return all;
    }
  }

  public record Socket(int id, CpuSet cpus) {}

  public record NumaNode(int id, CpuSet cpus, Optional<ByteSize> memory, String pointer) {}

  public record L3(ByteSize size, List<CacheInstance> instances, Optional<Cat> cat) {
    public L3 {
      instances = List.copyOf(instances);
    }
  }

  public record CacheInstance(int id, CpuSet cpus) {}

  /** What /sys/fs/resctrl/info/L3 says. {@code shareableBits} is empty ({@code 0}) when not given. */
  public record Cat(WayMask cbmMask, int minCbmBits, int closids, WayMask shareableBits) {}

  /** /sys/fs/resctrl/info/MB. */
  public record Mba(int granularity, int min) {}

  public enum Role {
    REALTIME, STRESSOR;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public enum Workload {
    KERNEL_BUILD("kernel-build"), STRESS_NG("stress-ng");

    private final String id;

    Workload(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }
  }

  /** Where the user wants a VM's vCPUs: anywhere, on a node, or on exact CPUs. */
  public sealed interface Placement {
    record Auto() implements Placement {}

    record OnNode(int node) implements Placement {}

    record Pinned(CpuSet cpus) implements Placement {}
  }

  /** Where the emulator threads go: the node's housekeeping CPUs, N dedicated CPUs, or exact CPUs. */
  public sealed interface Emulator {
    record Housekeeping() implements Emulator {}

    record Dedicated(int count) implements Emulator {}

    record Pinned(CpuSet cpus) implements Emulator {}
  }

  /**
   * @param pointer JSON pointer of this VM in the manifest, for diagnostics
   */
  public record Vm(String name, Role role, int vcpus, ByteSize memory, Placement placement, Emulator emulator,
      Optional<ByteSize> cache, OptionalInt memoryBandwidth, Optional<Workload> workload, Disk disk, Guest guest,
      Optional<ByteSize> hugepages, String pointer) {

    public boolean isRealtime() {
      return role == Role.REALTIME;
    }
  }

  public record Disk(String baseImage, ByteSize size) {}

  public record Guest(Os os, String user, String passwordHash, List<String> sshAuthorizedKeys) {
    public Guest {
      sshAuthorizedKeys = List.copyOf(sshAuthorizedKeys);
    }
  }

  public record Benchmark(String vm, Cyclictest cyclictest, String duration, int greatUs, int goodUs, String pointer) {}

  public record Cyclictest(int threads, int priority, int intervalUs, int distanceUs, OptionalInt mainAffinity, CpuSet affinity) {}
}
