package dev.rtc.emit;

import java.util.List;

/**
 * What each small template of templates/ is given: one record per template, its components the
 * names the template reads. (runbook.sh.ftl's is {@link RunbookModel}.) Public, because FreeMarker
 * reads only public classes; built by the emitters of this package alone.
 */
public final class TemplateModels {

  private TemplateModels() {}

  /** grub-dropin.cfg.ftl: rtc's kernel arguments for the host or a guest, and the keys they own. */
  public record GrubDropIn(String header, String who, String args, String keys, String grubUpdate, boolean rtDefault, String kernel) {}

  /** tuned.conf.ftl: a TuneD profile for the host or a real-time guest. */
  public record TunedProfile(String header, String who, String profile, String include, String isolated, String psBlacklist,
      int netChannels, Balanced balanced) {}

  /** Under host.power: balanced, the cpu plugin's two instances: the free CPUs and the held ones (empty when none is held). */
  public record Balanced(String free, String held, String freeGovernor, String freeEpp, int heldLatency) {}

  /** rtc-resctrl.service.ftl: how resctrl is mounted, and rtc's own groups. */
  public record ResctrlUnit(String header, String bundle, String summary, List<String> groups, String mountCheck, String mountArgs,
      String mountWrong, String mountWhat) {}

  /** rtc-hugepages.service.ftl: the pools reserved per node at boot. */
  public record HugepagesUnit(String header, String bundle, String kernel, List<Pool> pools) {}

  public record Pool(int node, long pages, String size, String file) {}

  /** rtc-sriov.service.ftl: the virtual functions made on each physical function at boot. */
  public record SriovUnit(String header, String bundle, List<Pf> pfs) {}

  public record Pf(String address, int count, String file) {}

  /** rtc-vms.service.ftl: the VMs started in the plan's order, after SR-IOV when there is any. */
  public record VmsUnit(String header, String bundle, List<String> vms, boolean sriov) {}

  /** rtc-stress.sh.ftl: a stressor's load. */
  public record StressScript(String header, String vm, String workload) {}

  /** rtc-metrics.service.ftl and rtc-metrics.timer.ftl: the host's metrics, every {@code every} seconds. */
  public record MetricsUnit(String header, String bundle, String housekeeping, String textfileDir, int every, String timeout) {}

  /** rtc-monitor.sh.ftl, rtc-monitor.service.ftl and rtc-monitor.timer.ftl: a real-time guest's latency sampler. */
  public record MonitorScript(String header, String vm, String bundle, String cpus, int threads, int mainCpu, String housekeeping,
      int window, int every, int intervalUs, int priority, int histogramUs, List<Bound> bounds, int keepDays, String dir) {}

  /** One histogram bound: in µs, and as Prometheus's {@code le} (seconds). */
  public record Bound(long us, String le) {}
}
