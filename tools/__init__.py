"""The course's command-line tools, run as modules from the project folder: `python -m tools.run_notebooks`."""
