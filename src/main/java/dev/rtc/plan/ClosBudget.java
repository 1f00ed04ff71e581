package dev.rtc.plan;

import dev.rtc.manifest.Topology;
import dev.rtc.manifest.Topology.Cat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * How many resctrl groups the kernel can make, the default group's included. Every group gets one
 * CLOS of every resource resctrl allocates, so the limit is the least {@code num_closids} among them
 * (L3, L2 and MB), a cache's halved under CDP: the kernel's {@code closid_init()} takes that minimum
 * whether or not a group uses the resource.
 *
 * @param groups the CLOS a group can have
 * @param limits every resource's own count, in the order L3, L2, MB
 */
public record ClosBudget(int groups, List<Limit> limits) {

  /** One resource's CLOS: {@code closids} as the hardware has them, {@code usable} after CDP. */
  public record Limit(String resource, int closids, int usable, boolean cdp) {}

  public ClosBudget {
    limits = List.copyOf(limits);
  }

  /** The budget of {@code t}'s resources, or empty when it allocates nothing. */
  public static Optional<ClosBudget> of(Topology t) {
    List<Limit> limits = new ArrayList<>();
    t.l3().flatMap(Topology.CacheLevel::cat).ifPresent(c -> limits.add(limit("L3", c)));
    t.l2().flatMap(Topology.CacheLevel::cat).ifPresent(c -> limits.add(limit("L2", c)));
    t.mba().ifPresent(mb -> mb.closids().ifPresent(n -> limits.add(new Limit("MB", n, n, false))));
    return limits.stream().min(Comparator.comparingInt(Limit::usable)).map(least -> new ClosBudget(least.usable(), limits));
  }

  private static Limit limit(String resource, Cat c) {
    return new Limit(resource, c.closids(), c.usableClosids(), c.cdp());
  }

  /** The resource whose count is the limit (the first of equals). */
  public Limit least() {
    return limits.stream().filter(l -> l.usable() == groups).findFirst().orElseThrow();
  }

  /**
   * The budget as plan.md and refusals say it: "16 CLOS", "8 usable CLOS (16 halved by CDP)", or,
   * when another resource has fewer, "8 CLOS (MB's num_closids; L3 has 16)".
   */
  public String said() {
    Limit least = least();
    List<String> more = limits.stream().filter(l -> l != least && l.usable() > groups)
        .map(l -> l.resource() + " has " + l.usable() + (l.cdp() ? " after CDP" : "")).toList();
    List<String> why = new ArrayList<>();
    if (least.cdp()) {
      why.add((more.isEmpty() ? "" : least.resource() + "'s ") + least.closids() + " halved by CDP");
    } else if (!more.isEmpty()) {
      why.add(least.resource() + "'s num_closids");
    }
    why.addAll(more);
    String base = groups + (least.cdp() ? " usable CLOS" : " CLOS");
    return why.isEmpty() ? base : base + " (" + String.join("; ", why) + ")";
  }
}
