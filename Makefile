# One entry point. Every target sets up the virtual environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)

.PHONY: setup test test-unit run lab data outputs template student clean

setup: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

## make test: unit tests, papermill runs with small parameters, then nbval on the committed notebooks
test: setup
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval-lax --nbval-current-env --sanitize-with tests/nbval_sanitize.cfg notebooks

test-unit: setup
	$(PY) -m pytest tests -m "not notebook"

## make run: execute every notebook at its default parameters into build/ and print a table
run: setup
	$(PY) tools/run_notebooks.py

## make lab: open JupyterLab on the notebooks
lab: setup
	$(VENV)/bin/jupyter lab notebooks

## make data: prefetch every downloadable file into the cache folder (needs internet)
data: setup
	$(PY) -m helpers.data fetch

## make outputs: re-run the notebooks and store their outputs in notebooks/ (refuses edited notebooks)
outputs: setup
	$(PY) tools/run_notebooks.py --store $(NB)

## make template: retrain the shipped template CNN used offline by notebooks 04 and 05
template: setup
	$(PY) tools/train_template.py

clean:
	rm -rf build .pytest_cache

## make student: notebook copies without solution cells and without outputs, in build/student/
student: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --output-dir build/student \
	  --TagRemovePreprocessor.enabled=True --TagRemovePreprocessor.remove_cell_tags='["solution"]' \
	  --ClearOutputPreprocessor.enabled=True notebooks/[0-9][0-9]_*.ipynb
