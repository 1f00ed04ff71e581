package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rtc qualify over a fleet's records (a record the runbook wrote, varied per host): identical boards
 * grouped, each host's latest record, the odd one of a group marked, exit code by what was found.
 */
class QualifyCommandTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final Path RECORD = Path.of("src/test/resources/verdicts/great/results/host/qualify.json");

  @TempDir Path tmp;

  record Outcome(int exit, String out, String err) {}

  static Outcome rtc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Outcome(exit, out.toString(), err.toString());
  }

  /** The runbook's record, as host {@code bundle} wrote it at {@code id}, with its BIOS and hardware latency. */
  Path record(String bundle, String id, String bios, int hwlatUs, String status) throws IOException {
    ObjectNode r = (ObjectNode) JSON.readTree(RECORD.toFile());
    r.put("bundle", bundle).put("id", id).put("status", status);
    ((ObjectNode) r.path("platform")).put("bios_version", bios);
    for (JsonNode f : r.path("findings")) {
      if (f.path("id").asText().equals("qualify.hwlat")) {
        ((ObjectNode) f).put("value", String.valueOf(hwlatUs)).put("status", status.equals("failed") ? "failed" : "passed");
      }
    }
    Path p = tmp.resolve("evidence").resolve(bundle).resolve("qualify").resolve(id + ".json");
    Files.createDirectories(p.getParent());
    JSON.writeValue(p.toFile(), r);
    return p;
  }

  @Test
  void identicalBoardsAreComparedAndTheOddOneStandsOut() throws IOException {
    record("alpha", "20261201T000000Z", "FB1.86B.0042", 3, "passed");
    record("bravo", "20261201T000000Z", "FB1.86B.0042", 4, "passed");
    record("charlie", "20261201T000000Z", "FB1.86B.0042", 19, "passed");
    record("charlie", "20261101T000000Z", "FB1.86B.0042", 2, "passed"); // older: not the one compared
    record("delta", "20261201T000000Z", "FB1.86B.0051", 60, "failed"); // another BIOS: another group
    Files.writeString(tmp.resolve("evidence/notes.json"), "{\"not\": \"a record\"}");
    Outcome o = rtc("qualify", tmp.resolve("evidence").toString());
    assertThat(o.exit()).as(o.out() + o.err()).isEqualTo(1);
    assertThat(o.out()).contains("Intel Corporation Fake Board, board FB-1, BIOS FB1.86B.0042").contains("(3 hosts)")
        .contains("BIOS FB1.86B.0051").contains("(1 host)")
        .containsPattern("charlie +passed +20261201T000000Z +19!")
        .contains("stands out: charlie qualify.hwlat 19 where its identical boards' median is 4")
        .containsPattern("delta +failed +20261201T000000Z +60F")
        .contains("4 hosts, 2 boards; 1 records not passed, 1 measures standing out");
    assertThat(o.out()).doesNotContain("20261101T000000Z");

    Outcome j = rtc("qualify", "--json", tmp.resolve("evidence").toString());
    JsonNode groups = JSON.readTree(j.out());
    assertThat(groups).hasSize(2);
    assertThat(groups.get(0).path("standsOut").get(0).path("bundle").asText()).isEqualTo("charlie");
    assertThat(groups.get(0).path("hosts")).hasSize(3);
  }

  @Test
  void aQuietFleetExitsZeroAndNoRecordIsAUsageError() throws IOException {
    record("alpha", "20261201T000000Z", "FB1.86B.0042", 3, "passed");
    record("bravo", "20261201T000000Z", "FB1.86B.0042", 4, "passed");
    Outcome o = rtc("qualify", tmp.resolve("evidence").toString());
    assertThat(o.exit()).as(o.out()).isZero();
    Outcome missing = rtc("qualify", tmp.resolve("nothing").toString());
    assertThat(missing.exit()).isEqualTo(Main.USAGE);
    assertThat(missing.err()).contains("nothing: no such file or folder");
    Files.createDirectories(tmp.resolve("empty"));
    Outcome none = rtc("qualify", tmp.resolve("empty").toString());
    assertThat(none.exit()).isEqualTo(Main.USAGE);
    assertThat(none.err()).contains("no qualification record");
  }
}
