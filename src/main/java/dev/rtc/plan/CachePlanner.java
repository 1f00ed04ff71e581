package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology.CacheLevel;
import dev.rtc.manifest.Topology.Cat;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.plan.Plan.Bandwidth;
import dev.rtc.plan.Plan.CacheAlloc;
import dev.rtc.plan.Plan.CachePlan;
import dev.rtc.plan.Plan.Decision;
import dev.rtc.plan.Plan.Owner;
import dev.rtc.plan.Plan.Resctrl;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns MiB budgets into whole cache ways and predicts the exact masks, by the kernel's and
 * libvirt's rules (shared/design/resctrl-libvirt-rules.md):
 * <ul>
 *   <li>way size = instance size ÷ popcount(cbm_mask), integer bytes — libvirt's granularity;
 *   <li>a request rounds up to whole ways, at least min_cbm_bits, never the whole cache;
 *   <li>the host's default group is carved first, at the low end of every instance; libvirt only
 *       finds free ways after rtc shrinks it;
 *   <li>each real-time VM then gets what libvirt's placement picks, replayed in start order;
 *   <li>each VM group uses one CLOS; the default group uses CLOS 0.
 * </ul>
 */
final class CachePlanner {

  private final Manifest m;
  private final Diagnostics d;
  private final List<Decision> decisions;

  CachePlanner(Manifest m, Diagnostics d, List<Decision> decisions) {
    this.m = m;
    this.d = d;
    this.decisions = decisions;
  }

  record Result(Optional<CachePlan> plan, Map<String, Resctrl> groups) {}

