package dev.rtc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rtc.manifest.ManifestException;
import dev.rtc.manifest.ManifestLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Says whether a manifest is written for this rtc's manifest version (apiVersion), and which steps would bring an older one up to it.",
        "Each manifest version that changes the format adds one step here; rtc/v1 is the first, so there are none yet."},
    footer = {"", "Example:", "  rtc migrate hosts/line-1.yaml", "", "Exit codes: 0 current, 1 older (steps listed) or unknown version, 2 usage error."})
final class MigrateCommand implements Callable<Integer> {

  /** The manifest version this rtc reads. */
  static final String CURRENT = "rtc/v1";

  /** One step from a manifest version to the next. */
  record Step(String from, String to, String what, UnaryOperator<JsonNode> apply) {}

  /** In order; empty until rtc/v2 changes the format. */
  static final List<Step> STEPS = List.of();

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST", description = "The deployment manifest (YAML).")
  Path manifest;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    JsonNode tree;
    try {
      tree = ManifestLoader.parse(ManifestLoader.read(manifest)).tree();
    } catch (ManifestException e) {
      DiagnosticPrinter.text(e.diagnostics(), false, err);
      err.flush();
      return Main.MANIFEST_ERRORS;
    }
    String version = tree.path("apiVersion").asText("");
    if (version.equals(CURRENT)) {
      out.println("rtc: " + manifest + " is already " + CURRENT + "; nothing to migrate");
      return Main.OK;
    }
    String at = version;
    StringBuilder plan = new StringBuilder();
    for (Step s : STEPS) {
      if (s.from().equals(at)) {
        plan.append("  ").append(s.from()).append(" -> ").append(s.to()).append(": ").append(s.what()).append('\n');
        at = s.to();
      }
    }
    if (at.equals(CURRENT)) {
      out.print("rtc: " + manifest + " is " + version + "; the steps to " + CURRENT + ":\n" + plan);
      return Main.MANIFEST_ERRORS;
    }
    err.println("rtc: " + manifest + ": apiVersion " + (version.isEmpty() ? "is missing" : "'" + version + "' is not one this rtc knows")
        + "; this rtc reads " + CURRENT + (STEPS.isEmpty() ? "" : " and migrates from " + STEPS.get(0).from()));
    return Main.MANIFEST_ERRORS;
  }
}
