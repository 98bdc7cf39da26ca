"""A real PKCS#11 token for the tests: SoftHSM2, its tokens in a temporary directory.

SoftHSM2 reads SOFTHSM2_CONF when the module is first loaded, so one token directory
serves the whole test process; each test makes key pairs with labels of its own.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from signflow.signing.token import TokenConfig
from tests.prerequisites import missing, require_command

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "signflow-test"
PIN = "4321"
_labels = itertools.count(1)


@dataclass(frozen=True)
class SoftHsm:
    config: TokenConfig

    @staticmethod
    def new_label(prefix: str) -> str:
        return f"{prefix}-{os.getpid()}-{next(_labels)}"


def make_token(directory: Path) -> SoftHsm:
    tool = require_command("softhsm2-util", "softhsm2")
    if not Path(MODULE).exists():
        missing(MODULE, "apt-get install softhsm2")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [tool, "--init-token", "--free", "--label", TOKEN_LABEL, "--so-pin", "8765", "--pin", PIN],
        check=True,
        capture_output=True,
    )
    return SoftHsm(TokenConfig(MODULE, TOKEN_LABEL, PIN))


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    yield make_token(tmp_path_factory.mktemp("softhsm"))
