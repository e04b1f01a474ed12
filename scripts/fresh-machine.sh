#!/usr/bin/env bash
# The README's setup, run literally on a fresh machine: a Debian 12 container whose only
# Node is the distribution-style Node 20 in /usr/bin (npm prefix /usr), with git and npm and
# nothing else. The commands are read from the README's "Setup" section, so the README and
# this check cannot drift apart.
#
#   scripts/fresh-machine.sh                  # the hint + `pnpm install && pnpm demo`
#   PNPM_SPEC=11 scripts/fresh-machine.sh     # the same with the newest pnpm 11 (a later minor)
#   FULL=1 scripts/fresh-machine.sh           # also `pnpm test` (long; needs the privileges below)
#
# Needs root, docker (DOCKER_HOST may point at a dockerd you started) and debootstrap. The
# image is built once (~1 min) and reused: IMAGE=fresh-node20:1. The clone is of HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-fresh-node20:1}"
SCRATCH="$(mktemp -d /tmp/fresh-machine.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT

build_image() {
  local root="$SCRATCH/root"
  debootstrap --variant=minbase --include=git,ca-certificates,procps,curl,xz-utils bookworm "$root" http://deb.debian.org/debian
  # Node 20 where a distribution puts it (/usr/bin/node, npm prefix /usr): this machine's.
  cp "$(command -v node)" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules"
  cp -a "$(npm root -g)/npm" "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # Registries may be reached through a local CA.
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$root" update-ca-certificates >/dev/null
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

docker image inspect "$IMAGE" >/dev/null 2>&1 || build_image

# The shell lines of the first two ```sh blocks of "## Setup": the hint, then the commands.
awk '/^## Setup/{on=1; next} on && /^## /{exit} on && /^```sh/{block++; inside=1; next} inside && /^```/{inside=0; if (block==2) exit; next} inside{print}' README.md \
  | sed -e 's/[[:space:]]*#.*$//' > "$SCRATCH/setup.sh"
if [ -n "${PNPM_SPEC:-}" ]; then sed -i "s/pnpm@[0-9][0-9.]*/pnpm@$PNPM_SPEC/" "$SCRATCH/setup.sh"; fi
if [ -z "${FULL:-}" ]; then sed -i '/^pnpm test$/d' "$SCRATCH/setup.sh"; fi
# The root `themis` must be ours and see every backend (exit 1 if one fails to load).
echo 'pnpm themis backends list' >> "$SCRATCH/setup.sh"
echo "--- running in $IMAGE:"; cat "$SCRATCH/setup.sh"

git bundle create "$SCRATCH/repo.bundle" HEAD >/dev/null 2>&1
docker run --rm --network host -e CI=true \
  --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  -v "$SCRATCH:/scratch" "$IMAGE" bash -c '
    set -euo pipefail
    node --version; npm config get prefix
    git clone -q /scratch/repo.bundle ~/themis && cd ~/themis
    bash -euxo pipefail /scratch/setup.sh'
echo "--- fresh machine: the README setup works"
