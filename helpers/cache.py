"""The download cache: which files can be downloaded, where they are kept, and how they are verified.

`locate(key)` returns a verified copy from, in order, the project's cache (`data/cache/` or `$CNN_COURSE_DATA`),
Keras' cache, Debian's Fashion-MNIST package, or else a pooch download (unless `CNN_COURSE_OFFLINE=1`) that is kept
only once its size and checksum match. The cats vs dogs zip has no published checksum: its SHA-256 is recorded at
first use (`<file>.sha256`). A corrupt copy in the project's cache is set aside (`*.corrupt`), one elsewhere skipped;
what cannot be had raises `DataUnavailable`, with the fix. `$CNN_COURSE_REGISTRY` overrides checksums
(`load_registry`). data/README.md tells it all for users.

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
import warnings
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from .paths import cache_dir, keras_cache_dir
from .repro import show_progress

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
RETRIES = 2      # a failed download (network, size, checksum) is tried again 1 s, then 2 s later ($CNN_COURSE_RETRIES)
TIMEOUT = 20.0   # seconds a download waits for the server


class DataUnavailable(RuntimeError):
    """A file the notebook needs is neither cached nor downloadable right now."""


class RegistryError(ValueError):
    """The registry file named in `$CNN_COURSE_REGISTRY` is missing or malformed (nothing is used then)."""


@dataclasses.dataclass(frozen=True)
class Remote:
    """A downloadable file: where it lives in the cache, where it comes from, its checksum."""
    relpath: str          # inside the cache folder, same layout as Keras' cache
    url: str
    digest: str           # hex digest published by the file's source ("" = none: trust on first use)
    algo: str = "sha256"  # the VGG16 weights are published with an MD5 only
    size_mb: float = 0.0
    title: str = ""
    size: int | None = None  # exact size in bytes, when known (checked before the digest)


_KERAS = "https://storage.googleapis.com/tensorflow/"
_VGG16 = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_FASHION = {  # key: (file, sha256, MB)
    "fashion-train-images": ("train-images-idx3-ubyte.gz",
                             "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", 26.4),
    "fashion-train-labels": ("train-labels-idx1-ubyte.gz",
                             "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", 0.03),
    "fashion-test-images": ("t10k-images-idx3-ubyte.gz",
                            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", 4.4),
    "fashion-test-labels": ("t10k-labels-idx1-ubyte.gz",
                            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", 0.005),
}
REMOTES: dict[str, Remote] = {
    "mnist": Remote("datasets/mnist.npz", _KERAS + "tf-keras-datasets/mnist.npz",
                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", size_mb=11.5, title="MNIST"),
    **{key: Remote(f"datasets/fashion-mnist/{name}", _KERAS + "tf-keras-datasets/" + name, digest, size_mb=mb,
                   title="Fashion-MNIST " + key[8:].replace("-", " ")) for key, (name, digest, mb) in _FASHION.items()},
    "vgg16-notop": Remote(f"models/{_VGG16}", f"{_KERAS}keras-applications/vgg16/{_VGG16}",
                          "6d6bbae143d832006294945121d1f1fc", algo="md5", size_mb=58.9,
                          title="VGG16 ImageNet weights (no top)"),
    # no published checksum: exact size, contents checked and SHA-256 recorded at first use (helpers.data)
    "cats_and_dogs_filtered": Remote("datasets/cats_and_dogs_filtered.zip",
                                     "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
                                     "", size=68_606_236, size_mb=68.6,
                                     title="Cats vs dogs photos (TensorFlow tutorial subset)"),
}
FASHION_KEYS = list(_FASHION)


# ---------------------------------------------------------------- the registry override
REGISTRY_ENV = "CNN_COURSE_REGISTRY"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_ENTRY_FIELDS = {"sha256", "size", "url"}


def registry_path() -> Path | None:
    """The registry override file named in `$CNN_COURSE_REGISTRY`, or None when it is not set."""
    value = os.environ.get(REGISTRY_ENV, "").strip()
    return Path(value).expanduser() if value else None


def load_registry(path: Path | None = None) -> dict[str, dict]:
    """The entries of a registry override file, a JSON object {key of `REMOTES`: {"sha256": 64 hex digits,
    optional "size": bytes, "url": http, https or file}}; else `RegistryError`, naming every problem."""
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
        digest, size, url = entry.get("sha256"), entry.get("size"), entry.get("url")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            problems.append(f"{key}: sha256 must be 64 hexadecimal digits, got {digest!r}")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            problems.append(f"{key}: size must be a whole number of bytes, got {size!r}")
        if url is not None and (not isinstance(url, str) or url.split(":", 1)[0] not in {"http", "https", "file"}):
            problems.append(f"{key}: url must be an http, https or file URL, got {url!r}")
    if problems:
        raise RegistryError(f"the checksum registry {where} is refused:\n  " + "\n  ".join(problems))
    return entries


def remote_for(key: str) -> Remote:
    """REMOTES[key], with its checksum (and size, url) replaced by the registry override if it lists `key`."""
    published, entry = REMOTES[key], load_registry().get(key)
    if entry is None:
        return published
    size = entry.get("size")
    return dataclasses.replace(published, digest=entry["sha256"].lower(), algo="sha256",
                               url=entry.get("url", published.url), size=size,
                               size_mb=round(size / 1e6, 3) if size is not None else published.size_mb)


def describe_registry() -> str:
    """One line naming the registry override and the files it covers ('' when none is set)."""
    entries = load_registry()
    return (f"checksum registry override {registry_path()} (${REGISTRY_ENV}) for: {', '.join(entries)}"
            if entries else "")


# ---------------------------------------------------------------- checking a copy
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
    record = trust_record(remote)
    if remote.digest or not record.is_file():
        return remote.digest or None
    return (record.read_text().split() or ["(an empty record)"])[0].lower()


def _refusal(path: Path, remote: Remote) -> str:
    """'' when `path` has the remote's size (if known) and digest (if known yet); else why not, with the fix."""
    size, expected = path.stat().st_size, expected_digest(remote)
    if remote.size is not None and size != remote.size:
        return f"{path} is corrupt ({size:,} bytes, expected {remote.size:,}: truncated?)"
    if expected is None or file_digest(path, remote.algo) == expected:
        return ""
    record = trust_record(remote)
    return f"{path} is corrupt" if remote.digest else (
        f"{path} is not the file first used here (its SHA-256 was recorded in {record}); if the file "
        f"really changed at its source, check it, then delete {record} to trust the new copy")


