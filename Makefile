# The two commands of the README, on a fresh Debian 12 machine as root with only the Swift
# toolchain: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
SCAPY_VERSION ?= 2.8.0
# Libraries the package links (libpcap, libnl) and tools the tests run (tcpdump reads our
# captures; iproute2 and nftables build the kernel reference for the differential test;
# iputils-ping checks that plumbed links carry traffic; curl and python3 carry the live demo's
# HTTP transfer; prometheus brings promtool, which checks /metrics; man-db reads the installed
# manual pages).
# CNIPluginTests: the host-local IPAM plugin nfv-cni delegates to (containernetworking-plugins),
# and podman with runc, which starts a container from a busybox root filesystem on nfv-cni.
CNI_APT_PACKAGES := containernetworking-plugins podman runc busybox-static
APT_PACKAGES := libpcap-dev libnl-3-dev libnl-route-3-dev libsqlite3-dev pkg-config tcpdump iproute2 nftables iputils-ping curl python3 graphviz util-linux prometheus man-db openvswitch-common iperf3 python3-venv $(CNI_APT_PACKAGES)
# From PyPI, as MODULE:REQUIREMENT: scapy builds the fixtures; prometheus_client reads /metrics
# as scrapers do; openapi-spec-validator checks docs/openapi.yaml and the API's answers; os-ken
# (the version Faucet pins) is the OpenFlow controller of LiveOpenFlowTests. openvswitch-common
# (apt) brings ovs-ofctl; iperf3 measures TCP through an OpenFlow meter. Faucet, the third
# controller of LiveOpenFlowTests, pins other versions than the tests use (prometheus_client):
# it goes into a virtual environment of its own.
PROMETHEUS_CLIENT_VERSION ?= 0.21.1
OPENAPI_SPEC_VALIDATOR_VERSION ?= 0.7.1
OS_KEN_VERSION ?= 3.1.0
FAUCET_VERSION ?= 1.10.12
FAUCET_VENV ?= $(HOME)/.cache/nfv-platform/faucet-$(FAUCET_VERSION)
# kubernetes-validate checks deploy/kubernetes against the Kubernetes API's schemas.
KUBERNETES_VALIDATE_VERSION ?= 1.37.0
PIP_PACKAGES := scapy:scapy==$(SCAPY_VERSION) prometheus_client:prometheus_client==$(PROMETHEUS_CLIENT_VERSION) \
  openapi_spec_validator:openapi-spec-validator==$(OPENAPI_SPEC_VALIDATOR_VERSION) os_ken:os-ken==$(OS_KEN_VERSION) \
  kubernetes_validate:kubernetes-validate==$(KUBERNETES_VALIDATE_VERSION)
# What the benchmark recipes need on top (callgrind, memcheck, objcopy).
BENCH_APT_PACKAGES := valgrind binutils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps bench-deps build test demo install uninstall install-check bench bench-tap fixtures check-fixtures format format-check fuzz fuzz-build fuzz-smoke clean help

all: build

help:
	@echo "make demo     install what is missing, build, replay a capture through a chain, show counters"
	@echo "make test     install what is missing, build, run the whole test suite"
	@echo "make install  build (release) and install the commands, manual pages and shell completions under PREFIX (/usr/local)"
	@echo "make bench    throughput, instructions per packet (callgrind) and allocation checks"
	@echo "make bench-tap  the TAP-pair benchmark (live chains vs bare TAP forwarder vs kernel veth), as root"
	@echo "make fixtures regenerate the scapy-built test captures"
	@echo "make format   format the Swift sources to .swift-format (make test checks it)"
	@echo "make fuzz     libFuzzer on every nfv-fuzz target, FUZZ_SECONDS each (default 60); make test runs 5 s each"

