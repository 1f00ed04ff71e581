package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.io.Version;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;

/** {@code plan.json}: the plan for machines (CI gates, dashboards, {@code rtc diff}). */
final class PlanJson {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private PlanJson() {}

  /** plan.json, as an {@link Emitter}. */
  static java.util.List<Bundle.Artifact> emit(Plan plan, String header) {
    return java.util.List.of(Emitters.text("plan.json", of(plan)));
  }

  static byte[] of(Plan plan) {
    ObjectNode root = JSON.objectNode();
    root.put("planVersion", 1);
    root.put("generator", "rtc " + Version.get());
    root.put("bundle", plan.name());
    root.put("manifestSha256", plan.manifestSha256());
    ObjectNode host = root.putObject("host");
    host.put("os", plan.os().id());
    host.put("housekeeping", plan.host().housekeeping().toString());
    host.put("isolated", plan.host().isolated().toString());
    ObjectNode power = host.putObject("power");
    power.put("mode", plan.host().power().mode().id());
    power.put("held", plan.host().power().held().toString());
    power.put("free", plan.host().power().free().toString());
    if (plan.host().power().balanced()) {
      power.put("heldResumeLatencyUs", dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US);
    }
    ArrayNode args = host.putArray("kernelArgs");
    plan.host().cmdline().strings().forEach(args::add);
    kernel(host.putObject("kernel"), plan.host().kernel());
    tuning(host.putObject("tuning"), plan.host().tuning());
    plan.cache().ifPresent(c -> {
      ObjectNode cache = root.putObject("l" + c.level());
      cache.put("instanceBytes", c.instanceSize().bytes());
      cache.put("ways", c.ways());
      cache.put("wayBytes", c.wayBytes().bytes());
      cache.put("hostWays", c.hostWays());
      cache.put("defaultGroupSchemata", c.schemataLine());
      cache.put("vmGroupsMadeBy", c.rtcOwned() ? "rtc" : "libvirt");
      ObjectNode instances = cache.putObject("instances");
      c.owners().forEach((id, owners) -> {
        ObjectNode inst = instances.putObject(String.valueOf(id));
        owners.forEach(o -> inst.put(o.who(), c.hex(o.mask())));
      });
    });
    ArrayNode vms = root.putArray("vms");
    for (VmPlan vm : plan.vms()) {
      ObjectNode v = vms.addObject();
      v.put("name", vm.name());
      v.put("role", vm.role().id());
      v.put("os", vm.os().id());
      v.put("memoryBytes", vm.memory().bytes());
      v.putObject("disk").put("baseImage", dev.rtc.plan.Supplies.imagePath(vm.disk().baseImage()))
          .put("bytes", vm.disk().size().bytes());
      v.put("startOrder", vm.startOrder());
      v.put("numaNode", vm.numaNode());
      if (plan.topology().hybrid()) {
        v.put("coreType", plan.topology().coreType(vm.vcpuPins().get(0)).id());
      }
      ArrayNode pins = v.putArray("vcpuPins");
      vm.vcpuPins().forEach(pins::add);
      v.put("emulatorCpus", vm.emulatorCpus().toString());
      if (!plan.idleSiblings(vm).isEmpty()) {
        v.put("idleSiblings", plan.idleSiblings(vm).toString());
      }
      vm.hugepages().ifPresent(h -> v.put("hugepageBytes", h.bytes()));
      v.put("realtimeVcpus", vm.rtVcpus().toString());
      v.put("uuid", vm.uuid());
      v.put("mac", vm.mac());
      var nics = v.putArray("nics");
      vm.nics().forEach(n -> nics.addObject().put("attachment", n.attachment().kind().id()).put("name", n.attachment().name())
          .put("mac", n.mac()));
      var devices = v.putArray("devices");
      for (Plan.Passed p : vm.devices()) {
        var a = p.device();
        ObjectNode d = devices.addObject();
        d.put("address", a.address().toString());
        d.put("kind", a.isVf() ? "vf" : "whole");
        d.put("id", a.device().id());
        d.put("node", a.device().node());
        if (a.isVf()) {
          d.put("physicalFunction", a.device().address().toString());
          d.put("vf", a.vf().getAsInt());
          d.put("mac", p.mac().orElseThrow());
          a.vlan().ifPresent(x -> d.put("vlan", x));
        } else {
          a.device().iommuGroup().ifPresent(g -> d.put("iommuGroup", g));
        }
      }
      vm.resctrl().ifPresent(r -> {
        ObjectNode g = v.putObject("resctrl");
        g.put("vcpus", r.vcpus().toString());
        if (plan.cache().map(Plan.CachePlan::rtcOwned).orElse(false)) {
          g.put("group", Plan.rtcGroup(vm.name()));
          g.put("cpus", plan.rtHostCpus(vm).toString());
        }
        ArrayNode caches = g.putArray("l" + plan.cache().map(Plan.CachePlan::level).orElse(3));
        r.caches().forEach(a -> {
          ObjectNode c = caches.addObject();
          c.put("cacheId", a.cacheId());
          c.put("requestedBytes", a.requested().bytes());
          c.put("ways", a.ways());
          c.put("bytes", a.size().bytes());
          c.put("mask", plan.cache().map(p -> p.hex(a.mask())).orElse(""));
        });
        ArrayNode bw = g.putArray("memoryBandwidth");
        r.bandwidth().forEach(b -> bw.addObject().put("node", b.node()).put("percent", b.percent()));
      });
      vm.guestCmdline().ifPresent(c -> {
        ArrayNode ga = v.putArray("guestKernelArgs");
        c.strings().forEach(ga::add);
      });
      vm.kernel().ifPresent(k -> kernel(v.putObject("kernel"), k));
      vm.tuning().ifPresent(t -> tuning(v.putObject("tuning"), t));
    }
    supplies(root.putObject("supplies"), dev.rtc.plan.Supplies.of(plan));
    plan.benchmark().ifPresent(b -> {
      // What rtc report judges a run by: thresholds, and the threads and samples to expect.
      ObjectNode bench = root.putObject("benchmark");
      bench.put("vm", b.vm());
      ArrayNode a = bench.putArray("cyclictestArgs");
      b.cyclictestArgs().forEach(a::add);
      bench.put("threads", b.threads());
      bench.put("intervalUs", b.intervalUs());
      bench.put("durationSeconds", b.durationSeconds());
      bench.put("histogramBucketsUs", b.histogramBuckets());
      bench.putObject("verdictUs").put("great", b.greatUs()).put("good", b.goodUs());
      // Below this, a stressor's load makes the run NO VERDICT, in the runbook and in rtc report alike.
      bench.put("stressLoadMinPercent", RunbookModel.STRESS_LOAD_MIN_PERCENT);
      // A run is judged only with a passed qualification record of the platform (results/host/qualify.json).
      dev.rtc.plan.QualifyPlan q = dev.rtc.plan.QualifyPlan.of(plan);
      bench.putObject("qualify").put("required", true).put("seconds", q.seconds()).put("noiseLimitUs", q.noiseLimitUs());
    });
    ArrayNode decisions = root.putArray("decisions");
    plan.decisions().forEach(d -> decisions.addObject().put("subject", d.subject()).put("what", d.what()).put("why", d.why()));
    return TreeWriter.jsonUtf8(root);
  }

