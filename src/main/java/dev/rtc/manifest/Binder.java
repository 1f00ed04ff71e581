package dev.rtc.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.Manifest.Benchmark;
import dev.rtc.manifest.Manifest.CacheInstance;
import dev.rtc.manifest.Manifest.Cat;
import dev.rtc.manifest.Manifest.Cyclictest;
import dev.rtc.manifest.Manifest.Disk;
import dev.rtc.manifest.Manifest.Emulator;
import dev.rtc.manifest.Manifest.Guest;
import dev.rtc.manifest.Manifest.Host;
import dev.rtc.manifest.Manifest.L3;
import dev.rtc.manifest.Manifest.Mba;
import dev.rtc.manifest.Manifest.NumaNode;
import dev.rtc.manifest.Manifest.Os;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Role;
import dev.rtc.manifest.Manifest.Socket;
import dev.rtc.manifest.Manifest.Topology;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest.Workload;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Turns a schema-checked tree into the {@link Manifest} records. Types and required keys are
 * already guaranteed by the schema; what is checked here is the syntax of values that have their
 * own grammar (cpulists, sizes, masks), each reported at its position.
 */
public final class Binder {

  private final Diagnostics d;

  private Binder(Diagnostics d) {
    this.d = d;
  }

  public static Manifest bind(ManifestLoader.Loaded loaded, Diagnostics d) {
    return new Binder(d).manifest(loaded);
  }

  private Manifest manifest(ManifestLoader.Loaded loaded) {
    JsonNode root = loaded.tree();
    Host host = host(root.get("host"), "/host");
    List<Vm> vms = new ArrayList<>();
    JsonNode vmNodes = root.get("vms");
    for (int i = 0; i < vmNodes.size(); i++) {
      vms.add(vm(vmNodes.get(i), "/vms/" + i, host.os()));
    }
    Optional<Benchmark> bench = Optional.ofNullable(root.get("benchmark")).map(b -> benchmark(b, "/benchmark"));
    return new Manifest(loaded.source().displayName(), loaded.source().sha256(), root.get("name").asText(), host, vms, bench);
  }

  private Host host(JsonNode n, String at) {
    List<String> extra = new ArrayList<>();
    JsonNode kernel = n.get("kernel");
    if (kernel != null && kernel.has("extraArgs")) {
      kernel.get("extraArgs").forEach(a -> extra.add(a.asText()));
    }
    return new Host(Os.of(n.get("os").asText()), topology(n.get("topology"), at + "/topology"),
        cpus(n, "housekeeping", at), size(n, "cache", at), extra, n.path("cacheAt").asText("low").equals("shareable"));
  }

  private Topology topology(JsonNode n, String at) {
    List<Socket> sockets = new ArrayList<>();
    JsonNode s = n.get("sockets");
    for (int i = 0; i < s.size(); i++) {
      sockets.add(new Socket(s.get(i).get("id").asInt(), cpus(s.get(i), "cpus", at + "/sockets/" + i)));
    }
    List<NumaNode> nodes = new ArrayList<>();
    JsonNode ns = n.get("numaNodes");
    for (int i = 0; i < ns.size(); i++) {
      String p = at + "/numaNodes/" + i;
      nodes.add(new NumaNode(ns.get(i).get("id").asInt(), cpus(ns.get(i), "cpus", p), size(ns.get(i), "memory", p), p));
    }
    Optional<L3> l3 = Optional.ofNullable(n.get("l3")).map(c -> l3(c, at + "/l3"));
    Optional<Mba> mba = Optional.ofNullable(n.get("mba")).map(m -> new Mba(m.get("granularity").asInt(), m.get("min").asInt()));
    JsonNode sib = n.get("siblings");
    if (n.get("threadsPerCore").asInt() > 1 && sib == null) {
      d.error(Code.RTC030, at + "/threadsPerCore", "threadsPerCore: 2 needs topology.siblings, which CPUs share a core",
          "copy it from /sys/devices/system/cpu/cpu0/topology/thread_siblings_list: 0,32 is {offset: 32}, 0-1 is adjacent");
    }
    int offset = sib != null && sib.isObject() ? sib.get("offset").asInt() : 0;
    return new Topology(n.get("threadsPerCore").asInt(), offset, sockets, nodes, l3, mba);
  }

