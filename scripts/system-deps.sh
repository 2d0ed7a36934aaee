#!/usr/bin/env bash
# Makes sure the system servers the integration tests start are installed. Shared by CI and
# `npm test`. Installs only what is missing (one `apt-get update`, only then); when it cannot
# install (not root, no apt, no network) it says LOUDLY which binaries are missing and which test
# suites will be skipped, and exits 0 so the rest of the suite still runs.
#
# Usage: bash scripts/system-deps.sh          install what is missing
#        bash scripts/system-deps.sh --check  only report, never install
set -uo pipefail

# One line per server: binary path | Debian package | test suites that need it.
# dnsmasq-base ships /usr/sbin/dnsmasq without the system service (no daemon starts on install).
DEPS=(
  "/usr/sbin/dnsmasq|dnsmasq-base|test/discovery/dns.test.ts"
  # "/usr/bin/redis-server|redis-server|test/ratelimit/redis-store.test.ts"
  # "/usr/bin/etcd|etcd-server|test/discovery/etcd.test.ts test/config/etcd-source.test.ts"
"/usr/bin/chromium|chromium|test/admin/dashboard.browser.test.ts"
)

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

missing_entries() {
  local entry bin
  for entry in "${DEPS[@]}"; do
    bin="${entry%%|*}"
    [[ -x "$bin" ]] || printf '%s\n' "$entry"
  done
}

mapfile -t missing < <(missing_entries)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

install_failed() {
  local why="$1" entry bin rest pkg suites
  {
    echo
    echo "################################################################################"
    echo "# system-deps: CANNOT INSTALL test servers ($why)"
    echo "#"
    for entry in "${missing[@]}"; do
      IFS='|' read -r bin pkg suites <<<"$entry"
      [[ -x "$bin" ]] && continue
      echo "#   MISSING $bin (Debian package: $pkg)"
      echo "#     -> these tests will be SKIPPED: $suites"
    done
    echo "#"
    echo "# Fix: run as root with network:  sudo bash scripts/system-deps.sh"
    echo "################################################################################"
    echo
  } >&2
  exit 0
}

[[ $check_only -eq 1 ]] && install_failed "--check given"
command -v apt-get >/dev/null 2>&1 || install_failed "apt-get not found"

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n env DEBIAN_FRONTEND=noninteractive)
  else
    install_failed "not root and no password-less sudo"
  fi
fi

packages=()
for entry in "${missing[@]}"; do
  IFS='|' read -r _bin pkg _suites <<<"$entry"
  packages+=("$pkg")
done

echo "system-deps: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for the dpkg lock rather than fail when two test runs (or CI steps) install at once.
apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=120)
"${apt[@]}" update -qq >&2 || install_failed "apt-get update failed (no network?)"
if ! "${apt[@]}" install -y -qq --no-install-recommends "${packages[@]}" >&2; then
  # apt installs all or nothing: one unavailable package must not block the others.
  for pkg in "${packages[@]}"; do
    "${apt[@]}" install -y -qq --no-install-recommends "$pkg" >&2 || echo "system-deps: could not install $pkg" >&2
  done
fi

# The package may install fine yet not provide the binary we expect (renamed path, etc.).
mapfile -t missing < <(missing_entries)
[[ ${#missing[@]} -eq 0 ]] || install_failed "apt-get could not install them, or the package did not provide the binary"
echo "system-deps: ok" >&2
exit 0