# ---------------------------------------------------------------- downloading (pooch) and finding
def _download(remote: Remote) -> Path:
    """Fetch `remote` into the project cache with pooch: a temporary file, checked (size: ours, checksum: pooch's),
    renamed into place only then, else deleted; tried again on failure."""
    import pooch
    import requests

    pooch.get_logger().setLevel("INFO" if show_progress() else "WARNING")   # its "Downloading ..." line
    http = pooch.HTTPDownloader(progressbar=show_progress(), timeout=TIMEOUT)

    def download(url: str, output_file: str, pup) -> None:   # pooch's downloader protocol, and file:// URLs
        try:
            if urlparse(url).scheme == "file":
                shutil.copyfile(url2pathname(urlparse(url).path), output_file)
            else:
                http(url, output_file, pup)
        except requests.exceptions.ChunkedEncodingError:   # the server sent less than its Content-Length
            raise ValueError(f"the transfer of {url} broke off after {os.path.getsize(output_file):,} bytes") from None
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(output_file, 0o666 & ~umask)   # as any new file: pooch's temporary file is private (0600)
        received = os.path.getsize(output_file)
        if remote.size is not None and received != remote.size:   # ValueError: pooch tries again, then raises it
            raise ValueError(f"downloaded {url} but it has {received:,} bytes, expected {remote.size:,} "
                             "(truncated or changed upstream)")

    expected, retries = expected_digest(remote), int(os.environ.get("CNN_COURSE_RETRIES", RETRIES))
    pup = pooch.create(path=cache_dir(), base_url="", retry_if_failed=retries, urls={remote.relpath: remote.url},
                       registry={remote.relpath: f"{remote.algo}:{expected}" if expected else None})
    try:
        return Path(pup.fetch(remote.relpath, downloader=download))
    except ValueError as exc:   # at every try: pooch's checksum check failed (or the size, or the transfer)
        got = re.search(r"but got (\w+)", str(exc))
        if got is None:
            raise
        first_use = "" if remote.digest else (f"; recorded at first use in {trust_record(remote)}: "
                                              "delete it to trust the new file")
        raise ValueError(f"downloaded {remote.url} but its {remote.algo} is {got[1]}, expected {expected} "
                         f"(truncated or changed upstream{first_use})") from None


