"""Signing benchmark: the physical floor, stock pyHanko, Signflow's FastSigner, validation.

Run alone as `python -m bench.sign [--quick]`; `bench.__main__` calls `run(quick)`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signflow.signing.ca import KeyType, PkiUrls, create_ca, issue_signer_certificate
from signflow.signing.keys import PrivateKey
from signflow.signing.signer import FastSigner, SignRequest
from tests.signing.pdfs import sized_pdf

SIZES = {"50k": 50_000, "1m": 1_000_000, "10m": 10_000_000}
# What the workflow signs: a visible field with a text appearance (stock pyHanko's default
# text stamp for b, Signflow's name/date/reason appearance for c), on page 1.
BOX = (300, 80, 500, 140)
REASON = "I agree"
TARGETS = {"1m": {"rsa2048": 6.0, "ec-p256": 4.0}, "10m": {"rsa2048": 2.0, "ec-p256": 2.0}}


def _median_ms(fn: Callable[[], object], runs: int, warmup: int = 3) -> float:
    return _medians_ms({"fn": fn}, runs, warmup)["fn"]


def _medians_ms(
    fns: dict[str, Callable[[], object]], runs: int, warmup: int = 3
) -> dict[str, float]:
    """Round-robin: each run times every function once, so a busy machine slows all alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def _raw_sign(key: PrivateKey) -> Callable[[bytes], bytes]:
    if isinstance(key, rsa.RSAPrivateKey):
        return lambda digest: key.sign(digest, padding.PKCS1v15(), hashes.SHA256())
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return lambda digest: key.sign(digest, ec.ECDSA(hashes.SHA256()))


def _stock_signer(key: PrivateKey, cert_der: bytes, ca_der: bytes) -> signers.SimpleSigner:
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(ca_der)]),
    )


def _stock_sign(signer: signers.SimpleSigner, pdf: bytes) -> bytes:
    out = BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)),
        signers.PdfSignatureMetadata(
            field_name="Sig1",
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=REASON,
        ),
        signer=signer,
        new_field_spec=SigFieldSpec("Sig1", box=BOX),
        output=out,
    )
    return out.getvalue()


def _validate(pdf: bytes, root: asn1_x509.Certificate) -> str:
    sig = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[root], allow_fetching=False)
    )
    return str(status.summary())


def _case(key_type: KeyType, size: str, pdf: bytes, runs: int) -> dict[str, Any]:
    ca = create_ca(
        "Bench CA", "Bench", PkiUrls.for_enterprise("https://bench.test", "bench"), key_type
    )
    cred = issue_signer_certificate(ca, "Bench Signer", "bench@example.com", key_type)
    der = serialization.Encoding.DER
    root = asn1_x509.Certificate.load(ca.cert.public_bytes(der))
    raw = _raw_sign(cred.key)
    fast = FastSigner(cred.key, cred.cert, [ca.cert])
    stock = _stock_signer(cred.key, cred.cert.public_bytes(der), ca.cert.public_bytes(der))
    x1, y1, x2, y2 = BOX
    request = SignRequest(field_name="Sig1", rect=(x1, y1, x2 - x1, y2 - y1), reason=REASON)

    medians = _medians_ms(
        {
            "floor": lambda: raw(hashlib.sha256(pdf).digest()),
            "stock": lambda: _stock_sign(stock, pdf),
            "fast": lambda: fast.sign(pdf, request),
        },
        runs,
    )
    floor, stock_ms, fast_ms = medians["floor"], medians["stock"], medians["fast"]
    fast_pdf, stock_pdf = fast.sign(pdf, request), _stock_sign(stock, pdf)
    validate_ms = _median_ms(lambda: _validate(fast_pdf, root), runs)
    verdict_fast, verdict_stock = _validate(fast_pdf, root), _validate(stock_pdf, root)
    target = TARGETS.get(size, {}).get(key_type.value)
    return {
        "key": key_type.value,
        "size": size,
        "bytes": len(pdf),
        "floor_ms": round(floor, 3),
        "stock_ms": round(stock_ms, 3),
        "fast_ms": round(fast_ms, 3),
        "validate_ms": round(validate_ms, 3),
        "fast_over_floor": round(fast_ms / floor, 2),
        "stock_over_fast": round(stock_ms / fast_ms, 2),
        "target_fast_over_floor": target,
        "meets_target": None if target is None else fast_ms / floor <= target,
        "bytes_reserved": fast.bytes_reserved,
        "validation": verdict_fast,
        "validation_matches_stock": verdict_fast == verdict_stock,
    }


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'key':8} {'size':4} {'floor a':>9} {'stock b':>9} {'fast c':>9} {'validate':>9}"
        f" {'c/a':>6} {'b/c':>6} {'target':>6}  validation"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        target = f"{r['target_fast_over_floor']:.0f}x" if r["target_fast_over_floor"] else "-"
        print(
            f"{r['key']:8} {r['size']:4} {r['floor_ms']:9.3f} {r['stock_ms']:9.2f}"
            f" {r['fast_ms']:9.2f} {r['validate_ms']:9.2f} {r['fast_over_floor']:6.1f}"
            f" {r['stock_over_fast']:6.1f} {target:>6}  {r['validation']}"
            f"{'' if r['validation_matches_stock'] else ' (differs from stock!)'}"
        )


def run(quick: bool = False) -> dict[str, Any]:
    runs = 7 if quick else 21
    sizes = ["50k", "1m"] if quick else list(SIZES)
    rows = []
    for size in sizes:
        pdf = sized_pdf(SIZES[size])
        for key_type in (KeyType.RSA2048, KeyType.EC_P256):
            rows.append(_case(key_type, size, pdf, runs))
    _print_table(rows)
    return {"benchmark": "sign", "runs_per_median": runs, "results": rows}


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
