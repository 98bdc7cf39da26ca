"""Signing with a key in a PKCS#11 token (SoftHSM2) beside the same FastSigner with an
in-process key: one hashing pass, the CMS pre-encoded, one C_Sign per signature.

Run alone as `python -m bench.token_sign [--quick]`; `bench.__main__` calls `run(quick)`.
The token lives in a temporary directory (SOFTHSM2_CONF), made for this run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.sign import BOX, REASON, SIZES, _medians_ms
from signflow.signing.ca import (
    KeyType,
    PkiUrls,
    create_ca,
    issue_seal_certificate,
)
from signflow.signing.signer import FastSigner, SignRequest
from signflow.signing.token import TokenConfig, generate_token_key
from tests.signing.pdfs import sized_pdf

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN = "signflow-bench", "2468"


def _token(directory: Path) -> TokenConfig:
    tool = shutil.which("softhsm2-util")
    if tool is None or not Path(MODULE).exists():
        raise RuntimeError("SoftHSM2 is missing: apt-get install softhsm2")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [tool, "--init-token", "--free", "--label", TOKEN, "--so-pin", "1357", "--pin", PIN],
        check=True,
        capture_output=True,
    )
    return TokenConfig(MODULE, TOKEN, PIN)


def _case(config: TokenConfig, key_type: KeyType, size: str, runs: int) -> dict[str, Any]:
    pdf = sized_pdf(SIZES[size])
    urls = PkiUrls.for_enterprise("https://bench.test", "bench")
    ca = create_ca("Bench CA", "Bench", urls, key_type)
    memory = issue_seal_certificate(ca, "Bench", key_type)
    token_key = generate_token_key(config, f"seal-{key_type.value}-{size}", key_type.value)
    in_token = issue_seal_certificate(ca, "Bench", key=token_key)
    memory_signer = FastSigner(memory.key, memory.cert, [ca.cert])
    token_signer = FastSigner(token_key, in_token.cert, [ca.cert])
    x1, y1, x2, y2 = BOX
    request = SignRequest(field_name="Sig1", rect=(x1, y1, x2 - x1, y2 - y1), reason=REASON)
    medians = _medians_ms(
        {
            "memory": lambda: memory_signer.sign(pdf, request),
            "token": lambda: token_signer.sign(pdf, request),
            "token_raw": lambda: token_key.sign(b"x" * 100),
        },
        runs,
    )
    return {
        "key": key_type.value,
        "size": size,
        "in_process_ms": round(medians["memory"], 3),
        "pkcs11_ms": round(medians["token"], 3),
        "pkcs11_sign_call_ms": round(medians["token_raw"], 3),
        "pkcs11_over_in_process": round(medians["token"] / medians["memory"], 2),
    }


def run(quick: bool = False) -> dict[str, Any]:
    runs = 7 if quick else 21
    rows = []
    with tempfile.TemporaryDirectory(prefix="signflow-softhsm-") as tmp:
        config = _token(Path(tmp))
        for size in ("50k", "1m"):
            for key_type in (KeyType.RSA2048, KeyType.EC_P256):
                rows.append(_case(config, key_type, size, runs))
    for r in rows:
        print(
            f"{r['key']:8} {r['size']:4} in-process {r['in_process_ms']:8.2f} ms"
            f"  PKCS#11 {r['pkcs11_ms']:8.2f} ms ({r['pkcs11_over_in_process']:.2f}x;"
            f" C_Sign {r['pkcs11_sign_call_ms']:.2f} ms)"
        )
    return {"benchmark": "token_sign", "runs_per_median": runs, "results": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = parser.parse_args()
    result = run(args.quick)
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
