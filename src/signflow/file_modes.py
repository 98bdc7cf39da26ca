"""Private files: what Signflow writes (the SQLite database, blobs, the secret key, mail and
SMS written to disk) is readable by its own user only.

Two layers, so neither alone has to be right: the commands set the process umask to 077
at start, and the code creates its directories 0700 and its files 0600 explicitly (for an
embedding that never runs the commands). At start the commands also tighten what an
earlier version left open (`tighten_tree`).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger("signflow.file_modes")

PRIVATE_UMASK = 0o077
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
_GROUP_AND_OTHER = 0o077


def set_private_umask() -> int:
    """Files and directories this process (and its children) create get no group or other
    permissions. Returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_directory(path: Path) -> Path:
    """Create `path` and its missing parents as 0700 directories (`Path.mkdir(parents=True)`
    gives the parents the umask's default mode instead). Existing directories are left
    as they are; `tighten_tree` is for those."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:
            continue  # created meanwhile by another thread or process
        # mkdir's mode passes through the umask; a stricter umask must not leave it unusable.
        directory.chmod(DIRECTORY_MODE)
    return path


def create_private_file(path: Path) -> bool:
    """Create an empty 0600 file at `path` unless one exists; True if it was created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def tighten_tree(root: Path) -> int:
    """Remove group and other permissions from `root` and everything under it (symbolic
    links are not followed). Returns how many entries were changed. An entry that cannot
    be changed (owned by another user) is logged and left."""
    if not root.exists():
        return 0
    changed = _tighten(root)
    for directory, subdirectories, files in os.walk(root):
        base = Path(directory)
        for name in (*subdirectories, *files):
            changed += _tighten(base / name)
    return changed


def tighten_file(path: Path) -> int:
    """`tighten_tree` for one file (a database outside the data directory)."""
    return _tighten(path) if path.exists() else 0


def _tighten(path: Path) -> int:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return 0  # removed while walking (a temporary file)
    if stat.S_ISLNK(mode) or not mode & _GROUP_AND_OTHER:
        return 0
    try:
        path.chmod(stat.S_IMODE(mode) & ~_GROUP_AND_OTHER)
    except PermissionError as exc:
        logger.warning("cannot make %s private: %s", path, exc)
        return 0
    return 1
