"""The course's command-line tools, run as modules from the project folder: `python -m tools.run_notebooks`."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def lessons(folder: Path) -> list[Path]:
    """The course's notebooks in `folder` (NN_topic.ipynb), in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
