# The two commands: `make demo` and `make test`. Both set up what is missing first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian toolchains the backends run for real.
APT_PACKAGES := iverilog yosys verilator bubblewrap g++ gcc make binutils \
	gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm tesseract-ocr ghdl git python3.11
TOOLS := iverilog vvp yosys verilator bwrap g++ gcc make as nm addr2line objcopy arm-none-eabi-gcc qemu-system-arm tesseract ghdl git python3.11

.PHONY: setup toolchains demo test lint bench bench-gpu clean-data

setup: toolchains $(STAMP)

toolchains:
	@missing=""; for tool in $(TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian toolchains (missing:$$missing)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[hf,analyst,gpu,bench,dev]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/forge demo

test: setup
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/verilog_pool.py
	$(PY) bench/asm.py
	$(PY) bench/embedded.py
	$(PY) bench/ocr.py
	$(PY) bench/dedup.py
	$(PY) bench/curation_quality.py
	$(PY) bench/synthesis_yield.py --per-scenario 1 --perturbations 0 --mutation-check

# Needs a CUDA GPU: our CUDA-event timer against triton.testing.do_bench, speedups over eager and torch.compile.
bench-gpu: setup
	$(PY) bench/gpu_timing.py

clean-data:
	rm -rf data

# Operators (see README, "For engineers / for analysts / for researchers").
.PHONY: server deploy notebook
# The Prefect UI on http://127.0.0.1:4200 and a process worker on pool `forge-local`; Ctrl-C stops both.
server: setup
	$(VENV)/bin/forge server

# With `make server` running (another shell): register every deployment in prefect.yaml.
deploy: setup
	PREFECT_API_URL=$${PREFECT_API_URL:-http://127.0.0.1:4200/api} $(VENV)/bin/prefect --no-prompt deploy --all

# The analyst notebook, headless, over data/ (or $$FORGE_DATA); its figures go to <data>/figures/.
notebook: setup
	FORGE_DATA=$${FORGE_DATA:-$(CURDIR)/data} $(VENV)/bin/jupyter-execute notebooks/analyst.ipynb
