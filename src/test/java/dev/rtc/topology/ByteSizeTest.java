package dev.rtc.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest
  @CsvSource({"60 MiB,62914560", "61440K,62914560", "28160K,28835840", "27.5 MiB,28835840", "8 GiB,8589934592",
      "1536KiB,1572864", "512 B,512", "2.5M,2621440"})
  void parsesSysfsAndLscpuForms(String text, long bytes) {
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"8", "8 MB", "8 GB", "8 parsecs", "1.3 B", "MiB", "-1 MiB"})
  void refusesAmbiguousOrBrokenSizes(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text)).isInstanceOf(ByteSize.SyntaxException.class);
  }

  @Test
  void printsTheLargestExactUnitAsLibvirtDoes() {
    assertThat(ByteSize.parse("8 MiB").exact()).isEqualTo("8 MiB");
    assertThat(ByteSize.parse("2.5 MiB").exact()).isEqualTo("2560 KiB");
    assertThat(new ByteSize(1000000).exact()).isEqualTo("1000000 B");
    assertThat(ByteSize.parse("1536 KiB").exactValue()).isEqualTo(1536);
    assertThat(ByteSize.parse("1536 KiB").exactUnit()).isEqualTo("KiB");
  }

  @Test
  void decimalUnitsAreRefusedWithAReason() {
    assertThatThrownBy(() -> ByteSize.parse("8 MB")).hasMessageContaining("binary units");
  }

  /** A size for a person: exact, short, and read back by the manifest to the same bytes. */
  @Test
  void personFormIsShortExactAndReadsBack() {
    assertThat(new ByteSize(2560L << 10).person()).isEqualTo("2.5 MiB");
    assertThat(new ByteSize(9L * 256 << 10).person()).isEqualTo("2.25 MiB");
    assertThat(new ByteSize(15L << 20).person()).isEqualTo("15 MiB");
    assertThat(new ByteSize(8L << 30).person()).isEqualTo("8 GiB");
    assertThat(new ByteSize(1409L << 10).person()).as("1.3759765625 MiB: more than 3 decimals, so KiB").isEqualTo("1409 KiB");
    assertThat(new ByteSize(256L << 10).person()).isEqualTo("256 KiB");
    for (long b : new long[] {2560L << 10, 9L * 256 << 10, 15L << 20, 8L << 30, 1409L << 10, 256L << 10}) {
      assertThat(ByteSize.parse(new ByteSize(b).person()).bytes()).isEqualTo(b);
    }
  }
}
