package dev.rtc.emit;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlType;

/**
 * The part of libvirt's network XML format (https://libvirt.org/formatnetwork.html) that rtc
 * writes: a NAT network with DHCP, as libvirt's own {@code default} network is. Package-private
 * JAXB beans, like {@link Domain}.
 */
@XmlRootElement(name = "network")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(propOrder = {"name", "forward", "bridge", "ip"})
final class Network {
  public String name;
  public Forward forward;
  public Bridge bridge;
  public Ip ip;

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Forward {
    @XmlAttribute public String mode;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Bridge {
    @XmlAttribute public String name;
    @XmlAttribute public String stp;
    @XmlAttribute public int delay;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Ip {
    @XmlAttribute public String address;
    @XmlAttribute public String netmask;
    public Dhcp dhcp;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Dhcp {
    public Range range;
  }

  @XmlAccessorType(XmlAccessType.FIELD)
  static final class Range {
    @XmlAttribute public String start;
    @XmlAttribute public String end;
  }

  /**
   * libvirt's {@code default} network as /usr/share/libvirt/networks/default.xml defines it: NAT on
   * virbr0, 192.168.122.0/24, DHCP for the rest. The runbook defines it from here when a host lacks it.
   */
  static Network defaultNat() {
    Network n = new Network();
    n.name = "default";
    n.forward = new Forward();
    n.forward.mode = "nat";
    n.bridge = new Bridge();
    n.bridge.name = "virbr0";
    n.bridge.stp = "on";
    n.bridge.delay = 0;
    n.ip = new Ip();
    n.ip.address = "192.168.122.1";
    n.ip.netmask = "255.255.255.0";
    n.ip.dhcp = new Dhcp();
    n.ip.dhcp.range = new Range();
    n.ip.dhcp.range.start = "192.168.122.2";
    n.ip.dhcp.range.end = "192.168.122.254";
    return n;
  }
}
