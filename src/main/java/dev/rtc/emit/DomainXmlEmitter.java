package dev.rtc.emit;

import dev.rtc.plan.Distro;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;

/**
 * {@code vms/<vm>/domain.xml}: a complete libvirt domain, defineable as is with
 * {@code virsh define}. Built as a JAXB object tree, so every name and path is escaped by the
 * XML writer, never by hand.
 */
final class DomainXmlEmitter {

  static final String IMAGE_DIR = "/var/lib/libvirt/images/rtc";

  private static volatile JAXBContext context;

  private DomainXmlEmitter() {}

  static String emit(Plan plan, VmPlan vm, String header) {
    return marshal(domain(plan, vm), header);
  }

  static Domain domain(Plan plan, VmPlan vm) {
    Distro distro = Distro.of(plan.os());
    Domain d = new Domain();
    d.name = vm.name();
    d.uuid = vm.uuid();
    d.description = (vm.isRealtime() ? "Real-time VM" : "Stressor VM") + " of rtc bundle " + plan.name()
        + "; generated, edit the manifest instead";
    d.metadata = new Domain.Metadata();
    d.metadata.bundle = new Domain.RtcBundle();
    d.metadata.bundle.name = plan.name();
    d.metadata.bundle.vm = vm.name();
    long kib = vm.memory().kib();
    d.memory = new Domain.Sized("KiB", kib);
    d.currentMemory = new Domain.Sized("KiB", kib);
    if (vm.isRealtime() || vm.hugepages().isPresent()) {
      d.memoryBacking = new Domain.MemoryBacking();
      vm.hugepages().ifPresent(page -> {
        // No nodeset: the guest has no NUMA cells of its own; numatune binds the pages to the host node.
        d.memoryBacking.hugepages = new Domain.Hugepages();
        d.memoryBacking.hugepages.page = new Domain.Page();
        d.memoryBacking.hugepages.page.size = page.exactValue();
        d.memoryBacking.hugepages.page.unit = page.exactUnit();
      });
      if (vm.isRealtime()) {
        d.memoryBacking.nosharepages = new Domain.Empty();
        d.memoryBacking.locked = new Domain.Empty();
      }
    }
    d.vcpu = new Domain.Vcpu();
    d.vcpu.placement = "static";
    d.vcpu.count = vm.vcpus();
    d.cputune = cputune(plan, vm);
    d.numatune = new Domain.Numatune();
    d.numatune.memory = new Domain.NumaMemory();
    d.numatune.memory.mode = "strict";
    d.numatune.memory.nodeset = Integer.toString(vm.numaNode());
    d.os = new Domain.Os();
    d.os.type = new Domain.OsType();
    d.os.type.arch = "x86_64";
    d.os.type.machine = "q35";
    d.os.type.value = "hvm";
    d.os.boot = new Domain.Boot();
    d.os.boot.dev = "hd";
    d.features = new Domain.Features();
    d.features.acpi = new Domain.Empty();
    d.features.apic = new Domain.Empty();
    d.features.pmu = new Domain.State("off");
    d.features.vmport = new Domain.State("off");
    d.cpu = cpu(vm);
    d.clock = clock();
    d.onPoweroff = "destroy";
    d.onReboot = "restart";
    d.onCrash = "destroy";
    d.pm = new Domain.Pm();
    d.pm.suspendToMem = new Domain.Enabled("no");
    d.pm.suspendToDisk = new Domain.Enabled("no");
    d.devices = devices(distro, vm);
    return d;
  }

  private static Domain.Cputune cputune(Plan plan, VmPlan vm) {
    Domain.Cputune t = new Domain.Cputune();
    for (int i = 0; i < vm.vcpuPins().size(); i++) {
      Domain.VcpuPin pin = new Domain.VcpuPin();
      pin.vcpu = i;
      pin.cpuset = Integer.toString(vm.vcpuPins().get(i));
      t.vcpupin.add(pin);
    }
    t.emulatorpin = new Domain.CpusetRef();
    t.emulatorpin.cpuset = vm.emulatorCpus().toString();
    if (vm.isRealtime()) {
      // One element per vCPU, as libvirt itself writes them back (so `virsh dumpxml` matches).
      for (int i = 0; i < vm.vcpus(); i++) {
        Domain.VcpuSched s = new Domain.VcpuSched();
        s.vcpus = Integer.toString(i);
        s.scheduler = "fifo";
        s.priority = vm.rtVcpus().contains(i) ? 10 : 1;
        t.vcpusched.add(s);
      }
    }
    // When rtc owns the groups, libvirt must not make its own: a vCPU thread moved into a libvirt
    // group would follow that group's masks, not the CPU group rtc's boot unit made.
    boolean rtcOwned = plan.cache().map(Plan.CachePlan::rtcOwned).orElse(false);
    vm.resctrl().filter(group -> !rtcOwned).ifPresent(group -> {
      if (!group.caches().isEmpty()) {
        Domain.Cachetune ct = new Domain.Cachetune();
        ct.vcpus = group.vcpus().toString();
        boolean cdp = plan.cache().map(Plan.CachePlan::cdp).orElse(false);
        // libvirt allocates in this order: type both, then code, then data; each cache id ascending.
        for (String type : cdp ? java.util.List.of("code", "data") : java.util.List.of("both")) {
          for (Plan.CacheAlloc a : group.caches()) {
            Domain.Cache c = new Domain.Cache();
            c.id = a.cacheId();
            c.level = 3;
            c.type = type; // with CDP the host has only code and data; "both" would fail at start
            c.size = a.size().exactValue();
            c.unit = a.size().exactUnit(); // libvirt reads a size without unit as KiB; never leave it out
            ct.cache.add(c);
          }
        }
        t.cachetune.add(ct);
      }
      if (!group.bandwidth().isEmpty()) {
        Domain.Memorytune mt = new Domain.Memorytune();
        mt.vcpus = group.vcpus().toString(); // same vCPUs as the cachetune: libvirt merges them into one group
        for (Plan.Bandwidth b : group.bandwidth()) {
          Domain.MemNode n = new Domain.MemNode();
          n.id = b.node();
          n.bandwidth = b.percent();
          mt.node.add(n);
        }
        t.memorytune.add(mt);
      }
    });
    return t;
  }

