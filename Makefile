# The two quick-start commands (`make studio`, `make test`) set themselves up and are idempotent.
PYTHON ?= python3
VENV ?= .venv
# A pip constraints file for the install (CI pins pyproject's floors with .ci/minimum-constraints.txt)
CONSTRAINTS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FIXTURES := tests/fixtures/magenta-oracle/rnn

.PHONY: setup system-deps studio demo test bench
setup: $(STAMP)

# FluidSynth, a GM soundfont and Chromium for the audio and browser tests (apt, if missing)
system-deps:
	bash scripts/system-deps.sh

# Editable installs skip pyproject's data-files, so the dashboards' offline Voilà template
# (notebooks/templates/magwidgets) is copied to where Voilà looks for templates.
VOILA_TEMPLATE := notebooks/templates/magwidgets
$(STAMP): pyproject.toml $(wildcard $(VOILA_TEMPLATE)/*) $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]" $(if $(CONSTRAINTS),-c $(CONSTRAINTS))
	mkdir -p $(VENV)/share/jupyter/voila/templates
	cp -r $(VOILA_TEMPLATE) $(VENV)/share/jupyter/voila/templates/
	touch $(STAMP)

# The Studio dashboard (Continue, Generate, Interpolate, Groove, Drumify) on the shipped starter
# models, no internet needed: http://localhost:8866. Served from notebooks/ so Voila reads
# notebooks/voila.json (uploads up to 200 MB reach the kernel, which explains what it refuses).
PORT ?= 8866
studio: $(STAMP) system-deps
	cd notebooks && ../$(BIN)/voila studio.ipynb --port=$(PORT)

# Generate drums and a melody from .mag bundles into demo/: MIDI files and web pages with a
# pianoroll and an audio player (the bundled test bundles have random weights; pass your own:
# make demo DRUMS=drum_kit_rnn.mag MELODY=attention_rnn.mag).
DRUMS ?= $(FIXTURES)/drum_kit/model.mag
MELODY ?= $(FIXTURES)/attention_rnn/model.mag
demo: $(STAMP)
	$(BIN)/magwidgets info $(DRUMS)
	$(BIN)/magwidgets generate $(DRUMS) --primer $(FIXTURES)/drum_kit/primer.mid --steps 64 --seed 1 --out demo/drums.mid --html demo/drums.html --force
	$(BIN)/magwidgets info $(MELODY)
	$(BIN)/magwidgets generate $(MELODY) --primer $(FIXTURES)/attention_rnn/primer.mid --steps 64 --temperature 0.9 --beam-size 2 --branch-factor 2 --seed 1 --out demo/melody.mid --html demo/melody.html --force

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/event_rnn_speed.py
	$(BIN)/python benchmarks/audio_speed.py
	$(BIN)/python benchmarks/pianoroll_speed.py
	$(BIN)/python benchmarks/studio_speed.py
	$(BIN)/python benchmarks/music_vae_speed.py
