package dev.rtc.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WayMaskTest {

  @Test
  void hexIsPaddedToTheCbmLengthAsLibvirtWritesIt() {
    assertThat(new WayMask(0x3).hex(15)).isEqualTo("0003");
    assertThat(new WayMask(0xf00).hex(20)).isEqualTo("00f00");
    assertThat(new WayMask(0x600).hex(11)).isEqualTo("600");
  }

  @Test
  void contiguity() {
    assertThat(new WayMask(0x7fff).isContiguous()).isTrue();
    assertThat(new WayMask(0x000c).isContiguous()).isTrue();
    assertThat(new WayMask(0x5).isContiguous()).isFalse();
    assertThat(new WayMask(0).isContiguous()).isFalse();
  }

  @Test
  void parsesResctrlForms() {
    assertThat(WayMask.parseHex("7fff").ways()).isEqualTo(15);
    assertThat(WayMask.parseHex("0x0003").bits()).isEqualTo(3);
    assertThat(WayMask.parseHex("FFFFF").ways()).isEqualTo(20);
  }

  @Test
  void describesRuns() {
    assertThat(WayMask.ofRun(2, 2).describe()).isEqualTo("ways 2-3");
    assertThat(WayMask.ofRun(5, 1).describe()).isEqualTo("way 5");
  }
}