  /** @param placed in start order */
  Result plan(List<CpuPlanner.Placed> placed) {
    Map<String, Resctrl> groups = new HashMap<>();
    Optional<CacheLevel> level = m.host().topology().catLevel();
    Optional<Cat> cat = level.flatMap(CacheLevel::cat);
    boolean anyRequest = placed.stream().anyMatch(p -> p.vm().cache().isPresent() || p.vm().memoryBandwidth().isPresent());
    if (m.host().cache().isPresent() && cat.isEmpty()) {
      d.error(Code.RTC043, "/host/cache", "host.cache needs Cache Allocation Technology, and neither topology.l3.cat nor "
          + "topology.l2.cat is given", "remove host.cache, or add topology.l3.cat from /sys/fs/resctrl/info/L3");
      return new Result(Optional.empty(), groups);
    }
    if (cat.isEmpty() || m.host().cache().isEmpty()) {
      if (anyRequest) {
        bandwidthOnly(placed, groups);
      }
      return new Result(Optional.empty(), groups);
    }
    CacheLevel cache = level.get();
    Cat c = cat.get();
    String name = "L" + cache.level();
    boolean rtcOwned = m.host().cacheOwner() == Manifest.CacheOwner.RESCTRL;
    int ways = c.cbmMask().ways();
    ByteSize wayBytes = new ByteSize(cache.size().bytes() / ways);
    decisions.add(new Decision(name, "way size " + wayBytes.exact(), cache.size().exact() + " per instance ÷ " + ways
        + " ways (cbm_mask " + c.cbmMask().hex(c.cbmMask().width()) + (cache.level() == 3 ? "); libvirt's granularity is the same number"
            : "); resctrl's size file counts ways the same")));
    if (rtcOwned) {
      decisions.add(new Decision(name, "real-time VMs' groups are created by rtc, not libvirt", (cache.level() == 2
          ? "libvirt cannot allocate L2 (host.cacheOwner: resctrl); " : "host.cacheOwner: resctrl; ") + "at boot, rtc-resctrl.service "
          + "makes one group per real-time VM whose cpus_list is the host CPUs its real-time vCPUs are pinned to, so everything "
          + "running there (the vCPU threads stay in the default group) uses the group's ways; the ways are chosen as libvirt would"));
    }
    if (c.cdp()) {
      decisions.add(new Decision(name, "code/data prioritization: every group gets an " + name + "CODE and an " + name + "DATA mask",
          "resctrl is mounted with CDP (" + (cache.level() == 3 ? "-o cdp" : "-o cdpl2") + "), so libvirt's cachetune must ask for code and "
              + "data; each VM asks both the same size, and libvirt places each on its own free ways, which are the same, so both get "
              + "the same mask; CDP halves the CLOS to " + c.usableClosids()));
    }
    int snc = cache.level() == 3 ? sncNodes(m.host().topology()) : 1;
    // Under sub-NUMA clustering a node's own data lands in its share of each way only, so a way holds
    // 1/snc of it: the kernel's resctrl selftests divide the effective L3 by the nodes per L3 alike.
    // Requests (what a VM gets) round up in that unit; libvirt is still asked in whole ways.
    ByteSize unit = snc > 1 ? new ByteSize(wayBytes.bytes() / snc) : wayBytes;
    if (snc > 1) {
      decisions.add(new Decision(name, "sub-NUMA clustering: " + snc + " NUMA nodes share each L3 instance",
          "a node's data fills its 1/" + snc + " of every way, so a way holds " + unit.exact() + " for one node; cache requests are "
              + "rounded up in that unit, and libvirt is asked for whole ways"));
    }

    ByteSize hostAsk = m.host().cache().get();
    int hostWays = waysFor(hostAsk, unit, c.minCbmBits());
    if (hostWays >= ways) {
      d.error(Code.RTC061, "/host/cache", "host.cache " + hostAsk.exact() + " rounds up to " + hostWays + " of " + ways
          + " ways, leaving none for real-time VMs", (hinting ? smallerHostCacheThatFits(placed, hostWays, unit, c.minCbmBits())
              : Optional.<ByteSize>empty()).map(h -> "lower host.cache from " + said(hostAsk) + " to " + said(h))
              .orElse("lower host.cache to at most " + said(wayBytes(ways - 1, unit))));
      return new Result(Optional.empty(), groups);
    }
    WayMask hostMask = WayMask.ofRun(c.cbmMask().lowestWay(), hostWays);
    String where = "the low end, as in the guide";
    WayMask shared = c.shareableBits(); // empty when the manifest gives none; Rules keeps it inside the cbm mask
    if (m.host().cacheOverShareable() && !shared.isEmpty()) {
      // A contiguous run (CAT allows no other) that covers every shareable way, hostWays long at least,
      // ending at the highest shareable way: libvirt then finds the real-time VMs' ways below it.
      int hi = shared.width() - 1;
      int width = Math.max(hostWays, hi - shared.lowestWay() + 1);
      if (width >= ways) {
        d.error(Code.RTC061, "/host/cacheAt", "covering the shareable ways " + shared.hex(c.cbmMask().width()) + " takes " + width + " of " + ways
            + " ways, leaving none for real-time VMs", "use cacheAt: low");
        return new Result(Optional.empty(), groups);
      }
      int start = Math.max(c.cbmMask().lowestWay(), hi - width + 1);
      hostMask = WayMask.ofRun(start, width);
      where = "over the ways shared with I/O (shareable_bits " + shared.hex(c.cbmMask().width()) + ")" + (width > hostWays
          ? ", widened from " + hostWays + " to " + width + " ways to cover them" : "") + ", so no device evicts a real-time VM's lines";
      hostWays = width;
    }
    decisions.add(new Decision("host", "default group keeps " + hostWays + " ways (" + hostMask.describe() + ") = "
        + wayBytes(hostWays, wayBytes).exact() + " on every " + name + " instance", rounding(hostAsk, waysFor(hostAsk, unit, c.minCbmBits()),
            unit, c.minCbmBits(), snc) + "; " + where + "; every task and CPU outside a VM group uses these ways"));

    SortedMap<Integer, WayMask> hostMasks = new TreeMap<>();
    SortedMap<Integer, WayMask> free = new TreeMap<>();
    SortedMap<Integer, List<Owner>> owners = new TreeMap<>();
    for (Topology.CacheInstance inst : cache.instances()) {
      hostMasks.put(inst.id(), hostMask);
      free.put(inst.id(), c.cbmMask().minus(hostMask));
      owners.put(inst.id(), new ArrayList<>(List.of(new Owner("host", hostMask))));
    }

    int clos = 0;
    for (CpuPlanner.Placed p : placed) {
      Vm vm = p.vm();
      if (!vm.isRealtime() || (vm.cache().isEmpty() && vm.memoryBandwidth().isEmpty())) {
        continue;
      }
      CpuSet rtVcpus = vm.realtimeVcpus();
      CpuSet rtCpus = CpuSet.of(rtVcpus.stream().map(i -> p.pins().get(i)).boxed().toList());
      List<Integer> instances = instancesOf(cache, rtCpus);
      List<Integer> mbDomains = m.host().topology().l3().map(l3 -> instancesOf(l3, rtCpus)).orElse(List.of());
      List<CacheAlloc> allocs = new ArrayList<>();
      if (vm.cache().isPresent()) {
        ByteSize ask = vm.cache().get();
        int need = waysFor(ask, unit, c.minCbmBits());
        if (need >= ways) {
          d.error(Code.RTC061, vm.pointer() + "/cache", vm.name() + " asks " + ask.exact() + " = " + need + " ways, the whole " + name + " of "
              + ways + " ways; libvirt refuses the whole cache", (hinting ? largestCacheThatFits(placed, vm, ways - 1, unit, c.minCbmBits())
                  : Optional.<ByteSize>empty()).map(s -> "lower " + vm.name() + ".cache from " + said(ask) + " to " + said(s))
                  .orElse("lower " + vm.name() + ".cache below " + said(wayBytes(ways, unit))));
          continue;
        }
        for (int id : instances) {
          // libvirt picks by its own rule; when rtc makes the groups it keeps real-time ways off
          // the ones shared with I/O where a run fits elsewhere, and falls back to libvirt's rule.
          Optional<WayMask> clean = rtcOwned && !shared.isEmpty()
              ? LibvirtCachePlacement.findUnused(free.get(id).minus(shared), need) : Optional.empty();
          Optional<WayMask> mask = clean.isPresent() ? clean : LibvirtCachePlacement.findUnused(free.get(id), need);
          if (mask.isEmpty()) {
            int room = LibvirtCachePlacement.longestRun(free.get(id));
            Optional<ByteSize> hostFix = hinting ? smallerHostCacheThatFits(placed, hostWays, unit, c.minCbmBits()) : Optional.empty();
            String hostHint = hostFix.map(h -> "lower host.cache from " + said(hostAsk) + " to " + said(h)).orElse(
                "lower host.cache or another real-time VM's cache");
            d.error(Code.RTC061, vm.pointer() + "/cache", name + " instance " + id + " needs " + need + " contiguous free ways for "
                + vm.name() + " (" + ask.exact() + ") but its largest free run is " + room + " ways ("
                + describeOwners(owners.get(id)) + ")", room >= c.minCbmBits()
                    ? "lower " + vm.name() + ".cache from " + said(ask) + " to " + said(wayBytes(room, unit)) + "; or " + hostHint : hostHint);
            continue;
          }
          if (mask.get().overlaps(shared)) {
            d.warning(Code.RTC066, vm.pointer() + "/cache", vm.name() + "'s " + mask.get().describe() + " on " + name + " instance " + id
                + " include ways shared with I/O (shareable_bits " + shared.hex(c.cbmMask().width()) + "): device DMA can evict its lines",
                "set host.cacheAt: shareable, which puts the host's ways over them");
          }
          free.put(id, free.get(id).minus(mask.get()));
          owners.get(id).add(new Owner(vm.name(), mask.get()));
          allocs.add(new CacheAlloc(id, ask, need, wayBytes(need, wayBytes), mask.get()));
          decisions.add(new Decision(vm.name(), name + " instance " + id + ": " + need + (need == 1 ? " way = " : " ways = ")
              + wayBytes(need, wayBytes).exact()
              + " for vCPUs " + rtVcpus + (rtcOwned ? " (host CPUs " + rtCpus + "); group " + Plan.rtcGroup(vm.name()) + " gets " : "; libvirt will pick ")
              + mask.get().describe() + " (mask " + mask.get().hex(c.cbmMask().width()) + ")",
              rounding(ask, need, unit, c.minCbmBits(), snc) + (rtcOwned ? "; the smallest free run that fits, lowest first, at its low end, "
                  + "as libvirt would choose" + (clean.isPresent() ? ", among the ways not shared with I/O" : "")
                  : "; libvirt takes the smallest free run that fits, lowest first, at its low end")));
        }
      }
      if (!allocs.isEmpty() && hostMasks.size() > allocs.size()) {
        List<Integer> others = hostMasks.keySet().stream().filter(id -> allocs.stream().noneMatch(a -> a.cacheId() == id)).toList();
        decisions.add(new Decision(vm.name(), name + " instance" + (others.size() > 1 ? "s " : " ") + others.stream().map(String::valueOf)
            .reduce((a, b) -> a + "," + b).orElse("") + " keep" + (others.size() > 1 ? "" : "s") + " the default group's mask "
            + hostMask.hex(c.cbmMask().width()) + " in its group", "its vCPUs never run there; "
            + (rtcOwned ? "rtc writes" : "libvirt copies") + " the default group's line for every instance the VM does not ask for"));
      }
      List<Bandwidth> bw = bandwidth(vm, mbDomains);
      if (!rtcOwned) {
        libvirtReach(vm, instances, mbDomains);
      }
      clos++;
      groups.put(vm.name(), new Resctrl(rtVcpus, allocs, bw));
    }
    closLimit(clos);
    for (var e : owners.entrySet()) {
      WayMask left = free.get(e.getKey());
      if (!left.isEmpty()) {
        decisions.add(new Decision(name, "instance " + e.getKey() + ": " + left.ways() + " ways unallocated (" + left.describe() + ")",
            "no group holds them, so no task uses them; raise host.cache or a VM's cache to put them to work"));
      }
    }
    return new Result(Optional.of(new CachePlan(cache.level(), rtcOwned, c.cdp(), cache.size(), c.cbmMask(), wayBytes, c.minCbmBits(), c.closids(),
        ClosBudget.of(m.host().topology()).orElseThrow(), hostAsk, hostWays, hostMasks, owners)), groups);
  }