def _places(remote: Remote) -> list[Path]:
    """Where a copy may be, in order: the project cache, Keras' cache, Debian's Fashion-MNIST."""
    places = [cache_dir() / remote.relpath, keras_cache_dir() / remote.relpath]
    if remote.relpath.startswith("datasets/fashion-mnist/"):
        places.append(DEBIAN_FASHION_DIR / Path(remote.relpath).name)
    return places


def locate(key: str, download: bool = True) -> Path:
    """Path of a verified copy of `remote_for(key)`, downloaded into the cache if needed and allowed."""
    remote = remote_for(key)
    offline = os.environ.get("CNN_COURSE_OFFLINE", "").lower() in {"1", "true", "yes"}
    places, problems = _places(remote), []
    for path in filter(Path.is_file, places):
        problem = _refusal(path, remote)
        if not problem:
            return path
        if path == places[0]:
            aside = path.with_name(path.name + ".corrupt")
            path.replace(aside)
            problem += f" (set aside as {aside.name})"
            warnings.warn(f"{path} failed its {remote.algo} check (truncated or corrupt); "
                          f"moved it to {aside.name} and will fetch a fresh copy.", stacklevel=2)
        else:
            warnings.warn(f"{path} failed its {remote.algo} check; not using it.", stacklevel=2)
        problems.append(problem)
    reason = "downloads are switched off (CNN_COURSE_OFFLINE=1)" if offline else "download not requested"
    if download and not offline:
        try:
            return _download(remote)
        except Exception as exc:  # no network, DNS failure, HTTP error, wrong size or checksum, pooch missing
            reason = f"download failed: {exc}"
    raise DataUnavailable(
        f"{remote.title} ({Path(remote.relpath).name}, {remote.size_mb:g} MB) is not available: "
        f"{'; '.join(problems + [reason])}.\n  Looked in: {', '.join(map(str, places))}\n"
        f"  Fix: on a machine with internet run `make data` (fills {cache_dir()}), then copy that "
        f"folder to this machine's data/cache/ (or set CNN_COURSE_DATA to it), or download\n"
        f"  {remote.url}\n  to {places[0]}\n  (from a local mirror: name its url and sha256 in a registry "
        f"override, ${REGISTRY_ENV}; see data/README.md)")


# ---------------------------------------------------------------- make data
def status() -> list[tuple[str, str, str]]:
    """(key, state, path) for every downloadable file, without downloading or moving anything. state: "ok" (verified),
    "unchecked" (the right size, no digest known yet: first use checks and records it), "corrupt" (the cache's copy
    fails its check: the next loader or `make data` sets it aside) or "missing"."""
    rows = []
    for key in REMOTES:
        remote = remote_for(key)
        ours = cache_dir() / remote.relpath
        if good := next((p for p in _places(remote) if p.is_file() and not _refusal(p, remote)), None):
            rows.append((key, "ok" if expected_digest(remote) else "unchecked", str(good)))
        else:   # every copy failed its check, so "corrupt" is about ours (the only one locate sets aside)
            rows.append((key, "corrupt" if ours.is_file() else "missing", str(ours)))
    return rows


def fetch_all() -> int:
    """Download and verify every file into the cache; returns the number that are still missing."""
    missing = 0
    for key in REMOTES:
        try:
            path, dest = locate(key, download=True), cache_dir() / remote_for(key).relpath
            if path != dest:   # found elsewhere (Keras' cache, Debian): copy so the cache is complete
                dest.parent.mkdir(parents=True, exist_ok=True)
                path = Path(shutil.copyfile(path, dest))
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
        if override := describe_registry():
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
