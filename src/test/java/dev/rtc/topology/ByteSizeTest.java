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
}