  /**
   * libvirt counts cache banks instead of reading their ids: it knows ids 0 to banks − 1 only, so
   * on a host whose L3 ids have gaps a cachetune or memorytune for a higher id fails at start
   * ("Cache with id %u does not exists", "bandwidth controller id %zd does not exist").
   */
  private void libvirtReach(Vm vm, List<Integer> cacheIds, List<Integer> mbIds) {
    int banks = m.host().topology().l3().map(l3 -> l3.instances().size()).orElse(0);
    List<Integer> beyond = java.util.stream.Stream.concat(vm.cache().isPresent() ? cacheIds.stream() : java.util.stream.Stream.empty(),
        vm.memoryBandwidth().isPresent() ? mbIds.stream() : java.util.stream.Stream.empty()).filter(id -> id >= banks).distinct().sorted().toList();
    if (!beyond.isEmpty()) {
      d.error(Code.RTC043, vm.pointer() + (vm.cache().isPresent() ? "/cache" : "/memoryBandwidth"), vm.name() + " runs on L3 instance "
          + beyond.get(0) + ", which libvirt cannot address: it numbers this host's " + banks + " L3 banks 0-" + (banks - 1)
          + " instead of reading their ids, and refuses id " + beyond.get(0) + " when the VM starts",
          "set host.cacheOwner: resctrl, so rtc makes the groups with the real ids");
    }
  }