  private static void kernel(ObjectNode k, dev.rtc.plan.KernelPlan p) {
    k.put("realtime", p.realtime().id());
    k.put("name", p.name());
    ArrayNode pk = k.putArray("packages");
    p.packages().forEach(pk::add);
    p.repo().ifPresent(r -> k.put("repository", r.sourcesLine()));
    k.put("ubuntuPro", p.ubuntuPro());
    k.put("release", p.release());
  }

  private static void tuning(ObjectNode t, dev.rtc.plan.TuningPlan p) {
    t.put("tunedProfile", p.profile());
    t.put("include", p.include());
    t.put("isolatedCores", p.isolated().toString());
    t.put("stalld", p.stalld());
  }

  private static void supplies(ObjectNode s, dev.rtc.plan.Supplies p) {
    ArrayNode images = s.putArray("images");
    p.images().forEach(i -> {
      ObjectNode o = images.addObject().put("path", i.path());
      i.sha256().ifPresent(h -> o.put("sha256", h));
      ArrayNode vms = o.putArray("vms");
      i.vms().forEach(vms::add);
    });
    ArrayNode host = s.putArray("hostPackages");
    p.hostPackages().forEach(host::add);
    ObjectNode guests = s.putObject("guestPackages");
    p.guestPackages().forEach((vm, list) -> {
      ArrayNode a = guests.putArray(vm);
      list.forEach(a::add);
    });
    ArrayNode repos = s.putArray("repositories");
    p.repositories().forEach(repos::add);
    ArrayNode nets = s.putArray("networks");
    p.networks().forEach(nets::add);
    s.put("ubuntuProToken", p.ubuntuProToken());
  }
}
