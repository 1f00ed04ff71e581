/**
 * {@code rtc probe}: the topology block and host.devices of a manifest, read from a host's sysfs and
 * resctrl (or from a facts file the runbook recorded, lscpu or lspci output).
 */
package dev.rtc.probe;
