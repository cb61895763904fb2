#!/bin/bash
# The command line: help, version, misuse.
source "$(dirname "$0")/lib.sh" "$@"

# cli_case DESC WANT(0|nonzero) GREP_PATTERN ARGS...
cli_case() {
	local desc=$1 want=$2 pattern=$3 good
	shift 3
	capture cli "$SENTRY" "$@"
	if [ "$want" = 0 ]; then [ "$ST" -eq 0 ] && good=1 || good=0; else
		[ "$ST" -ne 0 ] && [ "$ST" -lt 128 ] && good=1 || good=0; fi
	if [ "$good" = 1 ] && sanitizer_clean cli &&
		{ [ -z "$pattern" ] || cat "$WORK/cli.out" "$WORK/cli.err" | grep -qE -- "$pattern"; }; then
		ok "$desc"
	else
		not_ok "$desc" "status $ST" "stdout:" "$(excerpt "$WORK/cli.out")" "stderr:" "$(excerpt "$WORK/cli.err")"
	fi
}

cli_case "sentry --help exits 0" 0 "run" --help
cli_case "sentry run --help exits 0" 0 "--strace" run --help
cli_case "sentry --version exits 0" 0 "[0-9]+\.[0-9]+" --version
cli_case "sentry with no arguments fails" nonzero ""
cli_case "sentry run with no program fails" nonzero "" run
cli_case "unknown command fails" nonzero "" no-such-command
cli_case "unknown run flag fails" nonzero "" run --no-such-flag -- /bin/true

# --help writes to stdout.
capture cli "$SENTRY" --help
if [ -s "$WORK/cli.out" ]; then ok "--help text goes to stdout"; else not_ok "--help text goes to stdout"; fi

finish
