"""Fetch the front-end assets (htmx, Bootstrap) from the npm registry at set-up time.

Nothing third-party is committed: ``make`` runs ``python -m app.assets`` which downloads the
pinned package tarballs, checks their published sha512 integrity and unpacks the few files the
app serves into ``app/static/vendor/``. Only the Python standard library is used, so a fresh
machine without Node.js can run it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

from app.config import NPM_REGISTRY

REGISTRY = NPM_REGISTRY
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
# Assets only the browser tests use (never served by the app): ``python -m app.assets --test``.
TEST_VENDOR = Path(__file__).resolve().parent.parent / "tests" / "e2e" / "vendor"

# package, version, sha512 integrity, {path in tarball: file name served}
PACKAGES = [
    ("htmx.org", "2.0.9",
     "Vd8ZlGSshz2W2ej+gNpMqxX2PM0dfOn4lRgkTXgCT+cqZE/GwBQoYm3zGvlqf+hHXYCMYmmgae33m4/RPdTS0Q==",
     {"package/dist/htmx.min.js": "htmx.min.js"}),
    ("bootstrap", "5.3.8",
     "HP1SZDqaLDPwsNiqRqi5NcP0SSXciX2s9E+RyqJIIqGo+vJeN5AJVM98CXmW/Wux0nQ5L7jeWUdplCEf0Ee+tg==",
     {"package/dist/css/bootstrap.min.css": "bootstrap.min.css",
      "package/dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js"}),
]
TEST_PACKAGES = [
    ("axe-core", "4.14.1",
     "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
     {"package/axe.min.js": "axe.min.js"}),
]


def _download(name: str, version: str) -> bytes:
    short = name.rsplit("/", 1)[-1]
    url = f"{REGISTRY}/{name}/-/{short}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https URL
        return response.read()


def install(force: bool = False, test: bool = False) -> None:
    """Download, verify and unpack every pinned asset (or test asset) that is missing."""
    vendor, packages = (TEST_VENDOR, TEST_PACKAGES) if test else (VENDOR, PACKAGES)
    vendor.mkdir(parents=True, exist_ok=True)
    for name, version, integrity, files in packages:
        stamp = vendor / f".{name}-{version}"
        if stamp.exists() and not force and all((vendor / f).exists() for f in files.values()):
            continue
        data = _download(name, version)
        digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != integrity:
            raise SystemExit(f"integrity check failed for {name}@{version}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member, target in files.items():
                extracted = tar.extractfile(member)
                if extracted is None:
                    raise SystemExit(f"{member} missing from {name}@{version}")
                (vendor / target).write_bytes(extracted.read())
        stamp.write_text(version)
        print(f"assets: {name}@{version} installed")


if __name__ == "__main__":
    install(force="--force" in sys.argv, test="--test" in sys.argv)
