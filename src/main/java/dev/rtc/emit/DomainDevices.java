package dev.rtc.emit;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlType;
import java.util.ArrayList;
import java.util.List;

/** The devices of a libvirt domain, as JAXB writes them: disks, controllers, NICs, host devices, consoles, the guest agent's channel. */
final class DomainDevices {

  private DomainDevices() {}

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"emulator", "disk", "controller", "iface", "hostdev", "serial", "console", "channel", "memballoon"})
  static final class Devices {
    public String emulator;
    public List<Disk> disk = new ArrayList<>();
    public List<Controller> controller = new ArrayList<>();
    @XmlElement(name = "interface") public List<Interface> iface = new ArrayList<>();
    public List<Hostdev> hostdev = new ArrayList<>();
    public Serial serial;
    public Console console;
    public Channel channel;
    public Model memballoon;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"driver", "source", "target", "readonly"})
  static final class Disk {
    @XmlAttribute public String type;
    @XmlAttribute public String device;
    public Driver driver;
    public Source source;
    public Target target;
    public Domain.Empty readonly;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Driver {
    @XmlAttribute public String name;
    @XmlAttribute public String type;
    @XmlAttribute public String cache;
    @XmlAttribute public String io;
    @XmlAttribute public String discard;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Source {
    @XmlAttribute public String file;
    @XmlAttribute public String network;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Target {
    @XmlAttribute public String type;
    @XmlAttribute public String dev;
    @XmlAttribute public String bus;
    @XmlAttribute public String name;
    @XmlAttribute public Integer port;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Controller {
    @XmlAttribute public String type;
    @XmlAttribute public String model;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"mac", "source", "model", "driver", "vlan"})
  static final class Interface {
    @XmlAttribute public String type;
    @XmlAttribute public String managed;
    public Mac mac;
    public NetSource source;
    public Model model;
    public Driver driver;
    public Vlan vlan;
  }

  /** An interface's source: a network, a bridge, a host interface (macvtap, with its mode), or a VF's PCI address. */
  @XmlAccessorType(XmlAccessType.FIELD)
  static final class NetSource {
    @XmlAttribute public String network;
    @XmlAttribute public String bridge;
    @XmlAttribute public String dev;
    @XmlAttribute public String mode;
    public PciAddr address;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Vlan {
    public Tag tag;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Tag {
    @XmlAttribute public int id;
  }

  /** {@code <hostdev mode='subsystem' type='pci' managed='yes'>}: a whole host PCI device through VFIO. */
  @XmlAccessorType(XmlAccessType.FIELD)
  @XmlType(propOrder = {"driver", "source"})
  static final class Hostdev {
    @XmlAttribute public String mode;
    @XmlAttribute public String type;
    @XmlAttribute public String managed;
    public Driver driver;
    public HostdevSource source;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class HostdevSource {
    public PciAddr address;
  }

  /** A PCI address as libvirt writes it: hex with 0x, domain 4 digits, bus 2, slot 2, function 1. */
  @XmlAccessorType(XmlAccessType.FIELD)
  static final class PciAddr {
    @XmlAttribute public String type;
    @XmlAttribute public String domain;
    @XmlAttribute public String bus;
    @XmlAttribute public String slot;
    @XmlAttribute public String function;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Mac {
    @XmlAttribute public String address;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Model {
    @XmlAttribute public String type;
    @XmlAttribute public String model;

    public static Model type(String t) {
      Model m = new Model();
      m.type = t;
      return m;
    }

    public static Model model(String t) {
      Model m = new Model();
      m.model = t;
      return m;
    }
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Serial {
    @XmlAttribute public String type;
    public Target target;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Console {
    @XmlAttribute public String type;
    public Target target;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Channel {
    @XmlAttribute public String type;
    public Target target;
  }
}
