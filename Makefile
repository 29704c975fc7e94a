# Threadline. `make run` opens the app; `make test` runs every test.
# Both install what they need on a Debian machine (apt packages, npm ci).

GO       ?= go
TAGS     := desktop,production,webkit2_41
VERSION  ?= 0.1.0
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X threadline/backend/buildinfo.Version=$(VERSION) -X threadline/backend/buildinfo.Commit=$(COMMIT)
BIN      := build/bin/threadline

# What building the desktop app needs, and what the tests need on top.
APT_BUILD := libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config
APT_TEST  := $(APT_BUILD) chromium xvfb xauth xdotool imagemagick \
             dovecot-imapd dovecot-lmtpd dovecot-submissiond notmuch maildir-utils

.PHONY: deps test-deps frontend build run serve test vet unit frontend-test e2e smoke bench eval-capture clean

deps:
	@.ci/apt-install $(APT_BUILD)
	@cd frontend && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

test-deps:
	@.ci/apt-install $(APT_TEST)
	@cd frontend && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

frontend: deps
	cd frontend && npm run build

build: frontend
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open."; \
		echo "Run 'make serve' instead and open the printed link in a browser."; \
		exit 1; \
	fi
	./$(BIN)

serve: build
	./$(BIN) serve

test: test-deps vet unit frontend-test build e2e smoke

vet:
	@unformatted=$$(gofmt -l app backend main.go); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

frontend-test:
	cd frontend && npm run check && npm test

e2e:
	@[ -x $(BIN) ] || $(MAKE) build
	cd frontend && THREADLINE_E2E_REQUIRE=1 THREADLINE_BIN=$(CURDIR)/$(BIN) npm run e2e

smoke:
	@[ -x $(BIN) ] || $(MAKE) build
	.ci/desktop-smoke $(BIN)

# The search benchmark covers 30k and 300k messages against notmuch and mu
# (about 40 minutes); THREADLINE_BENCH_LARGE=0 leaves 300k out.
bench:
	THREADLINE_BENCH_LARGE=$${THREADLINE_BENCH_LARGE-1} $(GO) test -run '^$$' -bench . -benchmem -timeout 150m ./...
	@[ -x $(BIN) ] || $(MAKE) build
	cd frontend && THREADLINE_BIN=$(CURDIR)/$(BIN) npm run bench:board

eval-capture:
	./scripts/eval-capture.sh

clean:
	rm -rf build/bin build/screenshots frontend/node_modules .cache
	find frontend/dist -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true
