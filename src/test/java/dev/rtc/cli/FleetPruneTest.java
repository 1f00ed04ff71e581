package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet's output folder after a manifest was removed: its bundle is stale. A compile says so,
 * {@code --check} fails on it, and {@code --prune} removes what rtc wrote of it and keeps the rest.
 * A manifest with errors still owns its bundle, and one that cannot be read stops all judging.
 */
class FleetPruneTest {

  @TempDir Path tmp;
  Path hosts;
  Path out;

  @BeforeEach
  void twoHosts() throws IOException {
    hosts = Files.createDirectories(tmp.resolve("hosts"));
    out = tmp.resolve("out");
    Files.copy(CliTest.EXAMPLE, hosts.resolve("line-1.yaml"));
    Files.copy(Path.of("examples/xeon-smt.yaml"), hosts.resolve("line-2.yaml"));
    assertThat(CliTest.rtc("compile", hosts.toString(), "-o", out.toString()).exit()).isZero();
    assertThat(out.resolve("xeon-smt/.rtc-bundle")).exists();
  }

  @Test
  void aRemovedManifestsBundleIsReportedFailsTheCheckAndIsPrunedKeepingEvidence() throws IOException {
    Files.delete(hosts.resolve("line-2.yaml"));
    Files.writeString(out.resolve("xeon-smt/results.txt"), "evidence");

    CliTest.Outcome compile = CliTest.rtc("compile", hosts.toString(), "-o", out.toString());
    assertThat(compile.exit()).isZero();
    assertThat(compile.err()).contains(out.resolve("xeon-smt") + " is a bundle no manifest here compiles to").contains("--prune");

    CliTest.Outcome check = CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--check");
    assertThat(check.exit()).as("out/ does not mirror the manifests").isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(check.err()).contains("xeon-smt is a bundle no manifest here compiles to");

    CliTest.Outcome prune = CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--prune");
    assertThat(prune.exit()).as(prune.err()).isZero();
    assertThat(prune.err()).contains("pruned " + out.resolve("xeon-smt")).contains("kept 1 file rtc did not write there: results.txt");
    assertThat(out.resolve("xeon-smt/results.txt")).hasContent("evidence");
    assertThat(out.resolve("xeon-smt/plan.json")).doesNotExist();
    assertThat(out.resolve("xeon-smt/.rtc-bundle")).doesNotExist();
    assertThat(out.resolve("eci-reference/.rtc-bundle")).exists();
    assertThat(CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--check").exit()).isZero();
  }

  @Test
  void aManifestWithErrorsStillOwnsItsBundle() throws IOException {
    Path m = hosts.resolve("line-2.yaml");
    Files.writeString(m, Files.readString(m).replace("vcpus: 4", "vcpus: 017"));
    CliTest.Outcome o = CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--prune");
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(o.err()).doesNotContain("pruned");
    assertThat(out.resolve("xeon-smt/.rtc-bundle")).as("the old bundle stays until the manifest compiles").exists();
  }

  @Test
  void anUnreadableManifestStopsAllJudging() throws IOException {
    Files.delete(hosts.resolve("line-2.yaml"));
    Files.writeString(hosts.resolve("line-3.yaml"), "name: [unclosed\n");
    CliTest.Outcome o = CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--prune");
    assertThat(o.err()).contains("could not be read far enough").doesNotContain("pruned");
    assertThat(out.resolve("xeon-smt/.rtc-bundle")).exists();
  }

  @Test
  void pruneIsForAFleetAndNotWithCheck() {
    assertThat(CliTest.rtc("compile", CliTest.EXAMPLE.toString(), "-o", out.toString(), "--prune").exit()).isEqualTo(Main.USAGE);
    assertThat(CliTest.rtc("compile", hosts.toString(), "-o", out.toString(), "--prune", "--check").exit()).isEqualTo(Main.USAGE);
  }
}
