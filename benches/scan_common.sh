# Shared by the table-scan benchmarks (benches/iceberg_scan.sh,
# benches/format_scan.sh); sourced with the script's arguments:
#   [--scale N] [--reps N] [--lathe PATH]
# Generates the sample's clickstream at scale N (examples/gen_sample.rs) in a
# temporary folder and changes to it; defines `run SQL` (a whole `lathe -c`
# process), `$columns` (the clickstream's columns to copy) and
# `time_tables NAME...`, which runs each query REPS times on each table
# bench.NAME, interleaved, and prints the median wall time of each.
root="$(cd "$(dirname "$0")/.." && pwd)"
scale=20
reps=5
lathe="${CARGO_TARGET_DIR:-$root/target}/release/lathe"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --scale) scale="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --lathe) lathe="$2"; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gen="${CARGO_TARGET_DIR:-$root/target}/release/examples/gen_sample"
[[ -x "$gen" ]] || (cd "$root" && cargo build --release --example gen_sample)
[[ -x "$lathe" ]] || (cd "$root" && cargo build --release --bin lathe)
"$gen" --out "$work" --scale "$scale" --days 7 >&2
cd "$work"
run() { "$lathe" --database web -c "$1" >/dev/null; }
columns="event_id, event_time, user_id, session_id, event_type, product_id, quantity, referrer, page_url"

queries=(
    "SELECT count(*) FROM TABLE"
    "SELECT event_type, count(*), sum(quantity) FROM TABLE GROUP BY event_type"
    "SELECT count(DISTINCT session_id) FROM TABLE WHERE referrer = 'google.com'"
    "SELECT * FROM TABLE WHERE user_id = 4242 ORDER BY event_time LIMIT 10"
)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

time_tables() {
    printf '%-72s' query
    for t in "$@"; do printf ' %16s' "$t"; done
    printf '\n'
    for q in "${queries[@]}"; do
        declare -A times=()
        for ((i = 0; i < reps; i++)); do
            for t in "$@"; do
                sql="${q//TABLE/bench.$t}"
                start=$(date +%s.%N)
                run "$sql"
                end=$(date +%s.%N)
                times[$t]+="$(echo "$end - $start" | bc) "
            done
        done
        printf '%-72s' "${q//TABLE/t}"
        for t in "$@"; do
            printf ' %16.3f' "$(tr ' ' '\n' <<<"${times[$t]}" | grep . | median)"
        done
        printf '\n'
        unset times
    done
}
