/**
 * What a bundle means to the plant: comparing a compiled bundle with a folder ({@code compile
 * --check}, the golden test), the semantic diff of two bundles ({@code rtc diff}), and the one table
 * of what each difference costs on the host (runbook step, reboot, VM restart, reinstall).
 */
package dev.rtc.check;
