/**
 * Reading the files users name: regular files only, bounded in size, never a FIFO or a device; and
 * I/O errors in words a user can act on.
 */
package dev.rtc.io;
