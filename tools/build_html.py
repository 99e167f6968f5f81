"""Build the course's HTML editions from the committed notebooks and their stored outputs (nothing is executed).

    python -m tools.build_html slides [--solutions] [--out build/slides]   # make slides: one reveal.js deck per notebook
    python -m tools.build_html site   [--solutions] [--out build/site]     # make site: a Jupyter Book of the lessons
                                                                           # + the results report (tools/report.py)

The slide structure is derived from the notebook every time (no slide metadata is kept in notebooks/):
the title cell opens the deck, every `##` heading starts a new slide, every `###` heading a sub-slide,
long prose paragraphs become speaker notes (press S in the deck), and the Colab cell, the parameters
cell, the set-up cell and (unless --solutions) the cells tagged `solution` are left out (the site keeps
the parameters and set-up cells, so a reader sees what a run needs). An exercise's instructions
(under a `### ✏️` heading) always stay on the slide.

Everything the pages load (reveal.js, MathJax 2, require.js, jQuery) is copied from web/node_modules/
(`npm ci`, which `make slides` / `make site` run) into <out>/lib/ (the book: <out>/_static/), so the pages
work from disk offline. The book's theme, search and sidebar come with Jupyter Book.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from tools import NOTEBOOKS, ROOT, lessons

NODE_MODULES = ROOT / "web" / "node_modules"
#: Jupyter Book lives in its own environment (the Makefile's $(BOOK)), so the course's own stays small
JUPYTER_BOOK = Path(os.environ.get("CNN_COURSE_JUPYTER_BOOK", ROOT / "build" / "tools" / "jupyter-book" / "bin" /
                                   "jupyter-book"))

#: a prose paragraph at least this long is what a presenter says rather than shows: speaker notes
NOTES_MIN_CHARS = 400
#: prose on one slide, at most (characters; a table or list counts by its lines)
SLIDE_CHARS = 700

#: MathJax 2 files the pages need (the npm package is 73 MB; this is about 5 MB)
MATHJAX_PARTS = ["MathJax.js", "LICENSE", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "config/local",
                 "extensions", "jax/input/TeX", "jax/output/CommonHTML", "jax/element",
                 "fonts/HTML-CSS/TeX/woff"]
REVEAL_THEME = "white"      # its fonts ship with reveal.js
MATHJAX_QUERY = "MathJax.js?config=TeX-AMS_CHTML-full,Safe"

# The deck template: nbconvert's own, with the remote-only block (mermaid diagrams, which no notebook uses)
# removed. Every other URL is set through the exporter's traits below.
TEMPLATES = {
    "course_slides.html.j2": """{%- extends 'reveal/index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style>{{ resources.slides_css }}</style>{%- endblock html_head_css -%}
""",
}

#: every slide fits a 1280x800 screen (a test measures it): code and text outputs in a small font, wrapped
#: rather than cut at the right edge, figures no taller than about half the slide
SLIDES_CSS = """
.reveal .slides section { font-size: 22px; text-align: left; }
.reveal .slides section h1 { font-size: 40px; } .reveal .slides section h2 { font-size: 34px; }
.reveal .slides section h3 { font-size: 28px; }
.reveal .jp-RenderedHTMLCommon { font-size: 22px; }
.reveal .jp-RenderedMarkdown blockquote { font-size: 17px !important; width: 95%; }
.reveal pre, .reveal pre code, .reveal .jp-OutputArea-output pre, .reveal .jp-InputArea .cm-editor,
.reveal .highlight pre { font-size: 11px !important; line-height: 1.25 !important; white-space: pre-wrap !important;
  overflow-wrap: anywhere; word-break: break-word; }
.reveal .jp-CodeCell .jp-InputArea pre { max-height: 240px; overflow-y: auto; }
.reveal .jp-Cell-outputWrapper { max-height: 320px; overflow-y: auto; }
.reveal .jp-OutputArea-output pre { max-height: 260px; overflow-y: auto; }
.reveal .jp-OutputArea-output img { max-height: 280px; width: auto; max-width: 100%; }
.reveal .jp-OutputArea-output table { font-size: 11px; }
.reveal .jp-RenderedMarkdown :is(table, td, th) { font-size: 14px !important; padding: 2px 6px !important; }
"""

#: Jupyter Book's _config.yml: stored outputs only (nothing executed); MathJax 2 from lib/ (not from a source
#: _static/ folder, whose every script Jupyter Book would load on every page)
BOOK_CONFIG = {"title": "Convolutional neural networks with Keras 3", "only_build_toc_files": True,
               "execute": {"execute_notebooks": "off"},
               "html": {"use_repository_button": False, "home_page_in_navbar": True},
               "sphinx": {"config": {"mathjax_path": f"mathjax/{MATHJAX_QUERY}", "html_static_path": ["lib"],
                                     # the book wraps each page in tex2jax_ignore; MathJax 2 typesets only math
                                     "mathjax2_config": {"tex2jax": {"processClass": "math|output_area"}},
                                     "html_show_sourcelink": False, "html_copy_source": False}}}

def lesson_paths() -> list[Path]:
    return lessons(NOTEBOOKS)


# ---------------------------------------------------------------- slide structure, derived from the notebook

def _blocks(markdown: str) -> list[str]:
    """Split markdown into blocks: heading lines on their own, paragraphs separated by blank lines
    (fenced code and $$ display math kept whole)."""
    blocks, current, fence = [], [], False
    for line in markdown.splitlines():
        if line.strip().startswith(("```", "~~~")) or line.strip() == "$$":
            fence = not fence
        elif not fence and (re.match(r"#{1,6} ", line) or not line.strip()):   # a heading or a blank line
            if current:
                blocks.append("\n".join(current))
            if line.strip():
                blocks.append(line)                  # a heading is a block of its own
            current = []
            continue
        current.append(line)
    return blocks + (["\n".join(current)] if current else [])


def _split_long(block: str) -> list[str]:
    """A list or quote longer than a slide holds, cut between its lines into pieces that fit."""
    lines = block.splitlines()
    if len(block) > SLIDE_CHARS and len(lines) == 1:       # one long paragraph or quote: cut between sentences
        quote, pieces = "> " if block.startswith(">") else "", [""]
        for sentence in re.split(r"(?<=[.:;])\s+(?=[A-Z(*`])", block.removeprefix(quote)):
            if pieces[-1] and len(pieces[-1]) + len(sentence) > SLIDE_CHARS:
                pieces.append("")
            pieces[-1] = f"{pieces[-1]} {sentence}".strip()
        return [quote + piece for piece in pieces]
    if len(block) <= SLIDE_CHARS or len(lines) < 2 or not all(re.match(r"\s*([-*+] |\d+\. |>)", line) or
                                                               line.startswith("  ") for line in lines):
        return [block]
    pieces, current = [], []
    for line in lines:
        if current and sum(len(x) for x in current) + len(line) > 0.75 * SLIDE_CHARS and re.match(r"\s*>?\s*([-*+] |\d+\. |\*\*|`|$)", line):
            pieces.append("\n".join(current))
            current = []
        current.append(line)
    return pieces + ["\n".join(current)]


def _is_notes(block: str) -> bool:
    """Long plain prose: no heading, list, table, quote, picture, HTML, code or display math in it."""
    return len(block) >= NOTES_MIN_CHARS and not any(
        re.match(r"\s*([-*+] |\d+\. |#|\||>|!\[|<|```|~~~|\$\$)", line) for line in block.splitlines())


def _fits(blocks: list[str], block: str) -> bool:
    size = lambda b: max(len(b), 90 * b.count("\n"))     # noqa: E731  a line of a table or list: a line of text
    return sum(size(b) for b in blocks) + size(block) <= SLIDE_CHARS


def slide_cells(nb, solutions: bool = False):
    """A copy of the notebook with `slideshow.slide_type` set on every cell (markdown cells split at
    headings and long paragraphs). Deterministic: the same notebook always gives the same deck."""
    nb = copy.deepcopy(nb)
    cells, exercise, after_code = [], False, False
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])) + 1
    front = {c.get("id") for c in code[:setup + 1]}     # the Colab, parameters and set-up cells: left out
    for cell in nb.cells:
        if cell.cell_type == "code":            # each shown code cell, with its output, on a slide of its own
            tags = cell.metadata.get("tags", [])
            skip = cell.get("id") in front or ("solution" in tags and not solutions)
            cell.metadata["slideshow"] = {"slide_type": "skip" if skip else "subslide"}
            cells.append(cell)
            after_code = after_code or not skip
            continue
        if cell.cell_type != "markdown":
            continue
        parts: list[tuple[str, list[str]]] = []      # (slide_type, blocks)
        for block in [piece for b in _blocks(cell.source) for piece in _split_long(b)]:
            if block.startswith(("# ", "## ", "### ")):
                kind = "subslide" if block.startswith("### ") else "slide"
                exercise = "✏️" in block            # an exercise's instructions stay on the slide
            elif _is_notes(block) and not exercise:
                kind = "notes"
            else:
                kind = "-"
            last = parts[-1][0] if parts else None
            if kind == last == "notes" or (last and kind == "-" and last != "notes" and _fits(parts[-1][1], block)):
                parts[-1][1].append(block)            # prose continues the slide it follows, while it fits
            else:      # prose that does not fit, or that follows a code cell, starts a slide below
                new = kind == "-" and (after_code or any(k != "notes" for k, _ in parts))
                parts.append(("subslide" if new else kind, [block]))
        after_code = after_code and not parts
        for k, (kind, blocks) in enumerate(parts):
            piece = nbformat.v4.new_markdown_cell("\n\n".join(blocks), id=f"{cell.get('id', 'md')}-{k}")
            piece.metadata["slideshow"] = {"slide_type": kind}
            if cell.get("attachments"):
                piece["attachments"] = cell["attachments"]
            cells.append(piece)
    nb.cells = cells
    return nb


def section_count(nb) -> int:
    """Top-level slides a deck of this notebook has: the title, then one per `##` section."""
    return 1 + sum(1 for cell in nb.cells if cell.cell_type == "markdown"
                   for block in _blocks(cell.source) if block.startswith("## "))


# ---------------------------------------------------------------- offline copies of the JavaScript

def copy_lib(out: Path, reveal: bool) -> None:
    if not (NODE_MODULES / "mathjax" / "MathJax.js").exists():
        sys.exit("web/node_modules/ is missing: run `npm ci --prefix web` (make slides / make site do)")
    lib = out / "lib"
    shutil.rmtree(lib, ignore_errors=True)
    copies = {f"mathjax/{part}": f"mathjax/{part}" for part in MATHJAX_PARTS}      # source in node_modules: target
    if reveal:     # the decks (nbconvert's reveal template); the book needs MathJax only
        theme = "reveal.js/dist/theme"   # copied apart, only the theme used: the others @import Google Fonts
        copies |= {"requirejs/require.js": "require.js",     # MIT licence in its header
                   "jquery/dist/jquery.min.js": "jquery.min.js", "jquery/LICENSE.txt": "jquery.LICENSE.txt"}
        copies |= {part: part for part in ["reveal.js/dist", "reveal.js/plugin/notes", "reveal.js/LICENSE",
                                           f"{theme}/fonts/source-sans-pro", f"{theme}/{REVEAL_THEME}.css"]}
    for part, target in copies.items():
        src, dst = NODE_MODULES / part, lib / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.map", "*.esm.js", "theme"))
        else:
            shutil.copy2(src, dst)


# ---------------------------------------------------------------- make slides

def build_slides(out: Path, solutions: bool = False) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    copy_lib(out, reveal=True)
    exporter = SlidesExporter(
        extra_loaders=[jinja2.DictLoader(TEMPLATES)], template_file="course_slides.html.j2",
        mathjax_url=f"lib/mathjax/{MATHJAX_QUERY}", require_js_url="lib/require.js", jquery_url="lib/jquery.min.js",
        mermaid_js_url="", mermaid_layout_elk_js_url="", jupyter_widgets_base_url="lib/", widget_renderer_url="",
        reveal_url_prefix="lib/reveal.js", reveal_theme=REVEAL_THEME, reveal_number="c/t",
        reveal_scroll=False,      # every slide fits the screen instead (SLIDES_CSS, one code cell a slide)
        exclude_input_prompt=True, exclude_output_prompt=True)
    written = []
    for path in lesson_paths():
        nb = slide_cells(nbformat.read(path, as_version=4), solutions)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}, "slides_css": SLIDES_CSS})
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


# ---------------------------------------------------------------- make site (Jupyter Book)

def _labelled(header: str, label: str, end: str = r"\n\s*\n") -> str:
    """The `**label.**` paragraph of a notebook's header cell, up to `end` (by default the next blank line)."""
    found = re.search(rf"\*\*{label}\.\*\*(.*?)(?={end}|\Z)", header, re.S)
    return f"**{label}.** {found.group(1).strip() if found else ''}"


def index_page(paths, notebooks, solutions: bool) -> str:
    """The book's first page: every lesson with its objectives, its stored run time and what it needs."""
    from helpers.record import read_records
    from tools import report

    edition = "with solutions" if solutions else "student edition: solutions removed"
    lines = ["# Convolutional neural networks with Keras 3", "",
             f"The lessons in order, rendered from the committed notebooks and their stored outputs ({edition}). "
             "Every page, and the search, works from disk without a network.", "",
             "The [results report](report.md) gives, for the run stored in these notebooks, each notebook's run "
             "time and peak memory, the machine, and the run's numbers next to the lectures'.", ""]
    for path, nb in zip(paths, notebooks):
        # the results report's reading: `make outputs` stores the time, the set-up cell records the machine
        run = report.NotebookRun.from_notebook(nb, stem=path.stem)
        took = "not measured (run `make outputs`)"
        if run.seconds is not None:
            machine = report.machine_text(read_records(run.notebook).get("machine", {}))
            took = f"{run.seconds:.0f} s on a machine with {machine['CPU']} and GPU {machine['GPU']}, in the stored run"
        header = nb.cells[0].source
        lines += [f"## [{header.splitlines()[0].lstrip('# ').strip()}]({path.name})", "",
                  _labelled(header, "Learning objectives", end=r"\n\s*\n\*\*"), "",   # to the next bold paragraph
                  f"**Run time at the defaults:** {took}", "", _labelled(header, "What it needs"), ""]
    return "\n".join(lines)


def build_site(out: Path, solutions: bool = False) -> list[Path]:
    """Stage the notebooks (without their Colab cell and, unless `solutions`, their solutions), an index page and
    the results report into `<out>-source/`, and build them with Jupyter Book into `out`."""
    import yaml

    from tools import report

    if not JUPYTER_BOOK.exists():
        sys.exit(f"{JUPYTER_BOOK} is missing: `make site` installs Jupyter Book there (or set CNN_COURSE_JUPYTER_BOOK)")
    source = out.parent / f"{out.name}-source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    copy_lib(source, reveal=False)                    # lib/mathjax/ becomes _static/mathjax/
    paths = lesson_paths()
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    # the notebooks without their Colab cell and, unless `solutions`, without their solution cells
    remove = TagRemovePreprocessor(remove_cell_tags={"colab"} | (set() if solutions else {"solution"}))
    for path, nb in zip(paths, notebooks):
        nbformat.write(remove.preprocess(copy.deepcopy(nb), {})[0], source / path.name)
    (source / "index.md").write_text(index_page(paths, notebooks, solutions), encoding="utf-8")
    (source / "report.md").write_text(report.stored_report(), encoding="utf-8")
    toc = {"format": "jb-book", "root": "index",
           "chapters": [{"file": path.stem} for path in paths] + [{"file": "report"}]}
    for name, content in (("_config.yml", BOOK_CONFIG), ("_toc.yml", toc)):
        (source / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    build = subprocess.run([str(JUPYTER_BOOK), "build", str(source), "--path-output", str(source),
                            "--quiet"], capture_output=True, text=True)
    if build.returncode:
        sys.exit(f"jupyter-book build failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(source / "_build" / "html", out)
    shutil.rmtree(source)
    return [out / "index.html", *(out / f"{path.stem}.html" for path in paths), out / "report.html"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["slides", "site"])
    ap.add_argument("--solutions", action="store_true", help="keep the cells tagged `solution`")
    ap.add_argument("--out", help="output folder (default build/slides or build/site)")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else ROOT / "build" / args.what
    start = time.perf_counter()
    written = (build_slides if args.what == "slides" else build_site)(out, args.solutions)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
    print(f"{args.what}: {len(written)} pages in {out} ({size:.1f} MB with lib/) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
