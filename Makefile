# The course's commands. `make lab` opens the course; `make test` runs every test.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8888
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb)) $(sort $(wildcard exercises/solutions/*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

.PHONY: lab test lint notebooks release benchmark clean

# The course package (editable) and the extras each command needs: [lab] for `make lab`,
# EXTRAS_ALL for `make test` and every other target. The distribution `nnlab` is removed first:
# it is this package's former name here (and an unrelated project on the package index).
EXTRAS_ALL := lab,test,docs

define install
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip uninstall --quiet --yes nnlab 2>/dev/null || true
	$(PY) -m pip install --quiet -e '.[$(1)]'
endef

$(VENV)/.installed: pyproject.toml
	$(call install,$(EXTRAS_ALL))
	touch $@ $(VENV)/.installed-lab

$(VENV)/.installed-lab: pyproject.toml
	$(call install,lab)
	touch $@

lab: $(VENV)/.installed-lab
	@echo "Opening the course at http://localhost:$(PORT)/lab/tree/notebooks/00_start_here.ipynb"
	@echo "(JupyterLab prints the same address with its access token below; open that one.)"
	$(VENV)/bin/jupyter lab --no-browser --port=$(PORT) --ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
		$(if $(filter 0,$(shell id -u)),--allow-root)

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest $(NBVAL) tests notebooks exercises

lint: $(VENV)/.installed
	$(PY) -m ruff check .

# Re-execute every notebook in place in a fresh kernel, then strip widget state (outputs kept).
notebooks: $(VENV)/.installed
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 $$nb || exit 1; \
		$(VENV)/bin/nbstripout --keep-output --keep-count $$nb || exit 1; \
	done
	$(PY) -m nnlab exercises release  # student notebooks from the solutions, executed

# Regenerate the student exercise notebooks (exercises/*.ipynb) from exercises/solutions/.
release: $(VENV)/.installed
	$(PY) -m nnlab exercises release

benchmark: $(VENV)/.installed
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_grading.py
	$(PY) benchmarks/bench_widgets.py
	$(PY) benchmarks/bench_digits.py
	$(PY) benchmarks/bench_notebooks.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The course website in build/site/html: every notebook with its stored outputs (never
# re-executed), built and viewed offline (docs/conf.py). tests/test_site.py checks it in Chromium.
.PHONY: site
site: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[docs]'
	$(PY) -m sphinx -b html -c docs -d build/site/doctrees -W --keep-going . build/site/html
	@echo "The site: build/site/html/index.html"
