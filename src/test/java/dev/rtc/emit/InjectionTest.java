package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * No injection through any user string. Every hostile value goes into every field a user string
 * can reach an artifact from. Each is either refused with an error on that field, or emitted
 * inertly: the artifacts still pass their real validators, the value reads back unchanged from
 * user-data, and running the scripts (bash -n, sourcing the GRUB drop-in, the runbook's dry run)
 * creates no file.
 */
@Slow
class InjectionTest {

  @TempDir static Path tmp;
  static Path pwned;
  static String reference;

  @BeforeAll
  static void setUp() throws IOException {
    pwned = tmp.resolve("PWNED");
    reference = Files.readString(Path.of("examples/eci-reference.yaml"));
  }

  static List<String> hostile() {
    String touch = "touch " + pwned;
    return List.of("a'b\"c", "$(" + touch + ")", "`" + touch + "`", "; " + touch + " #", "${IFS}" + touch.replace(" ", "${IFS}"),
        "</domain><domain type='kvm'>", "a & b < c > d", "line1\nline2", "!!python/object/apply:os.system ['" + touch + "']",
        "*alias", "&anchor", "-rf", "--help", "../../etc/passwd", "ｒｔ", "rt\u200b", "\u0440t" /* Cyrillic er */,
        "%s%n%x", "{{ v1.local_hostname }}", "#!/bin/sh", "a\\", "\"", "'");
  }

  /** A field of the manifest and how to put a value into it (as a JSON-quoted YAML scalar). */
  record Field(String name, String path, BiFunction<String, String, String> put) {}

  static String q(String v) {
    try {
      return new ObjectMapper().writeValueAsString(v);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

  static List<Field> fields() {
    return List.of(
        new Field("manifest name", "name", (m, v) -> m.replace("name: eci-reference", "name: " + q(v))),
        new Field("VM name", "vms[0].name", (m, v) -> m.replace("name: debian12-rt", "name: " + q(v)).replace("vm: debian12-rt", "vm: " + q(v))),
        new Field("guest user", "vms[0].guest.user", (m, v) -> m.replace("user: debian", "user: " + q(v))),
        new Field("password hash", "vms[0].guest.passwordHash", (m, v) -> m.replaceFirst("passwordHash: \"[^\"]*\"", "passwordHash: " + java.util.regex.Matcher.quoteReplacement(q("$6$saltsalt$" + v)))),
        new Field("base image", "vms[0].disk.baseImage", (m, v) -> m.replace("baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB", "baseImage: " + q(v) + ", size: 10 GiB")),
        new Field("extra kernel argument", "host.kernel.extraArgs[0]", (m, v) -> m.replace("  kernel: {realtime: eci}         # the guide's",
            "  kernel: {realtime: eci, extraArgs: [" + q("x=" + v) + "]}  # the guide's")),
        new Field("ssh key comment", "vms[0].guest.sshAuthorizedKeys[0]", (m, v) -> m.replace("      user: debian\n", "      user: debian\n      sshAuthorizedKeys: [" + q(KEY + " " + v) + "]\n")),
        new Field("ssh key", "vms[0].guest.sshAuthorizedKeys[0]", (m, v) -> m.replace("      user: debian\n", "      user: debian\n      sshAuthorizedKeys: [" + q(v) + "]\n")));
  }

  static int refused;
  static final List<String> accepted = new ArrayList<>();
  static Consumers consumers;

  /** One test per field and value, named after them, so a payload that gets through names itself. */
  @TestFactory
  Stream<DynamicTest> everyHostileValueIsRefusedOnItsFieldOrEmittedInertly() throws IOException {
    consumers = new Consumers(tmp.resolve("batch"));
    return fields().stream().flatMap(f -> hostile().stream().map(v -> DynamicTest.dynamicTest(f.name() + " = " + q(v), () -> one(f, v))));
  }

  private static void one(Field f, String v) throws IOException {
    String text = f.put().apply(reference, v);
    assertThat(text).as("the %s substitution must apply", f.name()).isNotEqualTo(reference);
    Compiler.Result r;
    try {
      r = new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
    } catch (ManifestException e) {
      assertThat(e.diagnostics()).as("%s = %s refused, but not on that field:%n%s", f.name(), q(v), e.diagnostics())
          .anySatisfy(d -> {
            assertThat(d.isError()).isTrue();
            assertThat(d.path()).startsWith(f.path());
            assertThat(d.location().line()).isPositive();
          });
      refused++;
      return;
    }
    int n = accepted.size();
    Path out = tmp.resolve("accepted-" + n);
    BundleWriter.write(r.bundle(), out, false);
    checkInert(out, f, v, FakeHost.of(tmp.resolve("host-" + n), r.plan()));
    accepted.add(f.name() + " = " + q(v));
  }

  @AfterAll
  static void noneRanACommandAndSomeWereAccepted() {
    System.out.printf("injection: %d hostile values refused on their field, %d emitted inertly: %s%n", refused, accepted.size(), accepted);
    assertThat(accepted).as("some hostile text must be accepted (ssh key comments), or the inertness checks check nothing").isNotEmpty();
    assertThat(pwned).as("no hostile value ran a command").doesNotExist();
  }

  private static void checkInert(Path out, Field f, String v, FakeHost host) throws IOException {
    String what = f.name() + " = " + q(v);
    for (Path domain : list(out, "domain.xml")) {
      Tool.Run x = Tool.require("virt-xml-validate").run(out, domain.toString(), "domain");
      assertThat(x.exit()).as("%s: virt-xml-validate %s: %s", what, domain, x.all()).isZero();
    }
    for (Path userData : list(out, "user-data")) {
      Tool.Run x = Tool.require("cloud-init").run(out, "schema", "-c", userData.toString());
      assertThat(x.exit()).as("%s: cloud-init schema %s: %s", what, userData, x.all()).isZero();
      JsonNode doc = new YAMLMapper().readTree(userData.toFile());
      if (f.name().startsWith("ssh key") && userData.toString().contains("debian12-rt")) {
        assertThat(doc.at("/users/0/ssh_authorized_keys/0").asText()).as(what).isEqualTo(f.name().equals("ssh key") ? v : KEY + " " + v);
      }
    }
    Tool bash = Tool.require("bash");
    // shellcheck and bash -n by parts: the plan's values each time, the whole runbook once per shape (Consumers says why).
    Tool.Run sc = consumers.runbook(out, Files.readString(out.resolve("runbook.sh")), Files.readString(out.resolve(Emitters.RUNBOOK_STEPS)));
    assertThat(sc.exit()).as("%s: shellcheck runbook.sh: %s", what, sc.all()).isZero();
    Tool.Run dry = bash.run(out, host.env(), "./runbook.sh", "--dry-run", "host");
    assertThat(dry.exit()).as("%s: runbook --dry-run host: %s", what, dry.all()).isZero();
    Tool.Run src = Tool.require("dash").run(out, Map.of("HOME", tmp.toString()), "-c",
        "GRUB_CMDLINE_LINUX_DEFAULT='quiet'; . ./host/grub/99-rtc.cfg; printf '%s' \"$GRUB_CMDLINE_LINUX_DEFAULT\"");
    assertThat(src.exit()).as("%s: sourcing the drop-in: %s", what, src.all()).isZero();
    assertThat(pwned).as("%s ran a command", what).doesNotExist();
  }

  private static List<Path> list(Path dir, String name) throws IOException {
    try (var s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().equals(name)).sorted().toList();
    }
  }

}
