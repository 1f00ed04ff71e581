/**
 * The manifest: read with every position (no anchors, tags or duplicate keys), checked against the
 * JSON Schema, bound to the immutable model, and checked by the semantic rules. Diagnostics are
 * values with a stable code, a location and a hint; every one of them is found in one pass.
 */
package dev.rtc.manifest;
