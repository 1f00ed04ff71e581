/**
 * rtc migrate: a manifest of an older schema version rewritten to the current one as text edits,
 * so its comments, order and layout stay as the author wrote them.
 */
package dev.rtc.manifest.migrate;
