#!/usr/bin/env bash
# TPC-H q1-q22 on SF1 Parquet: the local engine against a loopback Ballista
# cluster (one `lathe cluster scheduler`, two `lathe cluster executor`), each
# query run as a whole `lathe` process, interleaved, wall time per query.
#
#   benches/cluster_tpch.sh [--reps N]
#
# Needs the data and catalog benches/compare.sh makes under
# ~/.cache/lathe/bench-data (run it once with --only tpch) and a release
# build of lathe. Run by hand on a quiet machine; prints a table and totals.
set -euo pipefail

reps=1
if [[ "${1:-}" == "--reps" ]]; then reps="$2"; fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
lathe="$target/release/lathe"
data="${HOME}/.cache/lathe/bench-data"
catalog="$data/lathe-tpch-catalog"
[[ -x "$lathe" ]] || { echo "no release build at $lathe" >&2; exit 2; }
[[ -d "$catalog/tpch" ]] || { echo "no TPC-H catalog at $catalog; run benches/compare.sh --only tpch" >&2; exit 2; }

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 600); do
        (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2; exit 1
}

sched="$(free_port)"
"$lathe" cluster scheduler --bind-host 127.0.0.1 --external-host 127.0.0.1 --bind-port "$sched" \
    > "$work/scheduler.log" 2>&1 &
pids+=($!)
wait_port "$sched"
for i in 1 2; do
    port="$(free_port)"
    mkdir -p "$work/executor-$i"
    "$lathe" cluster executor --bind-host 127.0.0.1 --external-host 127.0.0.1 \
        --scheduler-host 127.0.0.1 --scheduler-port "$sched" \
        --bind-port "$port" --bind-grpc-port "$(free_port)" --work-dir "$work/executor-$i" \
        > "$work/executor-$i.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
done

run() { # mode query -> seconds
    local start end
    start="$(date +%s.%N)"
    if [[ "$1" == cluster ]]; then
        "$lathe" --catalog "$catalog" --database tpch --cluster "df://127.0.0.1:$sched" \
            -f "$repo/benches/tpch/$2.sql" --format csv > "$work/$2.cluster.csv"
    else
        "$lathe" --catalog "$catalog" --database tpch -f "$repo/benches/tpch/$2.sql" \
            --format csv > "$work/$2.local.csv"
    fi
    end="$(date +%s.%N)"
    python3 -c "print(f'{$end - $start:.3f}')"
}

printf '%-5s %10s %10s %8s %s\n' query local_s cluster_s ratio same
total_local=0; total_cluster=0
for q in $(seq 1 22); do
    best_local=""; best_cluster=""
    for _ in $(seq 1 "$reps"); do
        l="$(run local "q$q")"; c="$(run cluster "q$q")"
        best_local="$(python3 -c "print(min(x for x in [$l, ${best_local:-$l}]))")"
        best_cluster="$(python3 -c "print(min(x for x in [$c, ${best_cluster:-$c}]))")"
    done
    same=no
    cmp -s "$work/q$q.local.csv" "$work/q$q.cluster.csv" && same=yes
    printf '%-5s %10.3f %10.3f %8.2f %s\n' "q$q" "$best_local" "$best_cluster" \
        "$(python3 -c "print($best_cluster / $best_local)")" "$same"
    total_local="$(python3 -c "print($total_local + $best_local)")"
    total_cluster="$(python3 -c "print($total_cluster + $best_cluster)")"
done
printf '%-5s %10.3f %10.3f %8.2f\n' total "$total_local" "$total_cluster" \
    "$(python3 -c "print($total_cluster / $total_local)")"
