#!/usr/bin/env bash
# Runs the README's quick start (the commands between <!-- quickstart --> and
# <!-- /quickstart -->, but make install) with the commands installed under PREFIX (the only
# ones on PATH), a private daemon state, and checks that `man nfv-orch` and `--version` work.
# make test runs it after `make install PREFIX=<temporary folder>`; everything it creates is
# removed again, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:?usage: quickstart-check.sh PREFIX}
WORK=$(mktemp -d /tmp/nfv-quickstart.XXXXXX)
export PATH="$PREFIX/bin:/usr/sbin:/usr/bin:/sbin:/bin" MANPATH="$PREFIX/share/man"
export NFV_ORCH_STATE_DIR="$WORK/state" NFV_ORCH_SOCKET="$WORK/run/nfv-orch.sock" NFV_ORCH_RUN_DIR="$WORK/run"
cleanup() {
  nfv-orch undeploy live-edge-firewall --force >/dev/null 2>&1 || true
  nfv-orch daemon stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(command -v nfv-orch)" = "$PREFIX/bin/nfv-orch" ] || { echo "quickstart: nfv-orch is not the installed one" >&2; exit 1; }
nfv-orch --version
man -P cat nfv-orch | grep -q "nfv-orch" || { echo "quickstart: man nfv-orch shows nothing" >&2; exit 1; }
man -P cat nfv-orch-deploy | grep -q -- "--allow-restart" || { echo "quickstart: man nfv-orch-deploy shows nothing" >&2; exit 1; }
[ -s "$PREFIX/share/bash-completion/completions/nfv-orch" ] || { echo "quickstart: no bash completion" >&2; exit 1; }

# The quick start's commands, in order, each echoed, all of them required to succeed.
sed -n '/<!-- quickstart -->/,/<!-- \/quickstart -->/p' README.md | grep -v '^<!--\|^```' | sed 's/ *#.*//' | grep -v '^$' \
  | grep -v '^make install' >"$WORK/commands"
[ -s "$WORK/commands" ] || { echo "quickstart: README.md has no quick start block" >&2; exit 1; }
while read -r line; do
  echo "\$ $line"
  bash -c "$line"
done <"$WORK/commands"
echo "quickstart: ok"
