/**
 * {@code rtc init}: a starter manifest for the machine it runs on (or its facts), sized so that it
 * compiles, with a password hash made here (SHA-512 crypt) and the guest OS read from os-release.
 */
package dev.rtc.init;
