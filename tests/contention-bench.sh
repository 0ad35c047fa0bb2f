#!/usr/bin/env bash
# Measures training speed on a busy machine: short LSTM runs of the runner built from this working tree,
# beside 0, 1 and 2 busy-loop processes, for each thread setting given. Prints one tab-separated line
# per run (busy loops, threads, OpenMP wait policy, samples/s, seconds).
#
#   tests/contention-bench.sh [--steps 300] [--busy "0 1 2"] [--threads "default 1 2"] [--policies "unset PASSIVE"] [--repeat 2]
set -euo pipefail
cd "$(dirname "$0")/.."

steps=300
busy_counts="0 1 2"
thread_settings="default 1 2"
policies="unset"
repeat=2
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --busy) busy_counts=$2; shift 2 ;;
    --threads) thread_settings=$2; shift 2 ;;
    --policies) policies=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
source tests/busy-loops.sh
trap 'stop_busy; rm -rf "$work"' EXIT
if [ -z "${RUNNER_DIR:-}" ]; then
  dotnet build samples/MnistRnn.Runner -c Release -v quiet -nologo >&2
  RUNNER_DIR=samples/MnistRnn.Runner/bin/Release/net10.0
fi
cp -r "$RUNNER_DIR" "$work/runner"
data=$(pwd)/data/mnist

printf 'busy\tthreads\tomp_wait_policy\tsamples_per_second\tseconds\tthreads_used\n'
run=0
for busy in $busy_counts; do
  start_busy "$busy"
  for _ in $(seq "$repeat"); do
    for t in $thread_settings; do
      for policy in $policies; do
        run=$((run + 1))
        thread_flag=()
        [ "$t" != default ] && thread_flag=(--threads "$t")
        env_flag=()
        [ "$policy" != unset ] && env_flag=(OMP_WAIT_POLICY="$policy")
        env "${env_flag[@]}" dotnet "$work/runner/mnist-rnn.dll" train --model lstm --steps "$steps" --log-every "$steps" \
          "${thread_flag[@]}" --data "$data" --out "$work/run-$run" --summary "$work/summary.json" >/dev/null 2>"$work/err" \
          || { echo "run failed: busy $busy threads $t $policy" >&2; cat "$work/err" >&2; continue; }
        field() { grep -o "\"$1\": *[0-9.]*" "$work/summary.json" | grep -o '[0-9.]*$'; }
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$busy" "$t" "$policy" "$(field samples_per_second)" "$(field train_seconds)" "$(field threads)"
      done
    done
  done
  stop_busy
done
