from __future__ import annotations

from collections.abc import Iterator

import pytest

from signflow.pdf.intake import close_intake_sandboxes


@pytest.fixture(scope="session", autouse=True)
def _stop_intake_workers() -> Iterator[None]:
    yield
    close_intake_sandboxes()
