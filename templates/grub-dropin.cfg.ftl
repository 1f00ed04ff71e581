# [=header?no_esc]
# Real-time kernel arguments for [=who?no_esc]. Install as /etc/default/grub.d/99-rtc.cfg, then
# regenerate the GRUB configuration ([=grubUpdate?no_esc]) and reboot.
#
# grub-mkconfig sources this file with /bin/sh after /etc/default/grub. It drops any earlier copy
# of the arguments rtc sets from GRUB_CMDLINE_LINUX_DEFAULT and appends rtc's, so the result is
# the same however often it runs; everything else on the command line is kept as it was.
# Recovery entries use GRUB_CMDLINE_LINUX only, so they boot without isolation.
rtc_args=[=args]
rtc_keys=[=keys]
rtc_kept=
# Split the existing line into words without expanding globs such as i915.force_probe=*.
case $- in *f*) rtc_noglob=1 ;; *) rtc_noglob= ; set -f ;; esac
# shellcheck disable=SC2086
for rtc_arg in ${GRUB_CMDLINE_LINUX_DEFAULT-}; do
  case " $rtc_keys " in
    *" ${rtc_arg%%=*} "*) ;;
    *) rtc_kept="${rtc_kept:+$rtc_kept }$rtc_arg" ;;
  esac
done
# shellcheck disable=SC2034
GRUB_CMDLINE_LINUX_DEFAULT="${rtc_kept:+$rtc_kept }$rtc_args"
<#if rtDefault>
# The default entry: the newest installed kernel built with CONFIG_PREEMPT_RT=y (rtc's choice is
# [=kernel?no_esc]), however the menu sorts. grub-mkconfig has found the root device by now, and
# its library names the entry as 10_linux does; without either, GRUB_DEFAULT stays as it was.
set +f
rtc_rt=$(for rtc_cfg in /boot/config-*; do
  grep -qx 'CONFIG_PREEMPT_RT=y' "$rtc_cfg" 2>/dev/null && [ -e "/boot/vmlinuz-${rtc_cfg#/boot/config-}" ] && echo "${rtc_cfg#/boot/config-}"
done | sort -V | tail -n 1)
if [ -n "$rtc_rt" ] && [ -n "${GRUB_DEVICE-}" ] && command -v grub_get_device_id >/dev/null 2>&1; then
  rtc_id=$(grub_get_device_id "$GRUB_DEVICE")
  # shellcheck disable=SC2034
  case ${GRUB_DISABLE_SUBMENU-} in
    y | yes | true) GRUB_DEFAULT="gnulinux-$rtc_rt-advanced-$rtc_id" ;;
    *) GRUB_DEFAULT="gnulinux-advanced-$rtc_id>gnulinux-$rtc_rt-advanced-$rtc_id" ;;
  esac
fi
[ -z "$rtc_noglob" ] || set -f
unset rtc_rt rtc_id rtc_cfg
<#else>
[ -n "$rtc_noglob" ] || set +f
</#if>
unset rtc_args rtc_keys rtc_kept rtc_arg rtc_noglob
