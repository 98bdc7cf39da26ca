from __future__ import annotations

import pytest

from signflow.signing.ca import KeyType
from tests.signing.pki import Pki, make_pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki(KeyType.RSA2048)