# apt-get can fail once with a dpkg "cannot stat" error on these machines; a retry works.
define apt_install
	@missing=""; for package in $(1); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q >/dev/null; \
	  for attempt in 1 2 3; do \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing >/dev/null && break; \
	    [ $$attempt = 3 ] && { echo "apt-get install failed:$$missing" >&2; exit 1; }; sleep 3; \
	  done; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))
	@for package in $(PIP_PACKAGES); do \
	  module=$${package%%:*}; requirement=$${package#*:}; \
	  $(PYTHON) -c "import $$module" 2>/dev/null && continue; \
	  echo "installing: $$requirement (PyPI)"; \
	  $(PYTHON) -m pip install -q "$$requirement" 2>/dev/null \
	  || $(PYTHON) -m pip install -q --break-system-packages "$$requirement" || exit 1; \
	done
	@[ -x $(FAUCET_VENV)/bin/faucet ] || { echo "installing: faucet==$(FAUCET_VERSION) (PyPI, in $(FAUCET_VENV))"; \
	  rm -rf $(FAUCET_VENV) && $(PYTHON) -m venv $(FAUCET_VENV) \
	  && $(FAUCET_VENV)/bin/pip install -q faucet==$(FAUCET_VERSION) || { rm -rf $(FAUCET_VENV); exit 1; }; }

bench-deps: deps
	$(call apt_install,$(BENCH_APT_PACKAGES))

build: deps
	swift build

# The fixtures are committed; this proves they are what scapy generates, not our own output.
check-fixtures: deps
	$(PYTHON) Tests/Fixtures/generate.py --check

fixtures: deps
	$(PYTHON) Tests/Fixtures/generate.py

# The code follows .swift-format (swift-format ships with the toolchain): `make format`
# rewrites, `make format-check` (part of make test) fails on any difference.
SWIFT_FORMAT_PATHS := Package.swift Sources Tests
format:
	swift format format --in-place --recursive $(SWIFT_FORMAT_PATHS)

format-check:
	swift format lint --strict --recursive $(SWIFT_FORMAT_PATHS)

# Suites that compare throughput within 10% (what a CPU limit leaves a chain) run on their own
# after the rest: other suites' tests beside them load these two cores in bursts.
QUIET_SUITES := IsolationThroughputTests
test: deps check-fixtures format-check
	swift build --build-tests
	swift build -c release --product nfv-bench
	FAUCET=$(FAUCET_VENV)/bin/faucet swift test --skip-build --skip '$(QUIET_SUITES)'
	swift test --skip-build --filter '$(QUIET_SUITES)'
	$(MAKE) install-check
	$(MAKE) fuzz-smoke

# make install: the commands, their manual pages (generated by swift-argument-parser's
# generate-manual plugin: nfv-orch(1), one page per subcommand as nfv-orch-deploy(1)...) and
# bash, zsh and fish completions, under $(DESTDIR)$(PREFIX). CONFIGURATION=debug installs the
# debug build (what install-check does, to spare a release build).
PREFIX ?= /usr/local
CONFIGURATION ?= release
TOOLS := nfv-orch nfv-dataplane nfv-bench
# nfv-cni, the CNI plugin, goes to PREFIX/bin and to a folder container runtimes search
# (podman: /usr/local/lib/cni among others; kubelet: /opt/cni/bin, where the DaemonSet copies it).
CNI_BIN_DIR ?= $(PREFIX)/lib/cni
install: deps
	for tool in $(TOOLS) nfv-cni; do swift build -c $(CONFIGURATION) --product $$tool || exit 1; done
	swift package generate-manual --multi-page --configuration $(CONFIGURATION)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	for tool in $(TOOLS); do \
	  install -m 0755 .build/$(CONFIGURATION)/$$tool $(DESTDIR)$(PREFIX)/bin/ || exit 1; \
	  .build/$(CONFIGURATION)/$$tool --generate-completion-script bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$tool; \
	  .build/$(CONFIGURATION)/$$tool --generate-completion-script zsh >$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$tool; \
	  .build/$(CONFIGURATION)/$$tool --generate-completion-script fish >$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$tool.fish; \
	done
	install -d $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 .build/$(CONFIGURATION)/nfv-cni $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 .build/$(CONFIGURATION)/nfv-cni $(DESTDIR)$(CNI_BIN_DIR)/
	for page in .build/plugins/GenerateManual/outputs/*/*.1; do \
	  name=$$(basename $$page .1); case $$name in *.help) continue;; esac; \
	  install -m 0644 $$page $(DESTDIR)$(PREFIX)/share/man/man1/$${name//./-}.1 || exit 1; \
	done
	@echo "installed under $(DESTDIR)$(PREFIX): $(TOOLS) nfv-cni (also in $(CNI_BIN_DIR)); man nfv-orch; completions for bash, zsh, fish"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(TOOLS) nfv-cni) $(DESTDIR)$(CNI_BIN_DIR)/nfv-cni $(DESTDIR)$(PREFIX)/share/man/man1/nfv-*.1 \
	  $(addprefix $(DESTDIR)$(PREFIX)/share/bash-completion/completions/,$(TOOLS)) \
	  $(addprefix $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_,$(TOOLS)) \
	  $(addsuffix .fish,$(addprefix $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/,$(TOOLS)))

# make install into a temporary prefix, then the README's quick start with the installed
# commands (scripts/quickstart-check.sh): what a newcomer types works.
install-check:
	@prefix=$$(mktemp -d /tmp/nfv-install.XXXXXX); trap 'rm -rf "$$prefix"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$prefix CONFIGURATION=debug >/dev/null && \
	bash scripts/quickstart-check.sh "$$prefix"

# Fuzzing: nfv-fuzz built with libFuzzer and AddressSanitizer in its own build folder (linked
# with the toolchain's lld: gold fails with an internal error on this binary), seeded
# from the repository's captures and descriptors (Tests/Fuzz/seed.py). Every target runs
# FUZZ_SECONDS; a crash stops with the input under .build-fuzz/artifacts.
FUZZ_SECONDS ?= 60
# Descriptor inputs are cut to 2 KiB: the seeds hold a 500 KB route table, and libFuzzer would
# otherwise mutate inputs that large (about 40 executions/s instead of about 1,500). Every other
# target takes libFuzzer's default (the longest seed).
FUZZ_DESCRIPTOR_MAX_LEN ?= 2048
FUZZ := .build-fuzz/release/nfv-fuzz
fuzz-build: deps
	swift build --scratch-path .build-fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product nfv-fuzz

fuzz: fuzz-build
	@rm -rf .build-fuzz/seeds && $(PYTHON) Tests/Fuzz/seed.py .build-fuzz/seeds
	@mkdir -p .build-fuzz/artifacts
	@for target in $$($(FUZZ) --list); do \
	  mkdir -p .build-fuzz/corpus/$$target; \
	  echo "fuzz $$target: $(FUZZ_SECONDS) s"; \
	  maxlen=0; [ $$target = descriptors ] && maxlen=$(FUZZ_DESCRIPTOR_MAX_LEN); \
	  SWIFT_BACKTRACE=enable=no $(FUZZ) $$target -max_total_time=$(FUZZ_SECONDS) -max_len=$$maxlen -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/artifacts/$$target- .build-fuzz/corpus/$$target .build-fuzz/seeds/$$target \
	    2>.build-fuzz/$$target.log || { tail -40 .build-fuzz/$$target.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' .build-fuzz/$$target.log | tail -2; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=5

demo: deps
	swift build --product nfv-orch
	swift build --product nfv-dataplane
	@bash scripts/demo.sh

bench: bench-deps
	swift build -c release --product nfv-bench
	.build/release/nfv-bench
	.build/release/nfv-bench --expired-percent 1
	.build/release/nfv-bench --flow-hash
	bench/callgrind.sh
	bench/allocations.sh
	STAGE=FirewallStage bench/callgrind.sh --chain bench/workloads/firewall-chain.yaml --flows 10000
	STAGE=RouterStage bench/callgrind.sh --chain bench/workloads/router-chain.yaml --flows 10000 --destinations 10000
	STAGE=NATStage bench/callgrind.sh --chain bench/workloads/nat-chain.yaml --flows 10000
	STAGE=04LoadB5Stage bench/callgrind.sh --chain bench/workloads/lb-chain.yaml --flows 10000

bench-tap: deps
	bench/tap-pair.sh --seconds 5 --repeat 3

clean:
	rm -rf .build
