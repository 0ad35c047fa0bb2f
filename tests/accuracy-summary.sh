#!/usr/bin/env bash
# Summarises tests/accuracy-sweep.sh output (one or more files, or standard input): for each configuration
# and thread count, the accuracies by seed, then the median, minimum and maximum over all its runs, and
# whether the allocators agreed wherever both were run.
#
#   tests/accuracy-summary.sh sweep-*.tsv
set -euo pipefail
cat "$@" | awk -F'\t' '
  $1 == "config" { next }
  {
    key = $1 SUBSEP $2 SUBSEP $3
    if ((key SUBSEP "acc") in seen && seen[key SUBSEP "acc"] != $5) disagree[$1] = 1
    seen[key SUBSEP "acc"] = $5
    if (!(($1 SUBSEP $3 SUBSEP $2) in bythread)) { bythread[$1 SUBSEP $3 SUBSEP $2] = $5; list[$1 SUBSEP $3] = list[$1 SUBSEP $3] " " $2 ":" $5 }
    if (!(key in counted)) { counted[key] = 1; n[$1]++; v[$1, n[$1]] = $5 }
    if (!($1 in order)) { order[$1] = ++configs; name[configs] = $1 }
  }
  END {
    for (c = 1; c <= configs; c++) {
      k = name[c]; m = n[k]
      for (i = 1; i <= m; i++) a[i] = v[k, i]
      for (i = 2; i <= m; i++) { x = a[i]; j = i - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- }; a[j + 1] = x }
      median = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
      printf "%s: median %.4f, range %.4f to %.4f over %d runs; allocators %s\n", k, median, a[1], a[m], m, (k in disagree) ? "DISAGREE" : "agree"
      for (t = 1; t <= 64; t++) if ((k SUBSEP t) in list) printf "  %d thread(s):%s\n", t, list[k SUBSEP t]
    }
  }'
