# Sourced by the contention benches: processes that each keep one CPU busy, the other work on a busy machine.
busy_pids=()
# start_busy N: N busy loops, then a second for the scheduler to place them.
start_busy() {
  for _ in $(seq "$1"); do
    bash -c 'while :; do :; done' &
    busy_pids+=($!)
  done
  sleep 1
}
stop_busy() { for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; busy_pids=(); }
