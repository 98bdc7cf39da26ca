"""How a sandbox worker is started: a fresh interpreter and nothing beside it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from signflow.pdf.sandbox import Sandbox, SandboxLimits
from tests.pdf import sandbox_jobs

# Run in a fresh interpreter: whether this test process already has other children
# (a resource tracker some other test started) must not matter.
_PROBE = textwrap.dedent(
    """
    import json, os
    from pathlib import Path
    from signflow.pdf.sandbox import Sandbox, SandboxLimits
    from tests.pdf import sandbox_jobs

    box = Sandbox(SandboxLimits(workers=1))
    worker = box.run(sandbox_jobs.pid)
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\\0", b" ").decode()
            except OSError:
                continue
            if ppid == os.getpid():
                children.append([int(entry.name), cmdline])
    print(json.dumps({"worker": worker, "children": children}))
    box.close()
    """
)


def test_a_worker_is_the_only_process_the_sandbox_starts() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout)
    assert [pid for pid, _ in seen["children"]] == [seen["worker"]]
    assert not any("resource_tracker" in cmdline for _, cmdline in seen["children"])


def test_a_worker_gives_a_jobs_freed_memory_back() -> None:
    box = Sandbox(SandboxLimits(workers=1))
    try:
        before = box.run(sandbox_jobs.resident_bytes)
        box.run(sandbox_jobs.fragment_heap)
        grown = box.run(sandbox_jobs.resident_bytes) - before
        assert grown < 10 * 1024 * 1024  # the job touched about 40 MB
    finally:
        box.close()
