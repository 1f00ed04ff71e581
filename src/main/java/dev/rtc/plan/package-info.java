/**
 * The solver and the plan: CPU pinning (replaying the kernel's and libvirt's rules), contiguous cache-way
 * masks and resctrl groups, hugepages, kernel arguments, the kernel per OS and choice, TuneD tuning,
 * and what the site must supply. The plan is immutable, carries the reason of each decision, and is
 * what every emitter reads.
 */
package dev.rtc.plan;