  private L3 l3(JsonNode n, String at) {
    List<CacheInstance> instances = new ArrayList<>();
    JsonNode is = n.get("instances");
    for (int i = 0; i < is.size(); i++) {
      instances.add(new CacheInstance(is.get(i).get("id").asInt(), cpus(is.get(i), "cpus", at + "/instances/" + i)));
    }
    Optional<Cat> cat = Optional.ofNullable(n.get("cat")).map(c -> new Cat(mask(c, "cbmMask", at + "/cat"),
        c.get("minCbmBits").asInt(), c.get("closids").asInt(),
        c.has("shareableBits") ? mask(c, "shareableBits", at + "/cat") : new WayMask(0)));
    ByteSize size = size(n, "size", at).orElse(new ByteSize(0));
    return new L3(size, instances, cat);
  }

  private Vm vm(JsonNode n, String at, Os hostOs) {
    Placement placement = new Placement.Auto();
    JsonNode p = n.get("placement");
    if (p != null && p.has("numaNode")) {
      placement = new Placement.OnNode(p.get("numaNode").asInt());
    } else if (p != null && p.has("pin")) {
      placement = new Placement.Pinned(cpus(p, "pin", at + "/placement"));
    }
    Emulator emulator = new Emulator.Housekeeping();
    JsonNode e = n.get("emulator");
    if (e != null && e.has("cpus")) {
      emulator = new Emulator.Dedicated(e.get("cpus").asInt());
    } else if (e != null && e.has("pin")) {
      emulator = new Emulator.Pinned(cpus(e, "pin", at + "/emulator"));
    }
    OptionalInt bandwidth = n.has("memoryBandwidth") ? OptionalInt.of(n.get("memoryBandwidth").asInt()) : OptionalInt.empty();
    Optional<Workload> workload = Optional.ofNullable(n.get("workload"))
        .map(w -> w.asText().equals("stress-ng") ? Workload.STRESS_NG : Workload.KERNEL_BUILD);
    JsonNode disk = n.get("disk");
    JsonNode g = n.get("guest");
    List<String> keys = new ArrayList<>();
    if (g.has("sshAuthorizedKeys")) {
      g.get("sshAuthorizedKeys").forEach(k -> keys.add(k.asText()));
    }
    Guest guest = new Guest(g.has("os") ? Os.of(g.get("os").asText()) : hostOs, g.get("user").asText(),
        g.get("passwordHash").asText(), keys);
    return new Vm(n.get("name").asText(), n.get("role").asText().equals("realtime") ? Role.REALTIME : Role.STRESSOR,
        n.get("vcpus").asInt(), size(n, "memory", at).orElse(new ByteSize(0)), placement, emulator,
        size(n, "cache", at), bandwidth, workload,
        new Disk(disk.get("baseImage").asText(), size(disk, "size", at + "/disk").orElse(new ByteSize(0))), guest,
        Optional.ofNullable(n.get("hugepages")).map(h -> ByteSize.parse(h.asText())), at);
  }

  private Benchmark benchmark(JsonNode n, String at) {
    JsonNode c = n.get("cyclictest");
    String cat = at + "/cyclictest";
    Cyclictest ct = new Cyclictest(c.get("threads").asInt(), c.get("priority").asInt(), c.get("intervalUs").asInt(),
        c.has("distanceUs") ? c.get("distanceUs").asInt() : 0,
        c.has("mainAffinity") ? OptionalInt.of(c.get("mainAffinity").asInt()) : OptionalInt.empty(),
        cpus(c, "affinity", cat));
    JsonNode v = n.get("verdictUs");
    return new Benchmark(n.get("vm").asText(), ct, n.get("duration").asText(), v.get("great").asInt(), v.get("good").asInt(), at);
  }

  private CpuSet cpus(JsonNode parent, String key, String at) {
    JsonNode n = parent.get(key);
    String p = Pointers.child(at, key);
    try {
      return CpuSet.parse(n.asText());
    } catch (CpuSet.SyntaxException e) {
      d.error(Code.RTC020, p, e.getMessage(), "write CPUs as a Linux cpulist, e.g. \"0-3\", \"4-63\", \"0-62:2\" (even CPUs)");
      return CpuSet.empty();
    }
  }

  private Optional<ByteSize> size(JsonNode parent, String key, String at) {
    JsonNode n = parent.get(key);
    if (n == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ByteSize.parse(n.asText()));
    } catch (ByteSize.SyntaxException e) {
      d.error(Code.RTC021, Pointers.child(at, key), e.getMessage(), "e.g. 60 MiB, 28160K, 8 GiB");
      return Optional.empty();
    }
  }

  private WayMask mask(JsonNode parent, String key, String at) {
    return WayMask.parseHex(parent.get(key).asText()); // the schema's pattern guarantees hex of ≤ 32 bits
  }
}
