/**
 * Everything that touches a bundle's output folder: the writer (staged beside the folder, made
 * durable, swapped in by rename; what was not rtc's carried over; leftovers of a killed run mended),
 * the folder's lock, which files are rtc's, comparing a compiled bundle with a folder
 * ({@code compile --check}, the golden test), the semantic diff of two bundles ({@code rtc diff}),
 * and the one table of what each difference costs on the host.
 */
package dev.rtc.bundle;
