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
[ -n "$rtc_noglob" ] || set +f
# shellcheck disable=SC2034
GRUB_CMDLINE_LINUX_DEFAULT="${rtc_kept:+$rtc_kept }$rtc_args"
unset rtc_args rtc_keys rtc_kept rtc_arg rtc_noglob
