/**
 * Diagnostics as values: a stable code ({@link Code}, never renumbered or reused), a severity, the
 * manifest path and its file:line:col, a message and a hint. Collected, never thrown one by one, so
 * every problem is reported at once.
 */
package dev.rtc.manifest.diagnostics;
