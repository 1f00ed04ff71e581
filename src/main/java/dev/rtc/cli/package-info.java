/**
 * The commands (picocli): options, the fleet of manifests, how diagnostics and results are printed
 * (text, JSON, GitHub annotations, SARIF), the man page and shell completion. The only package that
 * knows about a terminal, exit codes or the process.
 */
package dev.rtc.cli;
