#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 3s). The targets are found
# with `go test -list '^Fuzz'`; `go test -fuzz` takes one package and one target at a time.
# Arguments name the packages to search (default ./...).
#
# Targets that need PostgreSQL use TEST_DATABASE_URL: run this through `make test` or
# `make fuzz`, which start a throwaway cluster (scripts/test.sh). An input that fails is
# saved under the package's testdata/fuzz/<Target>/: fix the bug, then commit that file —
# from then on it runs as a regression test in every `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-3s}
if [ $# -eq 0 ]; then set -- ./...; fi

# `go test -list` prints each package's matching names, then "ok <package> <time>".
targets=$(go test -list '^Fuzz' "$@" | awk '
  /^Fuzz/ { names = names " " $1; next }
  /^ok /  { if (names != "") print $2 names; names = "" }
')
if [ -z "$targets" ]; then
  echo "fuzz.sh: no fuzz targets in $*" >&2
  exit 1
fi

# corpus_size prints how many inputs a target's corpus directory holds.
corpus_size() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }

log=$(mktemp "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -f "$log"' EXIT
failed=()
n=0
start=$SECONDS
while read -r pkg names; do
  for name in $names; do
    n=$((n + 1))
    t0=$SECONDS
    dir=$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$name
    before=$(corpus_size "$dir")
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
      execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 || true)
      echo "ok    $pkg $name (${execs:-seed corpus only}, $((SECONDS - t0))s)"
    elif grep -q '^    context deadline exceeded$' "$log" && [ "$(corpus_size "$dir")" = "$before" ]; then
      # Go 1.26's fuzzing coordinator can report the end of -fuzztime itself as a failure
      # (go.dev/issue/75804, fixed in Go 1.27): no input failed and none was written.
      execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 || true)
      echo "ok    $pkg $name (${execs:-seed corpus only}, $((SECONDS - t0))s; the coordinator's spurious deadline error at the end, go.dev/issue/75804)"
    else
      echo "FAIL  $pkg $name"
      cat "$log"
      failed+=("$pkg $name")
    fi
  done
done <<<"$targets"

echo "fuzzed $n targets for $FUZZTIME each in $((SECONDS - start))s"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz target failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
