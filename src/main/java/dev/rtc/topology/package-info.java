/**
 * Value forms with their own grammar and errors: cpulists, byte sizes, cache-way masks, PCI
 * addresses, MAC addresses, http(s) URLs. No dependency on the rest of rtc.
 */
package dev.rtc.topology;
