package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.topology.WayMask;
import org.junit.jupiter.api.Test;

/** libvirt's virResctrlAllocFindUnused, case by case (shared/design/resctrl-libvirt-rules.md §1b). */
class LibvirtCachePlacementTest {

  @Test
  void workedExampleFromTheRules() {
    // 20 ways, root shrunk to 000ff: free fff00. 4 ways go to the low end of the only run.
    WayMask free = new WayMask(0xfff00);
    WayMask a = LibvirtCachePlacement.findUnused(free, 4).orElseThrow();
    assertThat(a.hex(20)).isEqualTo("00f00");
    WayMask b = LibvirtCachePlacement.findUnused(free.minus(a), 2).orElseThrow();
    assertThat(b.hex(20)).isEqualTo("03000");
  }

  @Test
  void anExactFitWinsOverAnEarlierLongerRun() {
    // runs: ways 0-4 (5 long), ways 8-9 (2 long): need 2 -> the exact run at 8.
    assertThat(LibvirtCachePlacement.findUnused(new WayMask(0b11_0001_1111), 2)).contains(WayMask.ofRun(8, 2));
  }

  @Test
  void theShortestFittingRunWinsAndTiesGoLow() {
    // runs: 0-5 (6), 8-11 (4), 13-16 (4): need 3 -> first of the two 4-runs, at its low end.
    WayMask free = WayMask.ofRun(0, 6).union(WayMask.ofRun(8, 4)).union(WayMask.ofRun(13, 4));
    assertThat(LibvirtCachePlacement.findUnused(free, 3)).contains(WayMask.ofRun(8, 3));
  }

  @Test
  void noRunLongEnough() {
    assertThat(LibvirtCachePlacement.findUnused(new WayMask(0b1011), 3)).isEmpty();
    assertThat(LibvirtCachePlacement.longestRun(new WayMask(0b1011))).isEqualTo(2);
  }

  @Test
  void theGuidesHost() {
    // 15 ways, host keeps 0003: free 7ffc; 2 ways -> 000c.
    assertThat(LibvirtCachePlacement.findUnused(new WayMask(0x7ffc), 2)).contains(new WayMask(0x000c));
  }
}
