"""The download cache: which files can be downloaded, where they are kept, and how they are verified.

`locate(key)` returns the path of a verified copy of a registered file. It looks, in order, in
1. the project's cache folder (`data/cache/`, or `$CNN_COURSE_DATA`), filled by `make data`;
2. Keras' own cache (`$KERAS_HOME`, default `~/.keras`);
3. for Fashion-MNIST: Debian's `dataset-fashion-mnist` package;
and then downloads into the project's cache (skipped when `CNN_COURSE_OFFLINE=1`).
Every file is checked against its published checksum before use. A file whose source publishes none
(the cats vs dogs photos) is checked by its exact size, and by its contents at first use
(`helpers.data.cats_and_dogs_dir`), which then records its SHA-256 beside it (`<file>.sha256`, trust on
first use); every later use must match that record. A corrupt or truncated file in the project's cache
is moved aside (`*.corrupt`) and fetched again; one elsewhere is reported and skipped.
What cannot be had raises `DataUnavailable`, with the fix.

The checksums (and download addresses) can be replaced for chosen files by a registry file named in
`$CNN_COURSE_REGISTRY` (a local mirror, or the tests' fabricated files; see `load_registry`). It can
only swap one well-formed SHA-256 for another: nothing is ever used unverified.

    python -m helpers.cache fetch    # = make data: download and verify everything (needs internet)
    python -m helpers.cache status   # what this machine has
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import sys
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from .paths import cache_dir, keras_cache_dir

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


class DataUnavailable(RuntimeError):
    """A file the notebook needs is neither cached nor downloadable right now."""


class RegistryError(ValueError):
    """The registry file named in `$CNN_COURSE_REGISTRY` is missing or malformed (nothing is used then)."""


@dataclass(frozen=True)
class Remote:
    """A downloadable file: where it lives in the cache, where it comes from, its checksum."""
    relpath: str          # inside the cache folder, same layout as Keras' cache
    url: str
    digest: str           # hex digest published by the file's source ("" = none: trust on first use)
    algo: str = "sha256"  # the VGG16 weights are published with an MD5 only
    size_mb: float = 0.0
    title: str = ""
    size: int | None = None  # exact size in bytes, when known (checked before the digest)


_KERAS_DATA = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
REMOTES: dict[str, Remote] = {
    "mnist": Remote("datasets/mnist.npz", _KERAS_DATA + "mnist.npz",
                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                    size_mb=11.5, title="MNIST"),
    "fashion-train-images": Remote(
        "datasets/fashion-mnist/train-images-idx3-ubyte.gz", _KERAS_DATA + "train-images-idx3-ubyte.gz",
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", size_mb=26.4,
        title="Fashion-MNIST train images"),
    "fashion-train-labels": Remote(
        "datasets/fashion-mnist/train-labels-idx1-ubyte.gz", _KERAS_DATA + "train-labels-idx1-ubyte.gz",
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", size_mb=0.03,
        title="Fashion-MNIST train labels"),
    "fashion-test-images": Remote(
        "datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", _KERAS_DATA + "t10k-images-idx3-ubyte.gz",
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", size_mb=4.4,
        title="Fashion-MNIST test images"),
    "fashion-test-labels": Remote(
        "datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", _KERAS_DATA + "t10k-labels-idx1-ubyte.gz",
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", size_mb=0.005,
        title="Fashion-MNIST test labels"),
    "cifar10": Remote("datasets/cifar-10-python.tar.gz",
                      "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                      "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                      size_mb=170.5, title="CIFAR-10"),
    "vgg16-notop": Remote("models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                          _KERAS_APPS + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                          "6d6bbae143d832006294945121d1f1fc", algo="md5", size_mb=58.9,
                          title="VGG16 ImageNet weights (no top)"),
    # no published checksum: exact size, contents checked and SHA-256 recorded at first use (helpers.data)
    "cats_and_dogs_filtered": Remote("datasets/cats_and_dogs_filtered.zip",
                                     "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
                                     "", size=68_606_236, size_mb=68.6,
                                     title="Cats vs dogs photos (TensorFlow tutorial subset)"),
}
FASHION_KEYS = ["fashion-train-images", "fashion-train-labels", "fashion-test-images", "fashion-test-labels"]


# ---------------------------------------------------------------- the registry override
REGISTRY_ENV = "CNN_COURSE_REGISTRY"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_ENTRY_FIELDS = {"sha256", "size", "url"}


def registry_path() -> Path | None:
    """The registry override file named in `$CNN_COURSE_REGISTRY`, or None when it is not set."""
    value = os.environ.get(REGISTRY_ENV, "").strip()
    return Path(value).expanduser() if value else None


def load_registry(path: Path | None = None) -> dict[str, dict]:
    """The validated entries of a registry override file: {key: {"sha256", optional "size", "url"}}.

    The file is a JSON object whose keys are keys of `REMOTES`, each with a `sha256` (64 hex digits),
    optionally `size` (bytes) and `url` (http, https or file). Raises `RegistryError`, naming the
    problem, unless every key is known and every entry is well formed: the override can replace a
    checksum, never remove one.
    """
    path = registry_path() if path is None else Path(path)
    if path is None:
        return {}
    where = f"{path} (named by ${REGISTRY_ENV})"
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError:
        raise RegistryError(f"the checksum registry {where} does not exist") from None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"the checksum registry {where} is not readable JSON: {exc}") from None
    if not isinstance(entries, dict) or not entries:
        raise RegistryError(f"the checksum registry {where} must be a non-empty JSON object "
                            f'{{"<key>": {{"sha256": "<64 hex digits>", "size": <bytes>, "url": "..."}}}}')
    problems = []
    for key, entry in entries.items():
        if key not in REMOTES:
            problems.append(f"{key!r} is not a known file (known: {', '.join(REMOTES)})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{key}: expected an object with a sha256, got {entry!r}")
            continue
        if set(entry) - _ENTRY_FIELDS:
            problems.append(f"{key}: unknown field(s) {sorted(set(entry) - _ENTRY_FIELDS)} "
                            f"(allowed: {sorted(_ENTRY_FIELDS)})")
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            problems.append(f"{key}: sha256 must be 64 hexadecimal digits, got {digest!r}")
        size = entry.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            problems.append(f"{key}: size must be a whole number of bytes, got {size!r}")
        url = entry.get("url")
        if url is not None and (not isinstance(url, str) or url.split(":", 1)[0] not in {"http", "https", "file"}):
            problems.append(f"{key}: url must be an http, https or file URL, got {url!r}")
    if problems:
        raise RegistryError(f"the checksum registry {where} is refused:\n  " + "\n  ".join(problems))
    return entries


def remote_for(key: str) -> Remote:
    """REMOTES[key], with its checksum (and size, url) replaced by the registry override if it lists `key`."""
    published = REMOTES[key]
    entry = load_registry().get(key)
    if entry is None:
        return published
    size = entry.get("size")
    return dataclasses.replace(published, digest=entry["sha256"].lower(), algo="sha256",
                               url=entry.get("url", published.url), size=size,
                               size_mb=round(size / 1e6, 3) if size is not None else published.size_mb)


def describe_registry() -> str:
    """One line naming the registry override and the files it covers ('' when none is set)."""
    entries = load_registry()
    if not entries:
        return ""
    return f"checksum registry override {registry_path()} (${REGISTRY_ENV}) for: {', '.join(entries)}"



# ---------------------------------------------------------------- where files are
def offline() -> bool:
    """True when downloads are switched off (`CNN_COURSE_OFFLINE=1`)."""
    return os.environ.get("CNN_COURSE_OFFLINE", "").lower() in {"1", "true", "yes"}


def file_digest(path: Path, algo: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def trust_record(remote: Remote) -> Path:
    """Where the SHA-256 of a file with no published digest is recorded at its first use (beside it in the cache)."""
    return cache_dir() / (remote.relpath + ".sha256")


def expected_digest(remote: Remote) -> str | None:
    """The digest a copy must have: published (or overridden), else recorded at first use, else None (not yet)."""
    if remote.digest:
        return remote.digest
    record = trust_record(remote)
    if not record.is_file():
        return None
    words = record.read_text().split()
    return words[0].lower() if words else "(an empty record)"


def record_digest(remote: Remote, digest: str) -> Path:
    """Trust on first use: write `digest` (sha256sum's format) to the remote's record file; returns it."""
    record = trust_record(remote)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{digest}  {Path(remote.relpath).name}\n")
    return record


def verified(path: Path, remote: Remote) -> bool:
    """True when `path` has the remote's size (if known) and digest (a file with no digest yet: its size)."""
    if remote.size is not None and path.stat().st_size != remote.size:
        return False
    expected = expected_digest(remote)
    return expected is None or file_digest(path, remote.algo) == expected


def _refusal(path: Path, remote: Remote) -> str:
    """Why `path` failed `verified`, in words, with the fix when a first-use record refused it."""
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        return f"{path} is corrupt ({size:,} bytes, expected {remote.size:,}: truncated?)"
    if remote.digest:
        return f"{path} is corrupt"
    record = trust_record(remote)
    return (f"{path} is not the file first used here (its SHA-256 was recorded in {record}); if the file "
            f"really changed at its source, check it, then delete {record} to trust the new copy")


def _download(remote: Remote, dest: Path, timeout: float = 20.0) -> None:
    """Download to `dest.part`, verify, then move into place (never leaves a half file, even when
    the transfer breaks off)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(remote.url, timeout=timeout) as response, open(part, "wb") as out:
            promised = response.headers.get("Content-Length")
            shutil.copyfileobj(response, out, 1 << 20)
        received = part.stat().st_size
        if promised is not None and promised.isdigit() and received != int(promised):
            raise DataUnavailable(f"the transfer of {remote.url} broke off after {received:,} "
                                  f"of {int(promised):,} bytes")
        if remote.size is not None and received != remote.size:
            raise DataUnavailable(f"downloaded {remote.url} but it has {received:,} bytes, "
                                  f"expected {remote.size:,} (truncated or changed upstream)")
        got, expected = file_digest(part, remote.algo), expected_digest(remote)
        if expected is not None and got != expected:
            where = "" if remote.digest else (f"; recorded at first use in {trust_record(remote)}: "
                                              f"delete it to trust the new file")
            raise DataUnavailable(f"downloaded {remote.url} but its {remote.algo} is {got}, "
                                  f"expected {expected} (truncated or changed upstream{where})")
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)


def _places(remote: Remote) -> list[Path]:
    """Where a copy may be, in order: the project cache, Keras' cache, Debian's Fashion-MNIST."""
    places = [cache_dir() / remote.relpath, keras_cache_dir() / remote.relpath]
    if remote.relpath.startswith("datasets/fashion-mnist/"):
        places.append(DEBIAN_FASHION_DIR / Path(remote.relpath).name)
    return places


def locate(key: str, download: bool = True) -> Path:
    """Path of a verified copy of REMOTES[key] (or of the registry override's entry for it);
    downloads it into the cache if needed and allowed."""
    remote = remote_for(key)
    ours, theirs, *extra = _places(remote)
    problems = []
    for path in [ours, theirs, *extra]:
        if not path.is_file():
            continue
        if verified(path, remote):
            return path
        problems.append(_refusal(path, remote))
        if path == ours:
            aside = path.with_name(path.name + ".corrupt")
            path.replace(aside)
            problems[-1] += f" (set aside as {aside.name})"
            warnings.warn(f"{path} failed its {remote.algo} check (truncated or corrupt); "
                          f"moved it to {aside.name} and will fetch a fresh copy.", stacklevel=2)
        else:
            warnings.warn(f"{path} failed its {remote.algo} check; not using it.", stacklevel=2)
    reason = "downloads are switched off (CNN_COURSE_OFFLINE=1)" if offline() else ""
    if download and not offline():
        try:
            _download(remote, ours)
            return ours
        except Exception as exc:  # no network, DNS failure, HTTP error, bad checksum
            reason = f"download failed: {exc}"
    elif not download:
        reason = reason or "download not requested"
    looked = ", ".join(str(p) for p in [ours, theirs, *extra])
    raise DataUnavailable(
        f"{remote.title} ({Path(remote.relpath).name}, {remote.size_mb:g} MB) is not available: "
        f"{'; '.join(problems + [reason])}.\n"
        f"  Looked in: {looked}\n"
        f"  Fix: on a machine with internet run `make data` (fills {cache_dir()}), then copy that "
        f"folder to this machine's data/cache/ (or set CNN_COURSE_DATA to it), or download\n"
        f"  {remote.url}\n  to {ours}\n"
        f"  (from a local mirror: name its url and sha256 in a registry override, ${REGISTRY_ENV}; "
        f"see data/README.md)")


# ---------------------------------------------------------------- make data
def status() -> list[tuple[str, str, str]]:
    """(key, state, path) for every downloadable file, without downloading or moving anything.

    state: "ok" (a verified copy, at path), "unchecked" (the right size, no digest known yet: its first
    use checks its contents and records its SHA-256), "corrupt" (the cache's copy fails its check; the
    next loader or `make data` sets it aside and fetches it again) or "missing".
    """
    rows = []
    for key in REMOTES:
        entry = remote_for(key)
        places = [p for p in _places(entry) if p.is_file()]
        good = next((p for p in places if verified(p, entry)), None)
        ours = cache_dir() / entry.relpath
        if good is not None:
            rows.append((key, "ok" if expected_digest(entry) else "unchecked", str(good)))
        elif ours in places:
            rows.append((key, "corrupt", str(ours)))
        else:
            rows.append((key, "missing", str(ours)))
    return rows


def fetch_all() -> int:
    """Download and verify every file into the cache; returns the number that are still missing."""
    missing = 0
    for key in REMOTES:
        remote = remote_for(key)
        try:
            path = locate(key, download=True)
            if not str(path).startswith(str(cache_dir())):   # found elsewhere: copy so the cache is complete
                dest = cache_dir() / remote.relpath
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                path = dest
            if key == "cats_and_dogs_filtered":   # no published digest: check the photos (and record it) now
                from .data import cats_and_dogs_dir
                path = cats_and_dogs_dir(download=False)
            print(f"  ok       {key:22s} {path}")
        except DataUnavailable as exc:
            missing += 1
            print(f"  MISSING  {key:22s} {str(exc).splitlines()[0]}")
    print(f"Cache folder: {cache_dir()} (copy it to an offline machine's data/cache/)")
    return missing


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.cache fetch|status` (also `python -m helpers.data ...`)."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "status"
    if command not in {"fetch", "status"}:
        print("usage: python -m helpers.cache [fetch|status]", file=sys.stderr)
        return 2
    try:
        override = describe_registry()
        if override:
            print(f"Using the {override}")
        if command == "fetch":
            return 1 if fetch_all() else 0
        for key, state, path in status():
            print(f"  {state:8s} {key:22s} {path}")
        return 0
    except RegistryError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
