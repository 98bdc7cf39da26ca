"""An RFC 3161 timestamp authority on loopback, answering with pyHanko's test TSA.

It has a PKI of its own, as a real one does: a root, a TSA certificate naming a CRL
distribution point, and that CRL served over HTTP by the same server. A B-LT signature
must fetch the CRL and embed it; verification must trust the root only when told to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper


@dataclass
class LoopbackTsa:
    url: str
    root: x509.Certificate
    cert: x509.Certificate
    requests: list[str]
    """The paths asked for, in order ("/tsa" for a timestamp, "/root.crl" for the CRL)."""
    crl_at: Callable[[datetime], bytes]
    """The CRL the root would publish at a given moment (for validation in the future:
    what a relying party would fetch from the TSA's PKI then)."""

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _root(key: rsa.RSAPrivateKey, now: datetime) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("Loopback TSA Root"))
        .issuer_name(_name("Loopback TSA Root"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=40 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )


def _tsa_cert(
    root_key: rsa.RSAPrivateKey,
    root: x509.Certificate,
    key: rsa.RSAPrivateKey,
    crl_url: str,
    now: datetime,
    lifetime: timedelta,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("Loopback TSA"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + lifetime)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )


def _crl(root_key: rsa.RSAPrivateKey, root: x509.Certificate, now: datetime) -> bytes:
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now - timedelta(minutes=1))
        .next_update(now + timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _pkcs8(key: rsa.RSAPrivateKey) -> keys.PrivateKeyInfo:
    return keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@contextmanager
def running_tsa(lifetime: timedelta = timedelta(days=3650)) -> Iterator[LoopbackTsa]:
    """A TSA whose certificate lasts `lifetime`; its CRL is published at /root.crl."""
    state: dict[str, object] = {}
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            requests.append(self.path)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamper = state["stamper"]
            assert isinstance(stamper, DummyTimeStamper)
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self._answer(answer, "application/timestamp-reply")

        def do_GET(self) -> None:
            requests.append(self.path)
            crl = state["crl"]
            assert isinstance(crl, bytes)
            self._answer(crl, "application/pkix-crl")

        def _answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    now = datetime.now(UTC)
    # pyHanko's test TSA signs with RSA only.
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _root(root_key, now)
    cert = _tsa_cert(root_key, root, key, f"{base}/root.crl", now, lifetime)
    state["crl"] = _crl(root_key, root, now)
    state["stamper"] = DummyTimeStamper(
        tsa_cert=_asn1(cert), tsa_key=_pkcs8(key), certs_to_embed=[_asn1(root)]
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackTsa(
            f"{base}/tsa", root, cert, requests, lambda moment: _crl(root_key, root, moment)
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
