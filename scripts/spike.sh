#!/usr/bin/env bash
# The full-size spike of issue 8, by hand (not in CI): one hour with
# 3,000,000 click events (100x a busy hour of the benchmark clickstream) under
# --memory-limit 256MB, spilling to a temporary --temp-dir. Runs the same test
# as CI (tests/reliability.rs, a_spike_hour_completes_under_the_memory_limit,
# 300,000 events under 32MB) at full size, and prints each query's wall time
# and peak RSS (VmHWM sampled from /proc) with and without the limit.
#   LATHE_SPIKE_EVENTS  events in the hour (default 3000000)
#   LATHE_SPIKE_MEMORY  the memory limit (default 256MB)
set -euo pipefail
cd "$(dirname "$0")/.."
export LATHE_SPIKE_EVENTS="${LATHE_SPIKE_EVENTS:-3000000}"
export LATHE_SPIKE_MEMORY="${LATHE_SPIKE_MEMORY:-256MB}"
exec cargo test --release --test reliability a_spike_hour -- --nocapture --test-threads 1
