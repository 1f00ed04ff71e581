/**
 * rtc: a compiler from one deployment manifest to a bundle of artifacts for a real-time KVM host.
 * {@link dev.rtc.Compiler} is the pipeline: load and check the manifest ({@code manifest}), solve
 * the plan ({@code plan}), emit the bundle in memory ({@code emit}); {@code cli} writes it. Packages
 * depend downwards only, in the layers ArchitectureTest holds them to.
 */
package dev.rtc;
