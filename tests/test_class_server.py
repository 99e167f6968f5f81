"""A class server (JupyterHub, Binder) builds its image with repo2docker from this repository's own files.

repo2docker picks its conda build pack from `binder/environment.yml` and builds, in this order: the apt packages
of `apt.txt` and the packages of `environment.yml` (before the repository is copied in, so those layers
are cached across edits), then the copy of the repository, then `postBuild`, which installs the course's
`helpers` package. The static tests check the files; the repo2docker tests render the image's Dockerfile
with `repo2docker --no-build` (no Docker needed) from a clean copy of the repository, as a fresh clone
would have it. They use `$CNN_COURSE_REPO2DOCKER` (set by `.ci/run`, which installs repo2docker into
`build/tools/repo2docker/`; then a missing or broken repo2docker fails), else a `repo2docker` on the PATH
or in that folder, else they are skipped. To run them here:
`python3 -m venv build/tools/repo2docker && build/tools/repo2docker/bin/pip install jupyter-repo2docker`.
"""
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.cache import DEBIAN_FASHION_DIR, FASHION_KEYS, remote_for

pytestmark = pytest.mark.xdist_group("class_server")     # one clean copy, one repo2docker run

ROOT = Path(__file__).resolve().parent.parent
R2D_HOME = ROOT / "build" / "tools" / "repo2docker"
BINDER = ROOT / "binder"       # where repo2docker reads apt.txt, environment.yml and postBuild
# Made by make (or by running the course) and left out of the image by .dockerignore.
GENERATED = [".venv", "web/node_modules", "build", "data/cache"]


def requirement_lines(text: str) -> list[str]:
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def environment_yml() -> dict:
    return yaml.safe_load((BINDER / "environment.yml").read_text())


def pip_section(env: dict) -> list[str]:
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def apt_packages() -> list[str]:
    """apt.txt read the way repo2docker reads it: `#` starts a comment, one package a line."""
    lines = (BINDER / "apt.txt").read_text().splitlines()
    return [line.partition("#")[0].strip() for line in lines if line.partition("#")[0].strip()]


def postbuild_pip_command() -> list[str]:
    """The pip command of postBuild (exactly one), as words."""
    commands = [line.split() for line in (BINDER / "postBuild").read_text().splitlines()
                if re.match(r"\s*python -m pip install\b", line)]
    assert len(commands) == 1, commands
    return commands[0]


def repository_files() -> list[str]:
    """The files a fresh clone has once the working tree is committed: tracked and not-ignored new ones."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("clone") / "cnn-course"
    for name in repository_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)       # copy2 keeps the executable bit of postBuild
    return copy


# ---------------------------------------------------------------------------- the files, without repo2docker

def test_environment_yml_installs_requirements_txt_and_no_local_path():
    env = environment_yml()
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]
    pip = pip_section(env)
    assert sorted(pip) == sorted(requirement_lines((ROOT / "requirements.txt").read_text()))
    # A local reference (-e ., ./x, -r file) makes repo2docker install the environment after copying the
    # repository (no cached layer); the helpers package comes from postBuild and the README's conda line.
    local = [line for line in pip if line.startswith(("-", ".", "/", "file:"))]
    assert not local, f"environment.yml's pip list has local references {local}: install them in postBuild"


def test_readme_conda_route_installs_the_helpers_package():
    readme = (ROOT / "README.md").read_text()
    conda = readme[readme.index("### conda instead of make"):]
    conda = conda[:conda.index("\n### ", 1)]
    assert "conda env create -f binder/environment.yml" in conda and "pip install --no-deps -e ." in conda
    assert "pip install --no-deps -e ." in (BINDER / "environment.yml").read_text().splitlines()[0]


def test_postbuild_is_an_executable_script_that_installs_the_package_without_dependencies():
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable (chmod +x postBuild)"
    tracked = subprocess.run(["git", "ls-files", "-s", "binder/postBuild"], cwd=ROOT, capture_output=True, text=True).stdout
    assert not tracked or tracked.startswith("100755"), f"git records postBuild as not executable: {tracked}"
    text = post.read_text()
    assert text.startswith("#!/bin/bash\n") and "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(post)], check=True)
    words = postbuild_pip_command()
    assert "--no-deps" in words and words[-2:] == ["-e", "."], words   # environment.yml installed the rest


@pytest.mark.server
def test_postbuild_pip_command_installs_the_course_package(clean_copy):
    """postBuild's own pip command, with --dry-run, in a clean copy: pip finds and builds the package."""
    words = postbuild_pip_command()
    command = [sys.executable, *words[1:], "--dry-run", "--no-index", "--quiet", "--report", "-"]
    run = subprocess.run(command, cwd=clean_copy, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert '"name": "cnn-course-helpers"' in run.stdout, run.stdout[-2000:]


def test_apt_txt_installs_the_offline_fashion_mnist_where_helpers_reads_it():
    packages = apt_packages()
    assert packages == ["dataset-fashion-mnist"]
    assert all(re.fullmatch(r"[a-z0-9.+-]+", p) for p in packages)      # what repo2docker accepts
    assert DEBIAN_FASHION_DIR == Path("/usr/share/datasets/fashion-mnist")
    listed = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True) \
        if shutil.which("dpkg") else None
    if listed is None or listed.returncode != 0:
        pytest.skip("dataset-fashion-mnist is not installed here: its file list cannot be compared")
    files = set(listed.stdout.split())
    for key in FASHION_KEYS:
        assert str(DEBIAN_FASHION_DIR / Path(remote_for(key).relpath).name) in files, key


