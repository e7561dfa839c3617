#!/usr/bin/env bash
# Same outputs from two trialdose binaries: runs every command of COMMANDS below with OLD and
# with NEW, each in its own temporary folder (so relative --out files land there), and compares
# the exit code, stdout and every file written. Text is compared byte for byte; JSON (stdout or
# file) is compared after dropping the keys listed in IGNORED_KEYS from every object, so that a
# new binary may add those keys and nothing else.
#
# Usage: tests/reference/same_outputs.sh OLD_BINARY NEW_BINARY [FILTER]
#   FILTER (optional): run only the commands containing this text.
# Exit: 0 when every command matches, 1 when any differs (each difference is printed).
#
# To check other commands, add lines to COMMANDS: one command line per line, without the
# binary's name; `$DATA` is the example cohort (data/dream-like); lines starting with # are
# skipped. A command runs in the same folder as the ones before it, so a later line can read an
# earlier line's outputs (see the shards and merge below).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 OLD_BINARY NEW_BINARY [FILTER]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
FILTER=${3:-}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export DATA="$REPO/data/dream-like"
IGNORED_KEYS="trialdose_version schema_version stratify sensitivity margin cluster hc1 fisher_mid_p scas blaker blaker_p mn_risk_difference benchmark_left_out scas_reason blaker_reason blaker_p_reason casemix adjust_casemix"

read -r -d '' COMMANDS <<'EOF' || true
# generate, validate, analyze, report, audit on the example cohort ($DATA) and on a generated
# 100,000-participant cohort ($BIG, written once by the OLD binary before the commands run)
generate gen --participants 2000 --seed 5
generate gen-outlier --participants 3000 --seed 8 --outlier-site "Site B"
validate $DATA
validate $BIG
analyze $DATA --out a1
analyze $DATA --out a2 --population per-protocol --level 0.9 --rd-method miettinen-nurminen --multiplicity holm
analyze $DATA --out a3 --missing exclude --adjust baseline,age --multiplicity bonferroni
analyze $BIG --out b1
analyze $BIG --out b2 --adjust baseline --population per-protocol
report $DATA --out r1
report $DATA --out r2 --adjust baseline --show-ids --format svg
report $DATA --out r3 --min-cell 5
report $BIG --out r4
audit $DATA --out u1
audit $DATA --out u2 --by therapist --benchmark dream --format png
audit $DATA --out u3 --benchmark 0.6 --missing exclude --as-of 2012-06-30 --show-ids
audit $BIG --out u4
audit $BIG --out u7 --by therapist --skip-invalid
audit $BIG --out u5 --overdispersion additive --min-cell 5
audit gen-outlier --out u6 --overdispersion multiplicative
# compare: every interval and test from counts
compare --treatment 24/38 --control 10/38
compare --treatment 24/38 --control 10/38 --json
compare --treatment 0/20 --control 0/25 --level 0.9 --rd-method miettinen-nurminen
compare --treatment 30/30 --control 12/31 --json --rd-method agresti-caffo
compare --treatment 400000/1000000 --control 390000/1000000 --rd-method wald
# simulate clinic: text and JSON, truth, attendance, the other outcome
simulate clinic --schedule 60x2 --patients 40 --reps 2000
simulate clinic --schedule 60x2 --patients 40 --reps 2000 --json
simulate clinic --schedule 60x3 --patients 30 --reps 1500 --seed 9 --truth control=0.26,60x3=0.7 --attendance 0.9 --json
simulate clinic --schedule 60x3 --patients 30 --reps 1500 --outcome ndi --truth control=0.1,60x3=0.5
simulate clinic --schedule 60x2 --patients 25 --reps 1000 --out clinic.json
# simulate trial: fisher, newcombe, trend, type I error
simulate trial --arms control,60x2,60x3 --per-arm 38 --reps 1000
simulate trial --arms control,60x2,60x3 --per-arm 38 --reps 1000 --json
simulate trial --arms control,60x2 --per-arm 30 --reps 1000 --test newcombe
simulate trial --arms control,60x2 --per-arm 30 --reps 1000 --test newcombe --alpha 0.1 --json
simulate trial --arms control,60x2,60x3 --per-arm 20 --reps 1000 --test trend
simulate trial --arms control,60x2,60x3 --per-arm 20 --reps 1000 --test trend --json
simulate trial --arms control,60x2 --per-arm 25 --reps 1000 --truth control=0.4,60x2=0.4 --attendance 1 --json
simulate trial --arms control,30x2 --per-arm 25 --reps 800 --truth control=0.26,30x2=0.4 --outcome ndi
# simulate sample-size
simulate sample-size --arms control,60x2 --truth control=0.26,60x2=0.63 --reps 300
simulate sample-size --arms control,60x2 --truth control=0.26,60x2=0.63 --reps 300 --json
simulate sample-size --arms control,60x2,60x3 --test newcombe --reps 200 --out ss.json
# evidence from a cohort, and the dose-response model
simulate clinic --schedule 60x2 --patients 40 --reps 1000 --evidence $DATA
simulate trial --arms control,30x2,60x3 --per-arm 20 --reps 500 --evidence $DATA --json
simulate clinic --schedule 60x2 --patients 40 --model dose-response --evidence $DATA --reps 1000 --json
simulate clinic --schedule 45x2 --patients 40 --model dose-response --evidence $DATA --reps 1000
simulate trial --arms control,30x2,60x3 --per-arm 38 --reps 500 --model dose-response --evidence $DATA
simulate clinic --schedule 30x2 --patients 20 --reps 500 --model dose-response --json
simulate sample-size --arms control,60x3 --model dose-response --reps 200
# shards and merge
simulate trial --arms control,60x2,60x3 --per-arm 38 --reps 900 --seed 7 --shard 1/3 --out t1.json
simulate trial --arms control,60x2,60x3 --per-arm 38 --reps 900 --seed 7 --shard 2/3 --out t2.json --json
simulate trial --arms control,60x2,60x3 --per-arm 38 --reps 900 --seed 7 --shard 3/3 --out t3.json
simulate merge t1.json t2.json t3.json
simulate merge t3.json t1.json t2.json --json --out tmerged.json
simulate trial --arms control,60x2,60x3 --per-arm 38 --reps 900 --seed 7 --json
simulate clinic --schedule 60x3 --patients 30 --reps 700 --seed 7 --shard 1/2 --out c1.json
simulate clinic --schedule 60x3 --patients 30 --reps 700 --seed 7 --shard 2/2 --out c2.json
simulate merge c1.json c2.json --json
simulate merge c1.json c2.json
# target MCSE (a 2,000-replicate pilot, then the replicates it asks for)
simulate trial --arms control,60x2 --per-arm 38 --target-mcse 0.02 --json
simulate clinic --schedule 60x2 --patients 20 --target-mcse 0.05
# refused (exit code and stdout compared; messages on stderr may change)
simulate clinic --schedule 45x2 --patients 10
simulate trial --arms control,60x2 --per-arm 0
simulate merge t1.json t2.json
EOF

