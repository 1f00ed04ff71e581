package dev.rtc.cli;

import dev.rtc.probe.HostFiles;
import dev.rtc.probe.Probe;
import dev.rtc.probe.TopologyYaml;
import dev.rtc.io.InputFiles;
import dev.rtc.io.IoErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "probe", mixinStandardHelpOptions = true,
    description = {"Reads a host's topology (CPUs, cores, sockets, NUMA nodes and their memory, L2 and L3 caches, core types,"
        + " and resctrl's CAT and MBA parameters) and prints the manifest's topology block, ready to paste under host:.",
        "SOURCE is a root directory (default /, the host rtc runs on; or a copy of one), or a facts file: what"
        + " ./runbook.sh facts writes on the host (grep -rH . over the sysfs and resctrl files above), for a technician to send back."
        + " What lscpu prints is read too: its JSON (" + Probe.LSCPU_COMMAND + ") for CPUs, cores, sockets, nodes,"
        + " cache sizes and whether the part has CAT; lscpu -p for CPUs, cores, sockets, nodes and cache ids only.",
        "Network and SR-IOV devices are written as host.devices (address, ids, driver, NUMA node, IOMMU group, interface, SR-IOV"
        + " geometry) from /sys/bus/pci/devices; from what lspci -Dnn -vmm -k prints, host.devices alone.",
        "The compact form is written when it says the host exactly; hybrid parts and irregular numbering get the per-CPU table."},
    footer = {"", "Examples:", "  rtc probe                          # this host", "  rtc probe line-7-facts.txt         # facts a technician sent back",
        "  rtc probe lscpu.json               # lscpu's JSON: CAT parameters by hand",
        "  rtc probe lscpu-p.txt              # lscpu -p: CPUs only, caches by hand",
        "  rtc probe lspci.txt                # lspci -Dnn -vmm -k: host.devices only",
        "  rtc probe --table / > topology.yaml", "", "Exit codes: 0 written, 2 the source is not a host's files, facts or lscpu output, or lacks a file the topology needs,",
        "4 the source could not be read or the output written."})
final class ProbeCommand implements Callable<Integer> {

  /** A facts file of a 4-socket, 448-CPU host is about 2 MiB. */
  static final int FACTS_LIMIT = 16 << 20;

  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SOURCE", description = "A root directory or a facts file (default: /).")
  Path source = Path.of("/");

  @Option(names = "--table", description = "Always write the per-CPU table, even where the compact form would do.")
  boolean table;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
  Path output;

  @Override
  public Integer call() {
    var err = spec.commandLine().getErr();
    String yaml;
    try {
      Probe.Host host;
      if (Files.isDirectory(source)) {
        host = Probe.read(HostFiles.root(source));
      } else {
        String text = InputFiles.readText(source, FACTS_LIMIT);
        if (Probe.isLspci(text)) {
          yaml = Probe.devices(source.toString(), text);
          return write(yaml);
        }
        host = Probe.read(source.toString(), text);
      }
      yaml = TopologyYaml.write(host, table);
    } catch (InputFiles.RefusedException e) {
      err.println("rtc probe: " + source + " " + e.getMessage() + "; give a root folder, a facts file from ./runbook.sh facts,"
          + " or what lscpu prints");
      return Main.USAGE;
    } catch (IOException e) {
      err.println("rtc probe: cannot read " + source + ": " + IoErrors.describe(e));
      return Main.IO;
    } catch (Probe.ProbeException e) {
      err.println("rtc probe: " + e.getMessage());
      return Main.USAGE;
    }
    return write(yaml);
  }

  private int write(String yaml) {
    var err = spec.commandLine().getErr();
    if (output == null) {
      spec.commandLine().getOut().print(yaml);
      spec.commandLine().getOut().flush();
      return Main.OK;
    }
    try {
      Files.writeString(output, yaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      err.println("rtc probe: cannot write " + output + ": " + IoErrors.describe(e));
      return Main.IO;
    }
    return Main.OK;
  }
}
