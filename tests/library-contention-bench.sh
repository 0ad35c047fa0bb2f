#!/usr/bin/env bash
# Measures the library's default thread choice on a busy machine, as a user of the package meets it: packs the library
# from this working tree, builds a console project against the package (tests/library-contention-bench/Program.cs), and
# trains the experiment's LSTM beside 0, 1 and 2 busy-loop processes, with the default (TrainingOptions.Threads unset)
# and with each fixed count given, optionally at a lower priority than the loops (nice). Prints one tab-separated line
# per run, then each default run's speed against the quiet default's.
#
#   tests/library-contention-bench.sh [--steps 300] [--busy "0 1 2"] [--threads "default 1 2"] [--nice "0"] [--repeat 2] [--timeout 300]
set -euo pipefail
cd "$(dirname "$0")/.."

steps=300
busy_counts="0 1 2"
thread_settings="default 1 2"
nice_levels="0"
repeat=2
limit=300
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --busy) busy_counts=$2; shift 2 ;;
    --threads) thread_settings=$2; shift 2 ;;
    --nice) nice_levels=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
version="0.0.0-bench.$(date -u +%Y%m%d%H%M%S).$$"
cached="${NUGET_PACKAGES:-$HOME/.nuget/packages}/mnistrnn/$version"
source tests/busy-loops.sh
trap 'stop_busy; rm -rf "$work" "$cached"' EXIT

dotnet pack src/MnistRnn -c Release -o "$work/feed" -p:Version="$version" -v quiet -nologo >&2
torchsharp=$(grep -o '<TorchSharpVersion>[^<]*' Directory.Packages.props | sed 's/.*>//')
mkdir "$work/consumer"
cp tests/library-contention-bench/Program.cs "$work/consumer/"
cat >"$work/consumer/nuget.config" <<XML
<configuration><packageSources><add key="local" value="$work/feed" /></packageSources></configuration>
XML
cat >"$work/consumer/Bench.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MnistRnn" Version="$version" />
    <PackageReference Include="TorchSharp-cpu" Version="$torchsharp" />
  </ItemGroup>
</Project>
XML
dotnet build "$work/consumer" -c Release -o "$work/bin" -v quiet -nologo >&2
data=$(pwd)/data/mnist

printf 'busy\tnice\tthreads_setting\tthreads_used\tchosen_by\tsamples_per_second\treading_seconds\tseconds_to_first_step\treason\n'
: >"$work/results"
for busy in $busy_counts; do
  start_busy "$busy"
  for _ in $(seq "$repeat"); do
    for level in $nice_levels; do
      for t in $thread_settings; do
        if line=$(timeout "$limit" nice -n "$level" dotnet "$work/bin/Bench.dll" "$data" "$steps" "$t" 2>"$work/err"); then
          printf '%s\t%s\t%s\n' "$busy" "$level" "$line" | tee -a "$work/results"
        else
          printf '%s\t%s\t%s\tover %ss or failed\n' "$busy" "$level" "$t" "$limit"
          tail -3 "$work/err" >&2
        fi
      done
    done
  done
  stop_busy
done

# The measure that matters: how much slower the default trains beside busy loops than alone (medians of the runs).
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for level in $nice_levels; do
  quiet=$(awk -F'\t' -v n="$level" '$1 == 0 && $2 == n && $3 == "default" { print $6 }' "$work/results" | median)
  for busy in $busy_counts; do
    speed=$(awk -F'\t' -v b="$busy" -v n="$level" '$1 == b && $2 == n && $3 == "default" { print $6 }' "$work/results" | median)
    [ -n "$quiet" ] && [ -n "$speed" ] && awk -v b="$busy" -v n="$level" -v q="$quiet" -v s="$speed" \
      'BEGIN { printf "default beside %s busy loops at nice %s: %.0f samples/s, %.2fx slower than alone\n", b, n, s, q / s }'
  done
done
