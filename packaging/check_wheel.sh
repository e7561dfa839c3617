#!/usr/bin/env bash
# Installs a trialdose wheel into a fresh virtual environment and runs the README's example from
# it as a user without Rust would: a clean environment whose PATH is the venv's bin, /usr/bin and
# /bin (checked to hold no cargo or rustc). Fails unless `trialdose --version` gives Cargo.toml's
# version and `trialdose analyze data/dream-like --out DIR` exits 0 and writes arms.csv with
# the example's six arms.
#   packaging/check_wheel.sh WHEEL
# Needs python3 with venv; the wheel has no dependencies, so pip installs it without an index.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wheel="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$wheel" ] || { echo "check_wheel.sh: no wheel at $1" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
path="$work/venv/bin:/usr/bin:/bin"
clean=(env -i "PATH=$path" "HOME=$work" LANG=C.UTF-8)
for tool in cargo rustc rustup; do
    if "${clean[@]}" sh -c "command -v $tool" >/dev/null; then
        echo "check_wheel.sh: $tool is on the clean PATH ($path): not a check without Rust" >&2
        exit 1
    fi
done
found="$("${clean[@]}" sh -c 'command -v trialdose')"
[ "$found" = "$work/venv/bin/trialdose" ] || { echo "check_wheel.sh: trialdose on PATH is '$found'" >&2; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)"
said="$(cd "$work" && "${clean[@]}" trialdose --version)"
[ "$said" = "trialdose $version" ] || { echo "check_wheel.sh: --version said '$said', Cargo.toml has $version" >&2; exit 1; }
(cd "$root" && "${clean[@]}" trialdose analyze data/dream-like --out "$work/results" >/dev/null)
arms="$work/results/arms.csv"
[ -s "$arms" ] || { echo "check_wheel.sh: no arms.csv written" >&2; exit 1; }
arm_list="$(cut -d, -f1 "$arms" | tr '\n' ' ')"
[ "$arm_list" = "arm control 30x2 30x3 60x1 60x2 60x3 " ] || { echo "check_wheel.sh: arms.csv has the arms: $arm_list" >&2; exit 1; }
arm_list="${arm_list#arm }"
echo "wheel ok: $(basename "$wheel"): '$said' from $found; analyze data/dream-like wrote arms.csv with the arms ${arm_list% }"
