package dev.rtc.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.emit.Checksums;
import dev.rtc.emit.TreeWriter;
import dev.rtc.io.Version;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --diagnostics=sarif}: one SARIF 2.1.0 log on stdout for the whole run (every manifest of
 * a fleet in it), as GitHub code scanning's upload and other SARIF viewers take it.
 *
 * <p>What code scanning needs beyond the schema is met: every result has a region with a start
 * line (a finding about the whole file is placed on line 1), artifact locations are relative URIs
 * when the manifest was named by a relative path, and each result carries a partial fingerprint
 * built from what identifies the finding, its code, file and manifest path, not its line, so an
 * alert survives edits above it.
 */
final class Sarif {

  static final String SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

  private final List<Diagnostic> results = new ArrayList<>();

  synchronized void add(List<Diagnostic> diagnostics) {
    results.addAll(diagnostics);
  }

  /** The log, pretty-printed; results in the order they were added. */
  synchronized String render() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode log = f.objectNode();
    log.put("$schema", SCHEMA);
    log.put("version", "2.1.0");
    ObjectNode run = log.putArray("runs").addObject();
    ObjectNode driver = run.putObject("tool").putObject("driver");
    driver.put("name", "rtc");
    driver.put("semanticVersion", Version.get());
    ArrayNode rules = driver.putArray("rules");
    for (Code c : Code.values()) {
      ObjectNode r = rules.addObject();
      r.put("id", c.name());
      r.putObject("shortDescription").put("text", c.summary());
      r.putObject("help").put("text", "See docs/diagnostics.md, " + c.name() + ".");
    }
    ArrayNode out = run.putArray("results");
    for (Diagnostic d : results) {
      ObjectNode r = out.addObject();
      r.put("ruleId", d.code().name());
      r.put("ruleIndex", d.code().ordinal());
      r.put("level", d.isError() ? "error" : "warning");
      String text = (d.path().isEmpty() ? "" : d.path() + ": ") + d.message() + (d.hint().isEmpty() ? "" : " (hint: " + d.hint() + ")");
      r.putObject("message").put("text", text);
      ObjectNode physical = r.putArray("locations").addObject().putObject("physicalLocation");
      physical.putObject("artifactLocation").put("uri", uri(d.location().file()));
      ObjectNode region = physical.putObject("region");
      region.put("startLine", Math.max(1, d.location().line()));
      if (d.location().line() > 0) {
        region.put("startColumn", Math.max(1, d.location().column()));
      }
      r.putObject("partialFingerprints").put("rtcFinding/v1",
          Checksums.hex((d.code().name() + "\n" + d.location().file() + "\n" + d.path()).getBytes(StandardCharsets.UTF_8)));
    }
    run.put("columnKind", "unicodeCodePoints");
    return TreeWriter.json(log);
  }

  /** A file name as a URI reference: relative stays relative (forward slashes, escaped), absolute becomes file:///. */
  static String uri(String file) {
    Path p = Path.of(file);
    try {
      if (p.isAbsolute()) {
        return p.toUri().toString();
      }
      return new URI(null, null, file.replace('\\', '/'), null).getRawPath();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return file;
    }
  }
}
