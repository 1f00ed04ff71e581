package dev.rtc.emit;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlType;
import jakarta.xml.bind.annotation.XmlValue;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of libvirt's domain XML format (https://libvirt.org/formatdomain.html) that rtc writes.
 * Plain JAXB beans: field order is element order ({@code propOrder}), null fields are left out.
 * Only definable configuration lives here — no runtime state (ids, aliases, addresses, labels).
 *
 * <p>Package-private, beside its one user, on purpose: JAXB makes the fields of a non-public class
 * accessible once, but reads a public field of a public class through {@code Field.get} with an
 * access check (a walk of the caller's stack) every time, which was a quarter of marshalling.
 */
@XmlRootElement(name = "domain")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(propOrder = {"name", "uuid", "description", "metadata", "memory", "currentMemory", "memoryBacking", "vcpu", "cputune",
    "numatune", "os", "features", "cpu", "clock", "onPoweroff", "onReboot", "onCrash", "pm", "devices"})
final class Domain {
  @XmlAttribute public String type = "kvm";
  public String name;
  public String uuid;
  public String description;
  public Metadata metadata;
  public Sized memory;
  public Sized currentMemory;
  public MemoryBacking memoryBacking;
  public Vcpu vcpu;
  public Cputune cputune;
  public Numatune numatune;
  public Os os;
  public Features features;
  public Cpu cpu;
  public Clock clock;
  @XmlElement(name = "on_poweroff") public String onPoweroff;
  @XmlElement(name = "on_reboot") public String onReboot;
  @XmlElement(name = "on_crash") public String onCrash;
  public Pm pm;
  public DomainDevices.Devices devices;

  /** The namespace of rtc's element in a domain's metadata (libvirt keeps elements of other namespaces as they are). */
  static final String RTC_NS = "https://rtc.dev/xmlns/libvirt/1";

  /**
   * {@code <metadata><rtc:bundle name=".." vm=".."/></metadata>}: how the runbook recognises the
   * domains rtc defined ({@code virsh metadata DOMAIN --uri NS}), whatever their names, so rollback
   * never touches a domain it did not make.
   */
  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Metadata {
    @XmlElement(name = "bundle", namespace = RTC_NS) public RtcBundle bundle;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class RtcBundle {
    @XmlAttribute public String name;
    @XmlAttribute public String vm;
  }

  /** An element with no content: {@code <locked/>}. */
  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Empty {}

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Sized {
    @XmlAttribute public String unit;
    @XmlValue public long value;

    public Sized() {}

    public Sized(String unit, long value) {
      this.unit = unit;
      this.value = value;
    }
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"hugepages", "nosharepages", "locked"})
  static final class MemoryBacking {
    public Hugepages hugepages;
    public Empty nosharepages;
    public Empty locked;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Hugepages {
    public Page page;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Page {
    @XmlAttribute public long size;
    @XmlAttribute public String unit;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Vcpu {
    @XmlAttribute public String placement;
    @XmlValue public int count;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"vcpupin", "emulatorpin", "vcpusched", "cachetune", "memorytune"})
  static final class Cputune {
    public List<VcpuPin> vcpupin = new ArrayList<>();
    public CpusetRef emulatorpin;
    public List<VcpuSched> vcpusched = new ArrayList<>();
    public List<Cachetune> cachetune = new ArrayList<>();
    public List<Memorytune> memorytune = new ArrayList<>();
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class VcpuPin {
    @XmlAttribute public int vcpu;
    @XmlAttribute public String cpuset;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class CpusetRef {
    @XmlAttribute public String cpuset;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class VcpuSched {
    @XmlAttribute public String vcpus;
    @XmlAttribute public String scheduler;
    @XmlAttribute public Integer priority;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Cachetune {
    @XmlAttribute public String vcpus;
    public List<Cache> cache = new ArrayList<>();
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Cache {
    @XmlAttribute public int id;
    @XmlAttribute public int level;
    @XmlAttribute public String type;
    @XmlAttribute public long size;
    @XmlAttribute public String unit;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Memorytune {
    @XmlAttribute public String vcpus;
    public List<MemNode> node = new ArrayList<>();
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class MemNode {
    @XmlAttribute public int id;
    @XmlAttribute public int bandwidth;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Numatune {
    public NumaMemory memory;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class NumaMemory {
    @XmlAttribute public String mode;
    @XmlAttribute public String nodeset;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"type", "boot"})
  static final class Os {
    public OsType type;
    public Boot boot;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class OsType {
    @XmlAttribute public String arch;
    @XmlAttribute public String machine;
    @XmlValue public String value;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Boot {
    @XmlAttribute public String dev;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"acpi", "apic", "pmu", "vmport"})
  static final class Features {
    public Empty acpi;
    public Empty apic;
    public State pmu;
    public State vmport;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class State {
    @XmlAttribute public String state;

    public State() {}

    public State(String state) {
      this.state = state;
    }
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"topology", "feature"})
  static final class Cpu {
    @XmlAttribute public String mode;
    @XmlAttribute public String check;
    @XmlAttribute public String migratable;
    public Topology topology;
    public List<CpuFeature> feature = new ArrayList<>();
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Topology {
    @XmlAttribute public int sockets;
    @XmlAttribute public int dies;
    @XmlAttribute public int cores;
    @XmlAttribute public int threads;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class CpuFeature {
    @XmlAttribute public String policy;
    @XmlAttribute public String name;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Clock {
    @XmlAttribute public String offset;
    public List<Timer> timer = new ArrayList<>();
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Timer {
    @XmlAttribute public String name;
    @XmlAttribute public String tickpolicy;
    @XmlAttribute public String present;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"suspendToMem", "suspendToDisk"})
  static final class Pm {
    @XmlElement(name = "suspend-to-mem") public Enabled suspendToMem;
    @XmlElement(name = "suspend-to-disk") public Enabled suspendToDisk;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Enabled {
    @XmlAttribute public String enabled;

    public Enabled() {}

    public Enabled(String enabled) {
      this.enabled = enabled;
    }
  }

}
