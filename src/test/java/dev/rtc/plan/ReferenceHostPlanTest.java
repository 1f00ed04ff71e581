package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.topology.WayMask;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The solver must reproduce the guide's own choices for the guide's own host. */
class ReferenceHostPlanTest {

  static Plan plan;

  @BeforeAll
  static void compile() {
    plan = new Compiler().validate(ManifestLoader.read(Path.of("examples/eci-reference.yaml"))).plan();
  }

  static VmPlan vm(String name) {
    return plan.vms().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void realtimeVcpusOnTheFirstIsolatedEvenCpus() {
    assertThat(vm("debian12-rt").vcpuPins()).containsExactly(4, 6, 8, 10, 12, 14, 16, 18);
    assertThat(vm("debian12-rt").numaNode()).isZero();
  }

  @Test
  void emulatorOnTheLastFourIsolatedCpusOfNodeZero() {
    assertThat(vm("debian12-rt").emulatorCpus().toString()).isEqualTo("56,58,60,62");
  }

  @Test
  void stressorOnTheOtherNode() {
    assertThat(vm("debian12-stress").vcpuPins()).containsExactly(5, 7, 9, 11, 13, 15, 17, 19);
    assertThat(vm("debian12-stress").numaNode()).isEqualTo(1);
    assertThat(vm("debian12-stress").emulatorCpus().toString()).isEqualTo("1,3");
  }

  @Test
  void realtimeVmStartsFirst() {
    assertThat(plan.vms()).extracting(VmPlan::name).containsExactly("debian12-rt", "debian12-stress");
  }

  @Test
  void hostKeepsTwoFourMiBWaysAtTheLowEnd() {
    var cache = plan.cache().orElseThrow();
    assertThat(cache.wayBytes().exact()).isEqualTo("4 MiB");
    assertThat(cache.hostWays()).isEqualTo(2);
    assertThat(cache.schemataLine()).isEqualTo("L3:0=0003;1=0003");
  }

  @Test
  void realtimeCacheIsTwoWaysAndLibvirtPicksWaysTwoAndThree() {
    var group = vm("debian12-rt").resctrl().orElseThrow();
    assertThat(group.vcpus().toString()).isEqualTo("1-7");
    assertThat(group.caches()).singleElement().satisfies(c -> {
      assertThat(c.cacheId()).isZero();
      assertThat(c.size().exact()).isEqualTo("8 MiB");
      assertThat(c.ways()).isEqualTo(2);
      assertThat(c.mask()).isEqualTo(new WayMask(0x000c));
      assertThat(plan.cache().orElseThrow().hex(c.mask())).isEqualTo("000c");
    });
    assertThat(group.bandwidth()).extracting(Plan.Bandwidth::node).containsExactly(0);
    assertThat(vm("debian12-stress").resctrl()).isEmpty();
  }

  @Test
  void hostKernelArgumentsIsolateEverythingButHousekeeping() {
    String cmdline = plan.host().cmdline().toString();
    assertThat(cmdline).startsWith("isolcpus=managed_irq,domain,4-63 nohz=on nohz_full=4-63 rcu_nocbs=4-63 rcu_nocb_poll irqaffinity=0-3 ");
  }

  @Test
  void guestKernelArgumentsIsolateVcpusOneToSeven() {
    assertThat(vm("debian12-rt").guestCmdline().orElseThrow().toString())
        .startsWith("isolcpus=managed_irq,domain,1-7 nohz=on nohz_full=1-7 rcu_nocbs=1-7 rcu_nocb_poll irqaffinity=0 ");
    assertThat(vm("debian12-stress").guestCmdline()).isEmpty();
  }

  @Test
  void identitiesAreNameBased() {
    assertThat(vm("debian12-rt").uuid()).isEqualTo(Identity.uuid("eci-reference", "debian12-rt"));
    assertThat(vm("debian12-rt").uuid()).isNotEqualTo(vm("debian12-stress").uuid());
    assertThat(vm("debian12-rt").uuid().charAt(14)).isEqualTo('5');
    assertThat(vm("debian12-rt").mac()).startsWith("52:54:00:");
  }
}