  private static Domain.Cpu cpu(VmPlan vm) {
    Domain.Cpu c = new Domain.Cpu();
    c.mode = "host-passthrough";
    c.check = "none";
    c.migratable = "off";
    c.topology = new Domain.Topology();
    c.topology.sockets = 1;
    c.topology.dies = 1;
    // siblings: pair: vCPUs 2k and 2k+1 share a host core, and the guest is told so.
    c.topology.cores = vm.siblingPairs() ? vm.vcpus() / 2 : vm.vcpus();
    c.topology.threads = vm.siblingPairs() ? 2 : 1;
    if (vm.isRealtime()) {
      Domain.CpuFeature f = new Domain.CpuFeature();
      f.policy = "require";
      f.name = "tsc-deadline";
      c.feature.add(f);
    }
    return c;
  }

  private static Domain.Clock clock() {
    Domain.Clock c = new Domain.Clock();
    c.offset = "utc";
    c.timer.add(timer("rtc", "catchup", null));
    c.timer.add(timer("pit", "delay", null));
    c.timer.add(timer("hpet", null, "no"));
    return c;
  }

  private static Domain.Timer timer(String name, String tickpolicy, String present) {
    Domain.Timer t = new Domain.Timer();
    t.name = name;
    t.tickpolicy = tickpolicy;
    t.present = present;
    return t;
  }

  private static DomainDevices.Devices devices(Distro distro, VmPlan vm) {
    DomainDevices.Devices dev = new DomainDevices.Devices();
    dev.emulator = distro.qemuEmulator();
    DomainDevices.Disk disk = fileDisk("disk", "qcow2", IMAGE_DIR + "/" + vm.name() + ".qcow2", "vda", "virtio");
    disk.driver.cache = "none";
    disk.driver.io = "native";
    disk.driver.discard = "unmap";
    dev.disk.add(disk);
    DomainDevices.Disk seed = fileDisk("cdrom", "raw", IMAGE_DIR + "/" + vm.name() + "-seed.iso", "sda", "sata");
    seed.readonly = new Domain.Empty();
    dev.disk.add(seed);
    DomainDevices.Controller usb = new DomainDevices.Controller();
    usb.type = "usb";
    usb.model = "none";
    dev.controller.add(usb);
    for (Plan.Nic n : vm.nics()) {
      dev.iface.add(nic(n));
    }
    for (Plan.Passed p : vm.devices()) {
      if (p.isVf()) {
        dev.iface.add(vfInterface(p));
      } else {
        dev.hostdev.add(hostdev(p));
      }
    }
    dev.serial = new DomainDevices.Serial();
    dev.serial.type = "pty";
    dev.serial.target = new DomainDevices.Target();
    dev.serial.target.port = 0;
    dev.console = new DomainDevices.Console();
    dev.console.type = "pty";
    dev.console.target = new DomainDevices.Target();
    dev.console.target.type = "serial";
    dev.console.target.port = 0;
    dev.channel = new DomainDevices.Channel();
    dev.channel.type = "unix";
    dev.channel.target = new DomainDevices.Target();
    dev.channel.target.type = "virtio";
    dev.channel.target.name = "org.qemu.guest_agent.0";
    dev.memballoon = DomainDevices.Model.model("none");
    return dev;
  }

