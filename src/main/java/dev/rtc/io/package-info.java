/**
 * Reading the files users name: regular files only, bounded in size, never a FIFO or a device; and
 * I/O errors in words a user can act on; and rtc's own version, read from its jar (a leaf, so that
 * every package may say it).
 */
package dev.rtc.io;
