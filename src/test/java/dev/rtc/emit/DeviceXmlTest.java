package dev.rtc.emit;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the domain XML says of devices and networks: a whole device as a managed VFIO hostdev, a
 * virtual function as an interface of type hostdev with its MAC and VLAN, and NICs on a libvirt
 * network, a bridge or macvtap; each domain passes libvirt's grammar and its test driver's define.
 */
@Slow
class DeviceXmlTest {

  static String domain(String manifest, String vm) {
    Compiler.Result r = new Compiler().compile(new ManifestLoader.Source("m.yaml", manifest.getBytes(StandardCharsets.UTF_8)));
    return r.bundle().files().get("vms/" + vm + "/domain.xml").text();
  }

  /** Whitespace between elements as one space: the emitter's indentation is not what is tested here. */
  static String flat(String xml) {
    return xml.replaceAll(">\\s+<", "> <").strip();
  }

  static void valid(Path dir, String xml) throws IOException {
    Path f = Files.writeString(dir.resolve("domain.xml"), xml);
    Tool.Run v = Tool.require("virt-xml-validate").run(dir, f.toString(), "domain");
    assertThat(v.exit()).as(v.all()).isZero();
    Tool.Run d = Tool.require("virsh").run(dir, "-c", "test:///default", "define", "--validate", f.toString());
    assertThat(d.exit()).as(d.all()).isZero();
  }

  @Test
  void aWholeDeviceIsAManagedHostdevAndAVirtualFunctionAnInterfaceWithItsMacAndVlan(@TempDir Path dir) throws IOException {
    String example = Files.readString(Path.of("examples/xeon-devices.yaml"));
    String ethercat = domain(example, "debian12-ethercat");
    assertThat(flat(ethercat)).contains(flat("""
                <hostdev mode="subsystem" type="pci" managed="yes">
                    <driver name="vfio"/>
                    <source>
                        <address domain="0x0000" bus="0x17" slot="0x00" function="0x0"/>
                    </source>
                </hostdev>"""));
    valid(dir, ethercat);
    String opcua = domain(example, "debian12-opcua");
    assertThat(flat(opcua)).contains(flat("""
                <interface type="hostdev" managed="yes">
                    <mac address="52:54:00:0a:00:01"/>
                    <source>
                        <address type="pci" domain="0x0000" bus="0xaf" slot="0x10" function="0x0"/>
                    </source>
                    <driver name="vfio"/>
                    <vlan>
                        <tag id="100"/>
                    </vlan>
                </interface>"""));
    valid(dir, opcua);
    // Without a mac, a name-based one: the same on every compile, different per VM and VF.
    String named = domain(example.replace(", mac: \"52:54:00:0a:00:01\"", ""), "debian12-opcua");
    assertThat(named).containsPattern("<interface type=\"hostdev\" managed=\"yes\">\\s*<mac address=\"52:54:00:[0-9a-f:]{8}\"/>")
        .isEqualTo(domain(example.replace(", mac: \"52:54:00:0a:00:01\"", ""), "debian12-opcua"));
  }

  /** plan.json says the same for machines: each VM's NICs and devices, a VF with its function, MAC and VLAN. */
  @Test
  void planJsonListsEachVmsNicsAndDevices() throws IOException {
    Compiler.Result r = new Compiler().compile(Path.of("examples/xeon-devices.yaml"));
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.bundle().files().get("plan.json").text());
    var vms = json.get("vms");
    var opcua = java.util.stream.StreamSupport.stream(vms.spliterator(), false).filter(v -> v.get("name").asText().equals("debian12-opcua"))
        .findFirst().orElseThrow();
    assertThat(opcua.get("devices").toString()).isEqualTo("[{\"address\":\"0000:af:10.0\",\"kind\":\"vf\",\"id\":\"8086:1521\","
        + "\"node\":1,\"physicalFunction\":\"0000:af:00.0\",\"vf\":0,\"mac\":\"52:54:00:0a:00:01\",\"vlan\":100}]");
    assertThat(opcua.get("nics").get(0).get("attachment").asText()).isEqualTo("network");
    assertThat(opcua.get("nics").get(0).get("mac").asText()).isEqualTo(opcua.get("mac").asText());
  }

  @Test
  void networksAreALibvirtNetworkABridgeOrMacvtap(@TempDir Path dir) throws IOException {
    String example = Files.readString(Path.of("examples/xeon-devices.yaml")).replace("    workload: stress-ng\n",
        "    workload: stress-ng\n    networks:\n      - {network: default}\n      - {bridge: br0}\n      - {macvtap: eno2}\n");
    String xml = domain(example, "debian12-stress");
    assertThat(xml).contains("<interface type=\"network\">").contains("<source network=\"default\"/>")
        .contains("<interface type=\"bridge\">").contains("<source bridge=\"br0\"/>")
        .contains("<interface type=\"direct\">").contains("<source dev=\"eno2\" mode=\"bridge\"/>");
    // Three NICs, three MACs; the first is the one the VM had before networks could be given.
    assertThat(xml.split("<mac address=").length - 1).isEqualTo(3);
    assertThat(xml).contains(domain(Files.readString(Path.of("examples/xeon-devices.yaml")), "debian12-stress")
        .replaceAll("(?s).*(<mac address=\"[^\"]*\"/>).*", "$1"));
    valid(dir, xml);
    // networks: [] gives no virtio NIC at all: the VM given a whole NIC reaches the network through it.
    String none = Files.readString(Path.of("examples/xeon-devices.yaml")).replace("      - {interface: enp23s0}      # the whole I226 port, for the EtherCAT master\n",
        "      - {interface: enp23s0}\n    networks: []\n");
    assertThat(domain(none, "debian12-ethercat")).doesNotContain("<interface").contains("<hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\">");
  }
}
