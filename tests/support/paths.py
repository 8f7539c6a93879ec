"""Where the repository is, wherever a test file sits below tests/."""

from __future__ import annotations

from pathlib import Path


def _repo_root() -> Path:
    here = Path(__file__).resolve().parent
    for p in (here, *here.parents):
        if (p / "pyproject.toml").is_file():
            return p
    raise RuntimeError(f"no pyproject.toml above {here}")


REPO_ROOT = _repo_root()
