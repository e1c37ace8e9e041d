#!/usr/bin/env bash
# Builds deploy/Dockerfile with podman on a machine without a container registry (CI here):
# on the Debian base from deploy/base-image.sh, with this machine's apt and pip settings as
# build secrets (deploy/build_settings.py), which only the build stage's apt-get and pip
# steps see and no layer keeps.
#
#   deploy/build-image.sh [IMAGE]      default localhost/overpush:<version in pyproject.toml>
#
# Elsewhere, build the ordinary way: docker build -f deploy/Dockerfile -t overpush:0.1.0 .
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
IMAGE=${1:-localhost/overpush:$VERSION}
BASE=$(deploy/base-image.sh)
SUITE=$(podman image inspect --format '{{index .Labels "overpush.base.suite"}}' "$BASE")

SECRETS=$(mktemp -d)
trap 'rm -rf "$SECRETS"' EXIT
python3 deploy/build_settings.py "$SECRETS" "$SUITE"
ARGS=()
for id in apt_conf apt_sources host_ca pip_conf pip_constraints; do
  [ -s "$SECRETS/$id" ] && ARGS+=(--secret "id=$id,src=$SECRETS/$id")
done

# podman here runs containers only with runc, and with explicit limits no higher than the
# machine's; conmon, which starts them, holds nproc at 32768 at most.
NOFILE=$(ulimit -Hn); NPROC=$(ulimit -Hu)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
{ [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; } && NPROC=32768
START=$(date +%s)
podman --runtime runc build -f deploy/Dockerfile -t "$IMAGE" \
  --build-arg PYTHON_IMAGE="$BASE" \
  --ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC" \
  "${ARGS[@]}" . >&2

# Keep a long-lived machine's disk in check: what earlier builds on this base left behind
# (untagged, older than this build; the layers this build reused have children and stay),
# and bases of older recipes.
podman image prune --force --filter label=overpush.base.suite --filter "until=$START" >/dev/null
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' localhost/overpush-base); do
  [ "$old" = "$BASE" ] || podman rmi "$old" >/dev/null 2>&1 || true
done
echo "$IMAGE"