  /**
   * The largest host.cache, below the one asked, under which every real-time VM's cache is placed:
   * found by planning the cache again (silently) with each smaller whole-way size, so the hint is
   * one that works, not an estimate.
   */
  private Optional<ByteSize> smallerHostCacheThatFits(List<CpuPlanner.Placed> placed, int hostWays, ByteSize unit, int minBits) {
    for (int w = hostWays - 1; w >= Math.max(1, minBits); w--) {
      ByteSize size = new ByteSize(w * unit.bytes());
      if (plansWithout(m.withHost(m.host().withCache(size)), placed, x -> x.code() == Code.RTC061)) {
        return Optional.of(size);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code placed} plans on {@code manifest} with no diagnostic {@code refusal} matches: planned silently, without hints. */
  private boolean plansWithout(Manifest manifest, List<CpuPlanner.Placed> placed, java.util.function.Predicate<Diagnostic> refusal) {
    Diagnostics scratch = d.scratch();
    CachePlanner again = new CachePlanner(manifest, scratch, new ArrayList<>());
    again.hinting = false;
    again.plan(placed);
    return scratch.all().stream().noneMatch(refusal);
  }

  /** Whether the cache of a candidate placement plans at all: the CPU search's test, which needs no hints. */
  static boolean plans(Manifest m, Diagnostics d, List<CpuPlanner.Placed> placed) {
    return new CachePlanner(m, d, List.of()).plansWithout(m, placed, Diagnostic::isError);
  }


  /** False in the silent re-plans that test a hint, so they do not look for hints themselves. */
  private boolean hinting = true;

  /** memorytune without cachetune, or with no L3 CAT at all. */
  private void bandwidthOnly(List<CpuPlanner.Placed> placed, Map<String, Resctrl> groups) {
    Optional<CacheLevel> l3 = m.host().topology().l3();
    for (CpuPlanner.Placed p : placed) {
      Vm vm = p.vm();
      if (vm.isRealtime() && vm.memoryBandwidth().isPresent() && l3.isPresent()) {
        List<Integer> instances = instancesOf(l3.get(), CpuSet.of(vm.realtimeVcpus().stream().map(i -> p.pins().get(i)).boxed().toList()));
        groups.put(vm.name(), new Resctrl(vm.realtimeVcpus(), List.of(), bandwidth(vm, instances)));
      }
    }
    closLimit(groups.size());
  }

  /**
   * Refuses more VM groups than resctrl has CLOS for, the default group's one counted: the least
   * num_closids over L3, L2 and MB (a cache's halved under CDP), as the kernel counts them.
   */
  private void closLimit(int vmGroups) {
    Optional<ClosBudget> budget = ClosBudget.of(m.host().topology());
    if (budget.isEmpty() || vmGroups <= budget.get().groups() - 1) {
      return;
    }
    int usable = budget.get().groups();
    String info = "/sys/fs/resctrl/info/" + budget.get().least().resource() + (budget.get().least().cdp() ? "CODE" : "") + "/num_closids";
    d.error(Code.RTC062, "/vms", vmGroups + " real-time VM" + (vmGroups == 1 ? " needs its" : "s need their") + " own resctrl group, but "
        + "this host has " + budget.get().said() + " and the host's default group uses one",
        usable > 1
            ? "give cache or memoryBandwidth to at most " + (usable - 1) + " VMs"
            : "no VM can have cache or memoryBandwidth here; check closids against " + info);
  }

  private List<Bandwidth> bandwidth(Vm vm, List<Integer> instances) {
    if (vm.memoryBandwidth().isEmpty()) {
      return List.of();
    }
    int pct = vm.memoryBandwidth().getAsInt();
    decisions.add(new Decision(vm.name(), "memory bandwidth " + pct + "% on MB domain" + (instances.size() > 1 ? "s " : " ")
        + instances.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse(""),
        "the L3 instances its real-time vCPUs run on; other domains keep the default group's value"));
    return instances.stream().map(id -> new Bandwidth(id, pct)).toList();
  }

  private static List<Integer> instancesOf(CacheLevel cache, CpuSet cpus) {
    return cache.instances().stream().filter(i -> i.cpus().intersects(cpus)).map(Topology.CacheInstance::id).sorted().toList();
  }

  static int waysFor(ByteSize ask, ByteSize wayBytes, int minBits) {
    long ways = (ask.bytes() + wayBytes.bytes() - 1) / wayBytes.bytes();
    return (int) Math.max(minBits, Math.min(ways, 64));
  }

  /**
   * The largest cache for {@code vm}, in whole units below {@code most} ways, under which its cache
   * is placed: planned again silently for each size, so the hint is one that works.
   */
  private Optional<ByteSize> largestCacheThatFits(List<CpuPlanner.Placed> placed, Vm vm, int most, ByteSize unit, int minBits) {
    String at = dev.rtc.manifest.diagnostics.Pointers.display(vm.pointer() + "/cache");
    for (int w = most; w >= Math.max(1, minBits); w--) {
      ByteSize size = new ByteSize(w * unit.bytes());
      List<CpuPlanner.Placed> changed = placed.stream().map(p -> p.vm().name().equals(vm.name())
          ? new CpuPlanner.Placed(p.vm().withCache(size), p.node(), p.type(), p.pins(), p.emulator()) : p).toList();
      if (plansWithout(m, changed, x -> x.code() == Code.RTC061 && x.path().equals(at))) {
        return Optional.of(size);
      }
    }
    return Optional.empty();
  }


  /** A size as a manifest says it: MiB, with decimals where they are exact (22.5 MiB), else the exact unit (2304 KiB). */
  static String said(ByteSize b) {
    java.math.BigDecimal mib = java.math.BigDecimal.valueOf(b.bytes()).divide(java.math.BigDecimal.valueOf(1L << 20));
    return mib.stripTrailingZeros().scale() <= 2 && b.bytes() >= (1L << 20) ? mib.stripTrailingZeros().toPlainString() + " MiB" : b.exact();
  }

  private static ByteSize wayBytes(int ways, ByteSize wayBytes) {
    return new ByteSize(ways * wayBytes.bytes());
  }

  /** The most NUMA nodes that share one L3 instance: 1, or 2 to 6 under sub-NUMA clustering. */
  static int sncNodes(Topology t) {
    return t.l3().map(l3 -> l3.instances().stream().mapToInt(i -> t.nodesSharing(i).size()).max().orElse(1)).orElse(1);
  }

  /** @param wayBytes what one way holds for the asker: the way, or its share of a sub-NUMA node */
  private static String rounding(ByteSize ask, int ways, ByteSize wayBytes, int minBits, int snc) {
    String r = rounding(ask, ways, wayBytes, minBits);
    return snc > 1 ? r + " (per node; " + ways + " whole ways of L3)" : r;
  }

  private static String rounding(ByteSize ask, int ways, ByteSize wayBytes, int minBits) {
    ByteSize got = wayBytes(ways, wayBytes);
    if (got.equals(ask)) {
      return ask.exact() + " asked = exactly " + ways + " × " + wayBytes.exact();
    }
    if (ways == minBits && ask.bytes() <= (long) (minBits - 1) * wayBytes.bytes()) {
      return ask.exact() + " asked, raised to min_cbm_bits = " + minBits + " ways = " + got.exact();
    }
    return ask.exact() + " asked, rounded up to " + ways + " whole ways = " + got.exact();
  }

  private static String describeOwners(List<Owner> owners) {
    return String.join(", ", owners.stream().map(o -> o.who() + " holds " + o.mask().describe()).toList());
  }
}
