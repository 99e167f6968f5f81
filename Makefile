# One entry point. Every target sets up the virtual environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
# JupyterLab refuses to start as root (as in most containers) unless told it may
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup test test-unit test-backends run lab data outputs sync template student clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

## make test: unit tests, then every notebook executed once at its defaults (stored outputs compared,
## recorded results asserted) and a few small papermill runs for what the defaults do not cover
test: setup
	$(PY) -m pytest -n 2 --dist loadgroup

test-unit: setup
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

## make lab: open JupyterLab on the notebooks
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

## make template: retrain the shipped template CNNs used offline by notebooks 04 and 05 (plain, and with BN)
template: setup
	$(PY) tools/train_template.py
	$(PY) tools/train_template.py --bn

clean:
	rm -rf build .pytest_cache

## make student: notebook copies without solution cells and without outputs, in build/student/
student: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --output-dir build/student \
	  --TagRemovePreprocessor.enabled=True --TagRemovePreprocessor.remove_cell_tags='["solution"]' \
	  --ClearOutputPreprocessor.enabled=True notebooks/[0-9][0-9]_*.ipynb
