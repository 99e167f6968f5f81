# One entry point. Every target sets up the virtual environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# JupyterLab refuses to start as root (as in most containers) unless told it may
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup test check lint lock test-backends run lab data outputs sync template student grade slides site node clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

## Jupyter Book's own environment (make site, the browser tests): built by the rule further down
BOOK      := build/tools/jupyter-book/bin/jupyter-book
BOOK_SPEC ?= jupyter-book==1.0.4.post1

## web/node_modules/: reveal.js, MathJax 2, require.js and jQuery from npm (web/package-lock.json), for make slides/site
NODE_STAMP := web/node_modules/.installed
node: $(NODE_STAMP)
$(NODE_STAMP): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	touch $@

## make test: everything: lint, unit tests, then every notebook executed once at its defaults (stored outputs
## compared, recorded results asserted), a few small papermill runs, the browser and class-server checks.
## Prints the number of notebook executions; its time on this machine goes to build/times.json
test: setup lint $(NODE_STAMP) $(BOOK)
	CNN_COURSE_TIMED_AS="make test" $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## make check: the fast tier, no notebook kernel, no browser: unit tests and static checks of the stored notebooks
check: setup lint
	CNN_COURSE_TIMED_AS="make check" $(PY) -m pytest -q -n 2 --dist loadgroup -m "not notebook and not browser and not server"

## make lock: resolve requirements.txt into requirements.lock (exact versions, every platform) with uv, keeping
## the locked versions that still fit (delete requirements.lock first to take the newest of everything)
lock: setup
	@$(VENV)/bin/uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	@mkdir -p build && { grep -v '^#' requirements.lock > build/lock.txt 2>/dev/null || true; }
	$(VENV)/bin/uv pip compile requirements.txt --universal --python-version 3.11 --no-header -o build/lock.txt
	{ sed -n '1,3p' requirements.lock; cat build/lock.txt; } > build/lock.new && mv build/lock.new requirements.lock

## make lint: ruff on helpers/, tools/, tests/ and the notebooks' twins in py/ (settings in pyproject.toml)
LINT_SPEC ?= ruff~=0.17.6
lint: setup
	@$(VENV)/bin/ruff --version >/dev/null 2>&1 || $(PY) -m pip install --quiet "$(LINT_SPEC)"
	$(VENV)/bin/ruff check helpers tools tests py

## make test-backends: the small papermill runs on other Keras backends (installs them into .venv);
## BACKENDS="jax torch tensorflow" to time all three. PyTorch: a CPU-only build, see the README.
BACKENDS ?= jax
JAX_SPEC ?= jax[cpu]~=0.10.0
TORCH_SPEC ?= torch==2.13.0
test-backends: setup
	@for backend in $(BACKENDS); do \
	  case $$backend in \
	    jax) $(PY) -m pip install --quiet "$(JAX_SPEC)" ;; \
	    torch) $(PY) -m pip install --quiet $(TORCH_SPEC) ;; \
	  esac; \
	  echo "== Keras backend: $$backend"; \
	  CNN_COURSE_BACKEND_TESTS=1 KERAS_BACKEND=$$backend $(PY) -m pytest -m backend -q || exit 1; \
	done; cat build/backend-times.json

## make run: execute every notebook at its default parameters into build/ and print a table
run: setup
	$(PY) -m tools.run_notebooks

## make lab: open JupyterLab on the notebooks (RISE slideshows: Alt+R in a notebook, see the README)
lab: setup
	$(VENV)/bin/jupyter lab notebooks $(ROOT_FLAG)

## make data: prefetch every downloadable file into the cache folder (needs internet)
data: setup
	$(PY) -m helpers.cache fetch

## make outputs: re-run the notebooks and store their outputs in notebooks/ (refuses edited notebooks)
outputs: setup
	$(PY) -m tools.run_notebooks --store $(NB)

## make sync: bring notebooks/*.ipynb and their plain-text twins py/*.py up to date with each other, then
## write helpers/lessons.py from the definitions the notebooks mark `#| export`
sync: setup
	$(VENV)/bin/jupytext --sync notebooks/[0-9][0-9]_*.ipynb
	$(PY) -m tools.export_lessons

## make template: retrain the shipped template CNNs used offline by notebooks 05 and 06 (plain, and with BN)
template: setup
	$(PY) -m tools.train_template
	$(PY) -m tools.train_template --bn

clean:
	rm -rf build .pytest_cache

## make student: notebook copies without solution cells and without outputs, in build/student/; a copy
## edited since it was generated is never overwritten (the tool names it and exits non-zero)
STUDENT_DIR ?= build/student
student: setup
	$(PY) -m tools.make_student --out $(STUDENT_DIR)

## make grade SUBMISSIONS=<folder>: grade collected notebooks (<folder>/<student>/NN_topic.ipynb) into
## build/grades/grades.csv and one feedback file per student
SUBMISSIONS ?=
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder>/<student>/NN_topic.ipynb"; exit 2; }
	$(PY) -m tools.grade $(SUBMISSIONS)

## make slides: one reveal.js deck per notebook in build/slides/ from the stored outputs (SOLUTIONS=1 keeps solutions)
SOLUTIONS ?=
slides: setup $(NODE_STAMP)
	$(PY) -m tools.build_html slides $(if $(filter 1,$(SOLUTIONS)),--solutions,)

## build/tools/jupyter-book/: Jupyter Book 1 (Sphinx, MyST-NB, the book theme) in its own environment, for make site
## (BOOK is set at the top: a prerequisite is expanded where its rule is read)
$(BOOK):
	$(PYTHON) -m venv build/tools/jupyter-book
	build/tools/jupyter-book/bin/pip install --quiet "$(BOOK_SPEC)"

## make site: the course as a Jupyter Book in build/site/ (index.html, one page per notebook, the results report,
## a sidebar and search), built from the stored outputs, offline from disk
site: setup $(NODE_STAMP) $(BOOK)
	$(PY) -m tools.build_html site $(if $(filter 1,$(SOLUTIONS)),--solutions,)
