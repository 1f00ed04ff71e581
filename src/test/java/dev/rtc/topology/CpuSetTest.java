package dev.rtc.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CpuSetTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "0-3|0-3",
      "0,1|0,1",
      "3,1,2|1-3",
      "0-62:2|0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,48,50,52,54,56,58,60,62",
      "1-7:2|1,3,5,7",
      "0-15:2/8|0,1,8,9",
      "0-9:1/4|0,4,8",
      "4-63|4-63",
      "' 0 - 3 , 8 '|0-3,8",
      "''|''"})
  void parsesAndPrintsTheCanonicalForm(String text, String canonical) {
    assertThat(CpuSet.parse(text).toString()).isEqualTo(canonical);
  }

  @Test
  void roundTrips() {
    for (String s : new String[] {"0", "0-3,8-11", "1,3", "5,7-9,100"}) {
      assertThat(CpuSet.parse(CpuSet.parse(s).toString()).equals(CpuSet.parse(s))).as(s).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "1-", "-1", "3-1", "1,,2", "0-8:0", "0-8:3/2", "5:2", "1.5", "0-4294967295", "99999999999"})
  void refusesWhatTheKernelRefuses(String text) {
    assertThatThrownBy(() -> CpuSet.parse(text)).isInstanceOf(CpuSet.SyntaxException.class);
  }

  @Test
  void aHugeRangeIsRefusedWithoutAllocating() {
    assertThatThrownBy(() -> CpuSet.parse("0-4294967295")).hasMessageContaining("above 8191");
  }

  @Test
  void setAlgebra() {
    CpuSet a = CpuSet.parse("0-7");
    CpuSet b = CpuSet.parse("4-11");
    assertThat(a.intersect(b).toString()).isEqualTo("4-7");
    assertThat(a.minus(b).toString()).isEqualTo("0-3");
    assertThat(a.union(b).toString()).isEqualTo("0-11");
    assertThat(a.lowest(3).toString()).isEqualTo("0-2");
    assertThat(a.highest(2).toString()).isEqualTo("6,7");
    assertThat(a.containsAll(CpuSet.parse("1-3"))).isTrue();
    assertThat(a.containsAll(b)).isFalse();
  }

  @Test
  void describeFoldsStridesForPeopleAndParsesBack() {
    for (String text : List.of("0-62:2", "1-63:2", "4,6", "0-3,8-11", "5", "0-2,10-30:10,31")) {
      CpuSet set = CpuSet.parse(text);
      assertThat((Object) CpuSet.parse(set.describe())).as(text).isEqualTo(set);
    }
    assertThat(CpuSet.parse("0-62:2").describe()).isEqualTo("0-62:2");
    assertThat(CpuSet.parse("6-58:2").describe()).isEqualTo("6-58:2");
    assertThat(CpuSet.parse("0-3,5").describe()).isEqualTo("0-3,5");
    assertThat(CpuSet.parse("4,6").describe()).isEqualTo("4,6");
    assertThat(CpuSet.empty().describe()).isEqualTo("none");
  }

  /** As the kernel prints a cpumask file, once its commas and leading zeros are dropped. */
  @Test
  void hexMaskIsTheKernelsCpumaskWithoutPadding() {
    assertThat(CpuSet.parse("0-3").hexMask()).isEqualTo("f");
    assertThat(CpuSet.parse("0").hexMask()).isEqualTo("1");
    assertThat(CpuSet.parse("0-3,32").hexMask()).isEqualTo("10000000f"); // "00000001,0000000f" in sysfs
    assertThat(CpuSet.parse("8-15").hexMask()).isEqualTo("ff00");
    assertThat(CpuSet.parse("0-62:2").hexMask()).isEqualTo("5555555555555555");
    assertThat(CpuSet.empty().hexMask()).isEqualTo("0");
  }
}
