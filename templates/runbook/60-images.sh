# ---- images ----------------------------------------------------------------------------------
# Each VM's disk on its base image, and its cloud-init seed.

preflight_images() {
  local vm img seen=" "
  for vm in "${VMS[@]}"; do
    img=${VM_BASE_IMAGE[$vm]}
    case "$seen" in *" $img "*) continue ;; esac
    seen="$seen$img "
    if [ ! -r "$ROOT$img" ]; then
      check_bad preflight.base-image host "base image $img is missing (for $vm; README.md says where it comes from)"
    elif [ -n "${VM_BASE_SHA256[$vm]}" ]; then
      if [ "$(sha256sum <"$ROOT$img" | cut -d' ' -f1)" = "${VM_BASE_SHA256[$vm]}" ]; then
        check_ok preflight.base-image host "base image $img (sha256 as planned)"
      else
        check_bad preflight.base-image host "base image $img has another sha256 than the manifest's ${VM_BASE_SHA256[$vm]}: download it again"
      fi
    else
      check_ok preflight.base-image host "base image $img"
    fi
  done
}

step_images() {
  guard images
  say "images: disks and cloud-init seeds"
  local vm why
  # Every refusal before the first change: a missing base image, a disk made from another one,
  # a missing Ubuntu Pro token stop the step before any VM's disk or seed is made.
  for vm in "${VMS[@]}"; do
    [ -r "$ROOT${VM_BASE_IMAGE[$vm]}" ] || [ "$DRY_RUN" = 1 ] || fail "$vm: base image ${VM_BASE_IMAGE[$vm]} is missing (README.md says where it comes from); nothing was changed"
    why=$(disk_problem "$vm")
    [ -z "$why" ] || [ "$REPLACE_DISKS" = 1 ] || fail "$vm: $why: to replace it, run ./runbook.sh --replace-disks images (the old one is moved aside); nothing was changed"
    if [ "${VM_PRO[$vm]}" = 1 ] && [ "$DRY_RUN" = 0 ] && ! seed_current "$vm" && [ ! -s "$ROOT$PRO_TOKEN_FILE" ]; then
      fail "$vm: its real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600); nothing was changed"
    fi
    if [ "${VM_RHEL[$vm]}" = 1 ] && [ "$DRY_RUN" = 0 ] && ! seed_current "$vm" && ! rhel_key_ok; then
      fail "$vm: a real-time RHEL guest registers with an activation key: put org= and key= lines in $RHEL_KEY_FILE (chmod 600); nothing was changed"
    fi
  done
  applying vm.image
  [ -d "$ROOT$IMAGE_DIR" ] || run install -d -m 0755 "$ROOT$IMAGE_DIR"
  for vm in "${VMS[@]}"; do
    applying vm.image "$vm"
    image_disk "$vm"
    image_seed "$vm"
  done
}

# disk_problem VM: why the VM's disk cannot be used as it is; nothing when it can, or there is none.
disk_problem() {
  local vm=$1 disk=$ROOT$IMAGE_DIR/$1.qcow2 base=${VM_BASE_IMAGE[$1]} info backing made
  [ -e "$disk" ] || return 0
  info=$(qemu-img info --output=json -U "$disk") || { echo "qemu-img cannot read $disk"; return 0; }
  backing=$(jq -r '.["full-backing-filename"] // .["backing-filename"] // ""' <<<"$info")
  made=$(cat "$STATE/disks/$vm.base" 2>/dev/null || true)
  if [ "$backing" != "$base" ]; then
    echo "$disk was made from ${backing:-no base image}, the plan says $base. Its data would be lost by a new disk"
  elif [ -n "$made" ] && [ "$made" != "$(base_identity "$base")" ]; then
    echo "$disk was made on $base when that file was $made (bytes, modification time); it is $(base_identity "$base") now. The guest would read a corrupt disk through it: put the old image back, or lose the disk's data with a new one"
  fi
}

# A VM's disk: an overlay on its base image, at the planned size. Kept when it is already right,
# grown when the plan grew, and never silently made from another base image, or used on a base
# image that changed under it: an overlay reads every block the guest has not written from its
# base, so the same path with other content there is a corrupt disk (the guest boots garbage, or
# stops in its boot loader). What the base was when the disk was made is recorded beside the
# other records of this bundle.
image_disk() {
  local vm=$1 disk=$ROOT$IMAGE_DIR/$1.qcow2 base=${VM_BASE_IMAGE[$1]} info backing size made why
  if [ -e "$disk" ]; then
    why=$(disk_problem "$vm")
    info=$(qemu-img info --output=json -U "$disk") || fail "$vm: qemu-img cannot read $disk"
    backing=$(jq -r '.["full-backing-filename"] // .["backing-filename"] // ""' <<<"$info")
    size=$(jq -r '.["virtual-size"]' <<<"$info")
    made=$(cat "$STATE/disks/$vm.base" 2>/dev/null || true)
    if [ -n "$why" ]; then
      local aside
      aside="$disk.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
      run mv "$disk" "$aside"
      note "$vm: its old disk (made from ${backing:-no base image}) is kept as $aside"
    else
      [ -n "$made" ] || note "$vm: $disk has no record of the base image it was made on (made by hand, or by an older runbook); rtc cannot tell whether $base has changed since"
      if [ "$size" -lt "${VM_DISK_BYTES[$vm]}" ]; then
        run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
      elif [ "$size" -gt "${VM_DISK_BYTES[$vm]}" ]; then
        note "$vm: $disk is larger than the plan's ${VM_DISK_SIZE[$vm]} and is kept so (shrinking would cut the guest's file system)"
      else
        ok "$vm: $disk (${VM_DISK_SIZE[$vm]}, on $base)"
      fi
      return 0
    fi
  fi
  run qemu-img create -f qcow2 -F qcow2 -b "$base" "$disk"
  if [ "$DRY_RUN" != 1 ]; then
    mkdir -p "$STATE/disks"
    base_identity "$base" >"$STATE/disks/$vm.base"
  fi
  # A resize that fails leaves the disk at the base's size; the next run of this step grows it.
  run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
}

