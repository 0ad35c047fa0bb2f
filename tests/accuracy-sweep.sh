#!/usr/bin/env bash
# Measures the distribution behind each accuracy regression test: every configuration the tests
# train, over seeds, thread counts and allocators, with the runner built from this working tree.
# Prints one tab-separated line per run (config, seed, threads, allocator, test accuracy, seconds);
# summarise with tests/accuracy-summary.sh.
#
#   tests/accuracy-sweep.sh [--seeds "1 2 3 4 5"] [--threads "1 2"] [--allocators "tuned system"] [--configs "lstm gru ..."]
set -euo pipefail
cd "$(dirname "$0")/.."

seeds="1 2 3 4 5"
threads="1 2"
allocators="tuned system"
configs="lstm gru-lr0.005 rnn-noclip rnn-clip1 rnn-lr0.001 irnn-lr0.001 fast"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --allocators) allocators=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

flags_of() {
  case "$1" in
    lstm) echo "--model lstm" ;;
    gru-lr0.005) echo "--model gru --lr 0.005" ;;
    gru-lr0.01) echo "--model gru" ;;
    rnn-noclip) echo "--model rnn --clip-norm 0" ;;
    rnn-clip1) echo "--model rnn --clip-norm 1" ;;
    rnn-lr0.001) echo "--model rnn --lr 0.001" ;;
    irnn-lr0.001) echo "--model irnn --lr 0.001" ;;
    fast) echo "--recipe fast" ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
}

# A private copy of the runner, so that rebuilding the tree during a long sweep cannot change it;
# RUNNER_DIR names an already built one (for sweeps run side by side).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${RUNNER_DIR:-}" ]; then
  dotnet build samples/MnistRnn.Runner -c Release -v quiet -nologo >&2
  RUNNER_DIR=samples/MnistRnn.Runner/bin/Release/net10.0
fi
cp -r "$RUNNER_DIR" "$work/runner"
data=$(pwd)/data/mnist

printf 'config\tseed\tthreads\tallocator\taccuracy\tseconds\n'
for config in $configs; do
  for seed in $seeds; do
    for t in $threads; do
      for allocator in $allocators; do
        summary="$work/summary.json"
        # shellcheck disable=SC2046
        dotnet "$work/runner/mnist-rnn.dll" train $(flags_of "$config") --seed "$seed" --threads "$t" \
          --allocator "$allocator" --data "$data" --summary "$summary" >"$work/log" 2>&1 \
          || { echo "run failed: $config seed $seed threads $t $allocator" >&2; tail -3 "$work/log" >&2; continue; }
        accuracy=$(grep -o '"test_accuracy": *[0-9.]*' "$summary" | grep -o '[0-9.]*$')
        seconds=$(grep -o '"train_seconds": *[0-9.]*' "$summary" | grep -o '[0-9.]*$')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$seed" "$t" "$allocator" "$accuracy" "$seconds"
        rm -f "$summary"
      done
    done
  done
done
