#!/usr/bin/env bash
# Installs promtool (checks and unit-tests the alert rules) and amtool (checks the
# Alertmanager configuration) when either is missing. Both come from Debian's packages
# (`prometheus`, `prometheus-alertmanager`); nothing is started: only the binaries are used.
set -euo pipefail

missing() {
    ! command -v promtool >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1
}

missing || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool/amtool missing and no apt-get: install Prometheus' promtool and" \
        "Alertmanager's amtool, then run make test again" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "promtool/amtool missing: run as root, or apt-get install prometheus" \
            "prometheus-alertmanager" >&2
        exit 1
    fi
    sudo="sudo"
fi
packages=(prometheus prometheus-alertmanager)
export DEBIAN_FRONTEND=noninteractive
# Without package lists (a fresh machine) or with stale ones the install fails: update once.
if ! $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null 2>&1; then
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
fi
missing && { echo "promtool/amtool still missing after the install" >&2; exit 1; }
echo "installed: $(promtool --version 2>&1 | head -1); $(amtool --version 2>&1 | head -1)"
