/**
 * rtc: a compiler from one deployment manifest to a bundle of artifacts for a real-time KVM host.
 * {@link dev.rtc.Compiler} is the pipeline: load and check the manifest ({@code manifest}), solve
 * the plan ({@code plan}), emit the bundle in memory ({@code emit}); {@code cli} writes it. Packages
 * depend downwards only: cli, check, emit, plan, manifest, topology, io; init, probe and report on
 * the side, beside cli.
 */
package dev.rtc;
