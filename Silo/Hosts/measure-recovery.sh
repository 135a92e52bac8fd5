#!/usr/bin/env bash
# The issue's recovery target, measured: ROUNDS (default 20) greedy generations of 300 tokens on 3 silos in network
# namespaces (pipeline and tensor deployments in turn), each with a shard host killed (kill -9) mid-decode, compared
# with an undisturbed run; the killed host restarts between rounds. Runs Tests/Hosting/NetnsRecoveryTests with the
# rounds asked, prints one line a round and a summary. Needs root, redis-server and a build (dotnet build).
# Usage: measure-recovery.sh [ROUNDS] [REPORT.jsonl]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
ROUNDS=${1:-20}
REPORT=${2:-/tmp/olm-recovery-$$.jsonl}
: > "$REPORT"
OLM_RECOVERY_ROUNDS=$ROUNDS OLM_RECOVERY_REPORT=$REPORT \
  dotnet test "$ROOT/Tests/Tests.csproj" --no-build --filter "FullyQualifiedName~NetnsRecoveryTests" --logger "console;verbosity=minimal" \
  | grep -E -A12 "Passed!|Failed!|Skipped|Error Message" || true
cat "$REPORT"
python3 - "$REPORT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not rows:
    sys.exit("no round ran (see the test output above)")
pauses = [r["kill_to_next_token_s"] for r in rows]
ok = sum(r["identical"] and r["recoveries"] == 1 for r in rows)
print(f"{ok} of {len(rows)} generations token-identical to the undisturbed run after a kill; "
      f"kill -> next token: median {statistics.median(pauses):.1f} s, min {min(pauses):.1f} s, max {max(pauses):.1f} s")
PY
