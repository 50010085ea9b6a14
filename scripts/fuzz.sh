#!/usr/bin/env bash
# Runs every cargo fuzz target (fuzz/fuzz_targets/) for SECONDS each
# (default 600), two at a time, by hand (not in CI). Installs cargo-fuzz
# when missing; needs the nightly toolchain. Seeds each target's corpus
# from the repository the first time (catalog files, the DDL in
# tests/slt, the types in both, sample JSON lines). Crashes land in
# fuzz/artifacts/TARGET/; keep one as a regression test by copying it to
# fuzz/regressions/TARGET/ (tests/fuzz_regressions.rs runs them all).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_TARGET_DIR  cargo's target folder for the fuzz build
#                    (default: fuzz/target; it builds DataFusion once with
#                    coverage instrumentation, 20-30 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(hive_type glue_table ddl projection json_lines csv_writer json_pick)
fi
target_dir="${FUZZ_TARGET_DIR:-fuzz/target}"
command -v cargo-fuzz >/dev/null || nice -n 19 cargo install cargo-fuzz
# Release code with debug assertions and overflow checks (-O -a); no
# sanitizer (-s none): the code is safe Rust, so AddressSanitizer adds
# little but time.
flags=(-O -a -s none --target-dir "$target_dir")

seed() {
    local dir="fuzz/corpus/$1"
    [ -d "$dir" ] && return
    mkdir -p "$dir"
    case "$1" in
    hive_type)
        grep -rhoE '"Type": *"[^"]*"' catalog | sed -E 's/"Type": *"(.*)"/\1/' |
            sort -u | split -l 1 - "$dir/catalog-"
        grep -rhoiE '(array|map|struct)<[^ ]*>' tests/slt | sort -u | split -l 1 - "$dir/slt-" ;;
    glue_table)
        for f in catalog/*/*.json; do cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    ddl)
        # Each statement of the .slt files: the lines after a `statement`
        # or `query` header, up to `----` or a blank line.
        awk -v dir="$dir" '
            /^(statement|query)/ { n++; inside = 1; next }
            /^----/ || /^$/ { inside = 0; next }
            inside { print > (dir "/slt-" n) }' tests/slt/*.slt ;;
    json_lines)
        local i=0
        for f in $(find sample/raw -name '*.gz' | sort | head -n 4); do
            for flag in '\x00' '\x01' '\x20'; do
                i=$((i + 1))
                { printf "$flag"; zcat "$f" | head -n 3; } > "$dir/sample-$i"
            done
        done
        # Lines in the target's own schema (lathe::fuzzing::JSON_COLUMNS).
        printf '\x09%s\n%s\n' \
            '{"id":1,"name":"a","price":"12.50","ts":"2024-05-01 10:00:00","day":"2024-05-01","ok":true,"score":1.5,"ratio":0.5,"small":7,"code":"abc","tags":["x","y"],"attrs":{"k":1},"s":{"a":1,"b":[{"c":"z","d":2.0}],"e":{"m":[1,2]}}}' \
            '{"ID":2,"Full":{"Name":"n"},"ts":"2024-05-01T10:00:00.123+02:00","s":null,"tags":null}' \
            >"$dir/own-schema" ;;
    json_pick)
        # Lines of the sample, and the replayed regressions.
        for f in $(find sample/raw -name '*.gz' | sort | head -n 4); do
            zcat "$f" | head -n 5
        done | split -l 1 - "$dir/sample-"
        cp fuzz/regressions/json_pick/* "$dir/" ;;
    esac
}

run() {
    seed "$1"
    mkdir -p "fuzz/logs"
    nice -n 19 cargo +nightly fuzz run "${flags[@]}" "$1" "fuzz/corpus/$1" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        >"fuzz/logs/$1.log" 2>&1
    local status=$?
    echo "$1: exit $status; $(grep -E '^#[0-9]+' "fuzz/logs/$1.log" | tail -n 1)"
    return $status
}

nice -n 19 cargo +nightly fuzz build "${flags[@]}"
failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" & first=$!
    second=""
    if [ $((i + 1)) -lt ${#targets[@]} ]; then
        run "${targets[i + 1]}" & second=$!
    fi
    wait "$first" || failed=1
    if [ -n "$second" ]; then wait "$second" || failed=1; fi
done
exit "$failed"
