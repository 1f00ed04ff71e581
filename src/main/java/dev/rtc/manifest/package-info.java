/**
 * The manifest: the immutable model ({@link Manifest}, {@link Topology}) and how a file becomes one:
 * read with every position (no anchors, tags or duplicate keys), checked against the JSON Schema,
 * and bound. Its sub-packages hold the diagnostics, the semantic rules and migration.
 */
package dev.rtc.manifest;
