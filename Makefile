# The two set-up commands of the README: `make demo` and `make test`.
# Both work from a fresh clone, offline but for the package registries.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
REF     = fixtures/kurdistan24-istanbul-talks.clean.txt
CAND    = fixtures/istanbul-talks.garbled-mt.txt

.PHONY: demo test install install-test browser languagetool bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: the CPU build from this machine's disk, never the CUDA one.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	$(BIN)/python -m mtcheck.align.onnx_encoder export  # the ONNX encoder's model, once (torch only here)
	$(BIN)/python -m mtcheck.detect.lexicon build  # wordfreq's English list as memory-mapped arrays, and the spelling suggestions' candidates (mtcheck.detect.lexicon)
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-test.lock
	touch $@

install-test: $(VENV)/.installed-test browser languagetool

# Debian's Chromium for the HTML report's browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "note: chromium not installed and not root: browser tests will be skipped"; fi; }

# LanguageTool 6.8 from Maven Central (server + English, pinned in the script) into
# $(VENV)/languagetool, where mtcheck finds it; quick when already there. Without Java 17+
# or Maven it prints one line and everything else still installs.
languagetool: $(VENV)/.installed
	$(BIN)/python -m mtcheck.detect.languagetool.install $(VENV)/languagetool

# Check the fixture pair; exit code 1 (gate failed) is the expected verdict for the garbled article.
demo: install languagetool
	$(BIN)/mtcheck check $(REF) $(CAND) \
	  --json reports/istanbul-talks.json --html reports/istanbul-talks.html; \
	  status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "reports written: reports/istanbul-talks.json reports/istanbul-talks.html"

test: install-test
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/speed.py

clean:
	rm -rf $(VENV) reports/*.json reports/*.html