# Compares pairs of files given as OLD NEW ... and prints the name of each pair that differs
# (with the start of a diff on stderr): JSON without the ignored keys (same order, same
# numbers, same types), any other file byte for byte. One Python process per command.
compare() {
    python3 - "$IGNORED_KEYS" "$@" <<'PY'
import difflib, json, sys
ignored = set(sys.argv[1].split())
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ignored}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
def normal(path):
    data = open(path, "rb").read()
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return json.dumps(strip(json.loads(data)), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            pass
    return data.decode("utf-8", "replace")
args = sys.argv[2:]
for old, new in zip(args[::2], args[1::2]):
    a, b = normal(old), normal(new)
    if a != b:
        print(new.split("/new/", 1)[-1])
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), "old", "new", lineterm="")
        sys.stderr.write("\n".join(list(diff)[:20]) + "\n")
PY
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/old" "$WORK/new"
export BIG="$WORK/big"
if [[ -z "$FILTER" || "$COMMANDS" == *'$BIG'* ]]; then
    "$OLD" generate "$BIG" --participants 100000 --seed 11 >/dev/null
fi
failures=0
count=0
while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    [[ -n "$FILTER" && "$line" != *"$FILTER"* ]] && continue
    count=$((count + 1))
    touch "$WORK/marker"
    sleep 0.01
    for side in old new; do
        bin=$OLD
        [[ $side == new ]] && bin=$NEW
        set +e
        (cd "$WORK/$side" && eval "\"$bin\" $line" >"$WORK/$side.stdout" 2>"$WORK/$side.stderr")
        echo $? >"$WORK/$side.code"
        set -e
    done
    differ=""
    if ! cmp -s "$WORK/old.code" "$WORK/new.code"; then
        differ="exit code $(cat "$WORK/old.code") -> $(cat "$WORK/new.code")"
    fi
    # stdout, and every file either side wrote or changed with this command.
    pairs=("$WORK/old.stdout" "$WORK/new.stdout")
    for f in $( (cd "$WORK/old" && find . -type f -newer "$WORK/marker" ! -name .trialdose.lock; cd "$WORK/new" && find . -type f -newer "$WORK/marker" ! -name .trialdose.lock) | sort -u); do
        if [[ ! -f "$WORK/old/$f" || ! -f "$WORK/new/$f" ]]; then
            differ="$differ${differ:+; }$f written by one side only"
        else
            pairs+=("$WORK/old/$f" "$WORK/new/$f")
        fi
    done
    for d in $(compare "${pairs[@]}"); do
        differ="$differ${differ:+; }$d"
    done
    if [[ -n "$differ" ]]; then
        failures=$((failures + 1))
        echo "DIFFERS: $line ($differ)"
    else
        echo "same:    $line"
    fi
done <<<"$COMMANDS"
echo "$count command(s), $failures differ"
[[ $failures -eq 0 ]]