  /** A virtio NIC on a libvirt network, a host bridge, or macvtap (bridge mode) on a host interface. */
  private static DomainDevices.Interface nic(Plan.Nic n) {
    DomainDevices.Interface nic = new DomainDevices.Interface();
    nic.mac = new DomainDevices.Mac();
    nic.mac.address = n.mac();
    nic.source = new DomainDevices.NetSource();
    switch (n.attachment().kind()) {
      case NETWORK -> {
        nic.type = "network";
        nic.source.network = n.attachment().name();
      }
      case BRIDGE -> {
        nic.type = "bridge";
        nic.source.bridge = n.attachment().name();
      }
      case MACVTAP -> {
        nic.type = "direct";
        nic.source.dev = n.attachment().name();
        nic.source.mode = "bridge";
      }
    }
    nic.model = DomainDevices.Model.type("virtio");
    return nic;
  }

  /**
   * A virtual function as {@code <interface type='hostdev'>}: libvirt sets its MAC and VLAN through
   * the physical function before it hands the VF to the guest, which a plain hostdev cannot.
   */
  private static DomainDevices.Interface vfInterface(Plan.Passed p) {
    DomainDevices.Interface nic = new DomainDevices.Interface();
    nic.type = "hostdev";
    nic.managed = "yes";
    nic.mac = new DomainDevices.Mac();
    nic.mac.address = p.mac().orElseThrow();
    nic.driver = new DomainDevices.Driver();
    nic.driver.name = "vfio";
    nic.source = new DomainDevices.NetSource();
    nic.source.address = pciAddr(p.device().address(), true);
    p.device().vlan().ifPresent(v -> {
      nic.vlan = new DomainDevices.Vlan();
      nic.vlan.tag = new DomainDevices.Tag();
      nic.vlan.tag.id = v;
    });
    return nic;
  }

  /** A whole host device, managed: libvirt binds it to vfio-pci at start and back to its driver when the VM stops. */
  private static DomainDevices.Hostdev hostdev(Plan.Passed p) {
    DomainDevices.Hostdev h = new DomainDevices.Hostdev();
    h.mode = "subsystem";
    h.type = "pci";
    h.managed = "yes";
    h.driver = new DomainDevices.Driver();
    h.driver.name = "vfio";
    h.source = new DomainDevices.HostdevSource();
    h.source.address = pciAddr(p.device().address(), false);
    return h;
  }

  private static DomainDevices.PciAddr pciAddr(dev.rtc.topology.PciAddress a, boolean typed) {
    DomainDevices.PciAddr x = new DomainDevices.PciAddr();
    x.type = typed ? "pci" : null;
    x.domain = String.format(java.util.Locale.ROOT, "0x%04x", a.domain());
    x.bus = String.format(java.util.Locale.ROOT, "0x%02x", a.bus());
    x.slot = String.format(java.util.Locale.ROOT, "0x%02x", a.slot());
    x.function = String.format(java.util.Locale.ROOT, "0x%x", a.function());
    return x;
  }

  /** A network's XML, through the same JAXB context and writer as the domains. */
  static String network(Network n, String header) {
    return marshal(n, n.name, header);
  }

  private static String marshal(Domain d, String header) {
    return marshal(d, d.name, header);
  }

  private static String marshal(Object d, String name, String header) {
    try {
      Marshaller m = context().createMarshaller();
      m.setProperty(Marshaller.JAXB_FORMATTED_OUTPUT, true);
      m.setProperty(Marshaller.JAXB_ENCODING, "UTF-8");
      m.setProperty(Marshaller.JAXB_FRAGMENT, true);
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(4096);
      // The comment is ours (version and checksum): no user text, so it is safe to write as is.
      // No newline after it: the indenting output starts every element, the root too, on a new line.
      out.writeBytes(("<!-- " + header + " -->").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      m.marshal(d, out);
      String xml = out.toString(java.nio.charset.StandardCharsets.UTF_8);
      return xml.endsWith("\n") ? xml : xml + "\n";
    } catch (JAXBException e) {
      throw new IllegalStateException("libvirt XML for " + name + ": " + e.getMessage(), e);
    }
  }

  /** Builds the JAXB context ahead of need (see {@link Emitters#prepareInBackground()}). */
  static void prepare() {
    try {
      context();
    } catch (JAXBException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JAXBContext context() throws JAXBException {
    JAXBContext c = context;
    if (c == null) {
      synchronized (DomainXmlEmitter.class) {
        c = context;
        if (c == null) {
          context = c = JAXBContext.newInstance(Domain.class, Network.class);
        }
      }
    }
    return c;
  }

  private static DomainDevices.Disk fileDisk(String device, String format, String path, String targetDev, String bus) {
    DomainDevices.Disk d = new DomainDevices.Disk();
    d.type = "file";
    d.device = device;
    d.driver = new DomainDevices.Driver();
    d.driver.name = "qemu";
    d.driver.type = format;
    d.source = new DomainDevices.Source();
    d.source.file = path;
    d.target = new DomainDevices.Target();
    d.target.dev = targetDev;
    d.target.bus = bus;
    return d;
  }
}
