# One entry point. Every target sets up the virtual environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
# JupyterLab refuses to start as root (as in most containers) unless told it may
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup test test-unit test-backends run lab data outputs sync template student grade slides site node clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

## node_modules/: reveal.js, MathJax 2, require.js and jQuery from npm (package-lock.json), for make slides/site
NODE_STAMP := node_modules/.installed
node: $(NODE_STAMP)
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make test: unit tests, then every notebook executed once at its defaults (stored outputs compared,
## recorded results asserted) and a few small papermill runs for what the defaults do not cover
test: setup $(NODE_STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup

test-unit: setup $(NODE_STAMP)
	$(PY) -m pytest -m "not notebook"

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
	$(PY) tools/run_notebooks.py

## make lab: open JupyterLab on the notebooks (RISE slideshows: Alt+R in a notebook, see the README)
lab: setup
	$(VENV)/bin/jupyter lab notebooks $(ROOT_FLAG)

## make data: prefetch every downloadable file into the cache folder (needs internet)
data: setup
	$(PY) -m helpers.cache fetch

## make outputs: re-run the notebooks and store their outputs in notebooks/ (refuses edited notebooks)
outputs: setup
	$(PY) tools/run_notebooks.py --store $(NB)

## make sync: bring notebooks/*.ipynb and their plain-text twins py/*.py up to date with each other
sync: setup
	$(VENV)/bin/jupytext --sync notebooks/[0-9][0-9]_*.ipynb

## make template: retrain the shipped template CNNs used offline by notebooks 05 and 06 (plain, and with BN)
template: setup
	$(PY) tools/train_template.py
	$(PY) tools/train_template.py --bn

clean:
	rm -rf build .pytest_cache

## make student: notebook copies without solution cells and without outputs, in build/student/; a copy
## edited since it was generated is never overwritten (the tool names it and exits non-zero)
STUDENT_DIR ?= build/student
student: setup
	$(PY) tools/make_student.py --out $(STUDENT_DIR)

## make grade SUBMISSIONS=<folder>: grade collected notebooks (<folder>/<student>/NN_topic.ipynb) into
## build/grades/grades.csv and one feedback file per student
SUBMISSIONS ?=
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder>/<student>/NN_topic.ipynb"; exit 2; }
	$(PY) tools/grade.py $(SUBMISSIONS)

## make slides: one reveal.js deck per notebook in build/slides/ from the stored outputs (SOLUTIONS=1 keeps solutions)
SOLUTIONS ?=
slides: setup $(NODE_STAMP)
	$(PY) tools/build_html.py slides $(if $(filter 1,$(SOLUTIONS)),--solutions,)

## make site: the course as static HTML in build/site/ (index.html + one page per notebook), offline from disk
site: setup $(NODE_STAMP)
	$(PY) tools/build_html.py site $(if $(filter 1,$(SOLUTIONS)),--solutions,)
