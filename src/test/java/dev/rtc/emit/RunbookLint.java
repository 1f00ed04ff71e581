package dev.rtc.emit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * shellcheck on the program bash runs for a bundle's runbook: runbook.sh (the plan) with the
 * runbook-steps.sh it sources in place of its source lines. shellcheck -x would follow the source
 * but report nothing inside the sourced file, and the steps alone know none of the plan's
 * variables; one file, as bash sees it, is judged whole.
 */
final class RunbookLint {

  /** Where runbook.sh stops holding the plan and sources the steps. */
  static final String STEPS_STANZA = "\n# The steps: runbook-steps.sh beside this file";

  private RunbookLint() {}

  /** The runbook as bash runs it: the plan, then the steps. */
  static String whole(String runbook, String steps) {
    int at = runbook.indexOf(STEPS_STANZA);
    if (at < 0) {
      throw new AssertionError("runbook.sh does not source its steps where RunbookLint expects (" + STEPS_STANZA.strip() + ")");
    }
    return runbook.substring(0, at + 1) + steps;
  }

  /** shellcheck {@code args} on the whole runbook of the bundle in {@code bundle}. */
  static Tool.Run shellcheck(Path bundle, String... args) {
    try {
      Path whole = Files.createTempFile("rtc-runbook-whole", ".sh");
      try {
        Files.writeString(whole, whole(Files.readString(bundle.resolve("runbook.sh")), Files.readString(bundle.resolve(Emitters.RUNBOOK_STEPS))));
        List<String> all = new ArrayList<>(List.of(args));
        all.add(whole.toString());
        return Tool.require("shellcheck").run(bundle, all.toArray(String[]::new));
      } finally {
        Files.deleteIfExists(whole);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
