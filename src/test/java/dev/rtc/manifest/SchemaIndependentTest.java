package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rtc.Slow;
import dev.rtc.cli.Main;
import dev.rtc.emit.Tool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schema says everything it can say, judged by an independent validator (Python's jsonschema,
 * Draft 7, as editors and other tools read it): every example passes; what rtc refuses for a
 * VM's role or an entry's form, the schema refuses too, while rtc's own message (with its fix)
 * is the one rtc prints. Every pattern carries a message a person reads, and every default the
 * prose gives is in the schema.
 */
@Slow
class SchemaIndependentTest {

  static final Path SCHEMA = Path.of("schemas/manifest.schema.json");
  static final Path DEVICES = Path.of("examples/xeon-devices.yaml");

  @TempDir Path tmp;

  /** Each file's count of findings by Python's jsonschema. */
  Map<String, Integer> jsonschema(List<Path> files) {
    String script = "import json, sys, yaml, jsonschema\n"
        + "schema = json.load(open(sys.argv[1]))\n"
        + "jsonschema.Draft7Validator.check_schema(schema)\n"
        + "v = jsonschema.Draft7Validator(schema)\n"
        + "for f in sys.argv[2:]:\n"
        + "    print(f, len(list(v.iter_errors(yaml.safe_load(open(f))))))\n";
    List<String> args = new ArrayList<>(List.of("-c", script, SCHEMA.toString()));
    files.forEach(f -> args.add(f.toString()));
    Tool.Run r = Tool.require("python3").run(Path.of("."), args.toArray(String[]::new));
    assertThat(r.exit()).as(r.all()).isZero();
    Map<String, Integer> out = new LinkedHashMap<>();
    r.out().lines().forEach(l -> out.put(l.substring(0, l.lastIndexOf(' ')), Integer.parseInt(l.substring(l.lastIndexOf(' ') + 1))));
    return out;
  }

  @Test
  void everyExamplePasses() throws IOException {
    List<Path> examples;
    try (Stream<Path> s = Files.list(Path.of("examples"))) {
      examples = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(examples).hasSizeGreaterThan(5);
    assertThat(jsonschema(examples)).allSatisfy((f, n) -> assertThat(n).as(f).isZero());
  }

  @Test
  void whatRtcRefusesForARoleOrAFormTheSchemaRefusesToo() throws IOException {
    String ref = Files.readString(DEVICES);
    record Case(String name, String from, String to, String code) {}
    List<Case> cases = List.of(
        new Case("rt-one-vcpu", "    vcpus: 2\n", "    vcpus: 1\n", "RTC042"),
        new Case("pf-without-vf", "{pf: ens5f0, vf: 0, mac: \"52:54:00:0a:00:01\", vlan: 100}", "{pf: ens5f0}", "RTC049"),
        new Case("vf-on-a-whole-nic", "{interface: enp23s0}  ", "{interface: enp23s0, vf: 1}", "RTC049"),
        new Case("two-device-forms", "{interface: enp23s0}  ", "{interface: enp23s0, pci: \"0000:17:00.0\"}", "RTC049"),
        new Case("cache-on-a-stressor", "    workload: stress-ng\n", "    workload: stress-ng\n    cache: 2 MiB\n", "RTC044"),
        new Case("siblings-on-a-stressor", "    workload: stress-ng\n", "    workload: stress-ng\n    siblings: pair\n", "RTC044"),
        new Case("two-network-forms", "    workload: stress-ng\n", "    workload: stress-ng\n    networks:\n      - {network: default, bridge: br0}\n",
            "RTC049"));
    List<Path> files = new ArrayList<>();
    for (Case c : cases) {
      assertThat(ref).as(c.name()).contains(c.from());
      files.add(Files.writeString(tmp.resolve(c.name() + ".yaml"), ref.replaceFirst(java.util.regex.Pattern.quote(c.from()),
          java.util.regex.Matcher.quoteReplacement(c.to()))));
    }
    Map<String, Integer> found = jsonschema(files);
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      assertThat(found.get(files.get(i).toString())).as("the schema refuses %s", c.name()).isPositive();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int exit = Main.run(new String[] {"validate", files.get(i).toString()}, new PrintWriter(out), new PrintWriter(err));
      assertThat(exit).as(c.name()).isEqualTo(Main.MANIFEST_ERRORS);
      assertThat(err.toString()).as("%s: rtc's own message, with its fix, once", c.name()).contains("error[" + c.code() + "]")
          .contains("hint: ").containsOnlyOnce("error[").doesNotContain("must not be valid against").doesNotContain("property [");
    }
  }

  @Test
  void everyPatternSaysItsRuleInWordsAndTheDefaultsAreInTheSchema() throws IOException {
    JsonNode schema = new ObjectMapper().readTree(SCHEMA.toFile());
    List<String> bare = new ArrayList<>();
    walk(schema, "", bare);
    assertThat(bare).as("patterns without a patternErrorMessage").isEmpty();
    assertThat(schema.at("/definitions/realtimeKernel/default").asText()).isEqualTo("distro");
    assertThat(schema.at("/definitions/vm/properties/networks/default/0/network").asText()).isEqualTo("default");
    assertThat(schema.toString()).contains("lower-case hex");
  }

  private static void walk(JsonNode n, String at, List<String> bare) {
    if (n.isObject()) {
      if (n.has("pattern") && n.get("pattern").isTextual() && !n.has("patternErrorMessage")) {
        bare.add(at);
      }
      n.fields().forEachRemaining(e -> walk(e.getValue(), at + "/" + e.getKey(), bare));
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        walk(n.get(i), at + "/" + i, bare);
      }
    }
  }
}