# What tells one content of a base image from another without reading gigabytes: its size and
# modification time (a new cloud image copied over the old one changes both).
base_identity() { stat -L -c '%s %Y' "$ROOT$1" 2>/dev/null || printf 'absent'; }

# A VM's cloud-init seed, made again only when its user-data or meta-data changed. With Ubuntu
# Pro, a vendor-data with the token (read on this host, never in the bundle) goes beside them.
seed_sums() { cat "$HERE/vms/$1/user-data" "$HERE/vms/$1/meta-data" | sha256sum | cut -d' ' -f1; }
seed_current() { [ -e "$ROOT$IMAGE_DIR/$1-seed.iso" ] && [ "$(cat "$STATE/seeds/$1.sha256" 2>/dev/null)" = "$(seed_sums "$1")" ]; }

image_seed() {
  local vm=$1 seed=$ROOT$IMAGE_DIR/$1-seed.iso sums vendor=
  sums=$(seed_sums "$vm")
  if seed_current "$vm"; then
    ok "$vm: seed $IMAGE_DIR/$vm-seed.iso is as planned"
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s (cloud-init seed from vms/%s/user-data, meta-data%s)\n' "$IMAGE_DIR/$vm-seed.iso" "$vm" \
      "$([ "${VM_PRO[$vm]}" = 1 ] && echo ', and a vendor-data with the Ubuntu Pro token')"
    return 0
  fi
  local tmp
  tmp=$(mktemp -d "$STATE/seed.XXXXXX")
  TEMP_PATHS+=("$tmp")
  if [ "${VM_PRO[$vm]}" = 1 ]; then
    [ -s "$ROOT$PRO_TOKEN_FILE" ] || fail "$vm: its real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600)"
    vendor=$tmp/vendor-data
    # JSON is YAML: jq writes the document, escaping the token; cloud-init enables the service.
    # ubuntu_pro, as cloud-init 24.1 and newer (Ubuntu's current 22.04 and 24.04 images) name the module; the
    # older ubuntu_advantage leaves their status degraded, and with both keys they warn that one is ignored.
    # An older cloud-init reads no ubuntu_pro: the guest's runcmd then attaches with this token itself.
    { echo '#cloud-config'; jq -n --rawfile t "$ROOT$PRO_TOKEN_FILE" '{ubuntu_pro: {token: ($t | gsub("\\s"; "")), enable: ["realtime-kernel"]}}'; } >"$vendor"
  fi
  if [ "${VM_RHEL[$vm]}" = 1 ]; then
    vendor=$tmp/vendor-data
    # cloud-init's rh_subscription registers the guest and enables its real-time repositories before runcmd.
    { echo '#cloud-config'; jq -n --arg org "$(sed -n 's/^org=//p' "$ROOT$RHEL_KEY_FILE" | head -n 1)" \
      --arg key "$(sed -n 's/^key=//p' "$ROOT$RHEL_KEY_FILE" | head -n 1)" '$ARGS.positional as $repos |
      {rh_subscription: {org: ($org | if test("^[0-9]+$") then tonumber else . end), "activation-key": $key, "enable-repo": $repos}}' \
      --args "${RHEL_GUEST_REPOS[@]}"; } >"$vendor" # a numeric org as a number: older cloud-init's schema takes no other
  fi
  if have cloud-localds; then
    run cloud-localds ${vendor:+-V "$vendor"} "$tmp/seed.iso" "$HERE/vms/$vm/user-data" "$HERE/vms/$vm/meta-data"
  else
    run genisoimage -quiet -output "$tmp/seed.iso" -volid cidata -joliet -rock -graft-points \
      "user-data=$HERE/vms/$vm/user-data" "meta-data=$HERE/vms/$vm/meta-data" ${vendor:+"vendor-data=$vendor"}
  fi
  # Moved into place whole: a running VM keeps the seed it booted with.
  chmod 0600 "$tmp/seed.iso"
  mv "$tmp/seed.iso" "$seed"
  rm -rf "$tmp"
  mkdir -p "$STATE/seeds"
  printf '%s\n' "$sums" >"$STATE/seeds/$vm.sha256"
}
