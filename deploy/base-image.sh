#!/usr/bin/env bash
# Makes a Python 3.11 base image from Debian's own packages, for machines that reach a Debian
# mirror but no container registry (CI here). The image is what deploy/Dockerfile expects of
# python:3.11-slim: python3 with venv and pip, CA certificates, groupadd/useradd.
#
#   deploy/base-image.sh            prints the image name, e.g. localhost/overpush-base:bookworm-1a2b3c4d5e6f
#
# The tag carries a hash of this script (the recipe): an image with the same tag is reused,
# so only the first run (about 2 minutes) bootstraps. Needs root, debootstrap and podman.
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR override the mirrors read from apt's sources.
set -euo pipefail

SUITE=bookworm
PACKAGES=python3,python3-venv,python3-pip,ca-certificates
RECIPE=$(sha256sum "$0" | cut -c1-12)
IMAGE="localhost/overpush-base:$SUITE-$RECIPE"
PODMAN=(podman --runtime runc)

if "${PODMAN[@]}" image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi

# The mirror apt already uses here (either sources format), as apt itself reports it.
mirror_for() {  # suite/component
  apt-cache policy | awk -v dist="$1" '$3 == dist { print $2; exit }'
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_for "$SUITE/main")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-$(mirror_for "$SUITE-security/main")}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}

ROOT=$(mktemp -d /var/tmp/overpush-base.XXXXXX)
chmod 755 "$ROOT"  # apt in the chroot downloads as _apt
trap 'rm -rf "$ROOT"' EXIT
echo "bootstrapping $SUITE from $MIRROR into $ROOT" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT" "$MIRROR" >&2

# Security and point-release updates, through the machine's mirror and its apt settings for
# reaching it (proxy; validity checks, which a snapshot mirror needs off).
cat > "$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
apt-config dump | grep -E '^Acquire::((https?|ftp)::Proxy|Check-Valid-Until|Check-Date)' \
  > "$ROOT/etc/apt/apt.conf.d/00build-host" || true
chroot "$ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
  'apt-get update -qq && apt-get upgrade -y -qq && apt-get clean' >&2

# What the image keeps: Debian's usual sources (a build overrides them with the machine's,
# deploy/build-image.sh), none of the machine's apt settings, no package lists, caches, logs,
# docs or host files.
cat > "$ROOT/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
rm -rf "$ROOT/etc/apt/apt.conf.d/00build-host" "$ROOT"/var/lib/apt/lists/* \
       "$ROOT"/var/cache/apt/* "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/log/* \
       "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* \
       "$ROOT"/tmp/* "$ROOT/etc/resolv.conf" "$ROOT/etc/hostname"
find "$ROOT/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete

tar -C "$ROOT" --numeric-owner -c . | "${PODMAN[@]}" import \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
  --change "LABEL overpush.base.suite=$SUITE" --change "LABEL overpush.base.recipe=$RECIPE" \
  - "$IMAGE" >&2
echo "$IMAGE"