def test_dockerignore_leaves_out_what_make_creates():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for path in GENERATED:
        assert path in patterns, f".dockerignore must leave out {path}"
    assert not [p for p in patterns if p.startswith("!")]


# ---------------------------------------------------------------------------- repo2docker itself

@pytest.fixture(scope="module")
def repo2docker() -> Path:
    wanted = os.environ.get("CNN_COURSE_REPO2DOCKER")
    if wanted:
        assert Path(wanted).is_file(), f"$CNN_COURSE_REPO2DOCKER names {wanted}, which does not exist"
        return Path(wanted)
    found = shutil.which("repo2docker") or (R2D_HOME / "bin" / "repo2docker")
    if not Path(found).is_file():
        pytest.skip("repo2docker is not installed (python3 -m venv build/tools/repo2docker && "
                    "build/tools/repo2docker/bin/pip install jupyter-repo2docker)")
    return Path(found)


@pytest.fixture(scope="module")
def rendered(repo2docker, clean_copy) -> tuple[str, str]:
    """(log, Dockerfile) of `repo2docker --no-build --debug` on the clean copy, with Binder's user."""
    run = subprocess.run([str(repo2docker), "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan",
                          str(clean_copy)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.match(r"\s*FROM ", run.stdout), run.stdout + run.stderr      # the Dockerfile, on stdout
    return run.stderr, run.stdout


@pytest.mark.server
def test_repo2docker_installs_the_environment_before_the_copy_and_the_package_after(rendered):
    log, dockerfile = rendered
    assert "Building conda environment for python=3.11" in log
    # repo2docker's base environment for Python 3.11, under a build-context name escaped as repo2docker does
    lock = "environment.py-3.11-linux-64.lock"
    assert lock in dockerfile or re.sub(r"[.-]", lambda m: f"-{ord(m[0]):x}", lock) in dockerfile
    apt = dockerfile.index("apt-get install --yes --no-install-recommends dataset-fashion-mnist")
    env = dockerfile.index('env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"')
    copy = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    post = dockerfile.index("RUN ./binder/postBuild")
    assert apt < env < copy < post, "apt.txt, then environment.yml (cached), then the repository, then postBuild"
    assert dockerfile.count("env update") == 1 and "requirements.txt" not in dockerfile   # installed once
    assert re.search(r'^CMD \["jupyter"', dockerfile, re.M)


@pytest.mark.server
def test_repo2docker_base_environment_keeps_jupyterlab_and_builds_the_package(repo2docker):
    """The server comes from repo2docker's base environment: requirements.txt's JupyterLab range must accept
    its version (or pip would swap the running server's JupyterLab), and postBuild builds the package with
    its setuptools (--no-build-isolation)."""
    from packaging.specifiers import SpecifierSet
    python = repo2docker.read_text().splitlines()[0].removeprefix("#!").strip()   # its interpreter
    where = subprocess.run([str(python), "-c", "import repo2docker, os; print(os.path.dirname(repo2docker.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    lock = (Path(where) / "buildpacks" / "conda" / "environment.py-3.11-linux-64.lock").read_text()
    versions = dict(re.findall(r"/(jupyterlab|setuptools|python)-(\d[^-]*)-", lock))
    assert versions["python"].startswith("3.11."), versions
    assert "setuptools" in versions, "postBuild's --no-build-isolation needs setuptools in the environment"
    spec = next(line for line in requirement_lines((ROOT / "requirements.txt").read_text())
                if re.match(r"jupyterlab\s*~=", line))
    assert versions["jupyterlab"] in SpecifierSet(spec.split("jupyterlab", 1)[1]), (spec, versions)
