"""Where the project's files are: its root, the download cache, and files notebooks pass to each other."""
from __future__ import annotations

import os
from pathlib import Path

#: The project folder (the one holding `helpers/`, `data/` and `notebooks/`); `$CNN_COURSE_ROOT` overrides it.
PROJECT_ROOT = Path(os.environ.get("CNN_COURSE_ROOT", Path(__file__).resolve().parent.parent)).expanduser()


def cache_dir() -> Path:
    """The project's download cache: `$CNN_COURSE_DATA`, else `data/cache/` in the project; absolute, as the
    paths pooch returns (a relative `$CNN_COURSE_DATA` is taken from the current folder)."""
    return Path(os.environ.get("CNN_COURSE_DATA", PROJECT_ROOT / "data" / "cache")).expanduser().absolute()


def keras_cache_dir() -> Path:
    """Keras' own cache root (`$KERAS_HOME` or `~/.keras`)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def artifacts_dir() -> Path:
    """Where notebooks save files for later notebooks (features, trained heads): `build/artifacts/`."""
    path = Path(os.environ.get("CNN_COURSE_ARTIFACTS", PROJECT_ROOT / "build" / "artifacts")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path
