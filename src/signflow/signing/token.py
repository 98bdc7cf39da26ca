"""Keys that never leave a PKCS#11 token (an HSM, a smart card, SoftHSM2).

Sessions are opened through pyHanko's PKCS#11 support and kept for the life of the
process, with the key handle and pyHanko's mechanism choice found once: a signature is
then one C_Sign call. A PKCS#11 session runs one operation at a time, so signing is
serialised per key.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal, cast

from asn1crypto import algos
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, PKCS11Error, Session, SignMixin
from pkcs11 import PrivateKey as Pkcs11PrivateKey
from pkcs11 import PublicKey as Pkcs11PublicKey
from pkcs11 import lib as pkcs11_library
from pkcs11.exceptions import (
    DeviceRemoved,
    ObjectHandleInvalid,
    SessionClosed,
    SessionHandleInvalid,
    TokenNotPresent,
    UserAlreadyLoggedIn,
    UserNotLoggedIn,
)
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import find_token, open_pkcs11_session, select_pkcs11_signing_params

from signflow.errors import ServiceUnavailable

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
TokenKeyType = Literal["rsa2048", "ec-p256"]


class TokenError(ServiceUnavailable):
    default_message = "The PKCS#11 token cannot be used"


@dataclass(frozen=True)
class TokenConfig:
    """Where a key lives: the PKCS#11 module, the token's label and its user PIN."""

    module: str
    token_label: str
    pin: str


class TokenKey:
    """A private key in a token; `sign` makes a SHA-256 signature over `data`."""

    def __init__(self, config: TokenConfig, key_label: str) -> None:
        self.label = key_label
        self._config = config
        self._lock = threading.Lock()
        self._find(_session(config))
        if self._private.key_type == KeyType.RSA:
            self.algorithm: Literal["rsa", "ec"] = "rsa"
            self._public: PublicKey = rsa.RSAPublicNumbers(
                int.from_bytes(self._public_object[Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(self._public_object[Attribute.MODULUS], "big"),
            ).public_key()
            mechanism = "sha256_rsa"
        elif self._private.key_type == KeyType.EC:
            self.algorithm = "ec"
            loaded = load_der_public_key(encode_ec_public_key(self._public_object))
            assert isinstance(loaded, ec.EllipticCurvePublicKey)
            self._public = loaded
            mechanism = "sha256_ecdsa"
        else:
            raise TokenError(f"The key {key_label!r} is neither RSA nor EC")
        spec = select_pkcs11_signing_params(
            algos.SignedDigestAlgorithm({"algorithm": mechanism}),
            "sha256",
            # SoftHSM2 and many HSMs lack CKM_ECDSA_SHA256: hash here, sign with CKM_ECDSA.
            use_raw_mechanism=self.algorithm == "ec",
            sign_kwargs={},
        )
        self._sign_kwargs: dict[str, Any] = spec.sign_kwargs
        self._pre = spec.pre_sign_transform
        self._post = spec.post_sign_transform

    def _find(self, session: Session) -> None:
        label = self.label
        try:
            self._private = cast(
                Pkcs11PrivateKey, session.get_key(ObjectClass.PRIVATE_KEY, label=label)
            )
            self._public_object = cast(
                Pkcs11PublicKey, session.get_key(ObjectClass.PUBLIC_KEY, label=label)
            )
        except PKCS11Error as exc:
            raise TokenError(
                f"The token has no key pair labelled {label!r} ({type(exc).__name__})"
            ) from exc
        self._signing = cast(SignMixin, self._private)

    def public_key(self) -> PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        if self._pre is not None:
            data = self._pre(data)
        with self._lock:
            try:
                signature: bytes = self._signing.sign(data, **self._sign_kwargs)
            except _SESSION_LOST:
                # The HSM restarted, the session was closed or logged out: open a new one
                # and find the key again, once.
                self._find(_session(self._config, stale=True))
                signature = self._sign_once_more(data)
            except PKCS11Error as exc:
                raise TokenError(f"The token refused to sign ({type(exc).__name__})") from exc
        return self._post(signature) if self._post is not None else signature

    def _sign_once_more(self, data: bytes) -> bytes:
        try:
            signature: bytes = self._signing.sign(data, **self._sign_kwargs)
        except PKCS11Error as exc:
            raise TokenError(f"The token refused to sign ({type(exc).__name__})") from exc
        return signature


_SESSION_LOST = (
    SessionClosed,
    SessionHandleInvalid,
    UserNotLoggedIn,
    DeviceRemoved,
    TokenNotPresent,
    ObjectHandleInvalid,
)


_sessions: dict[tuple[str, str], Session] = {}
_keys: dict[tuple[str, str, str], TokenKey] = {}
_open_lock = threading.Lock()


def _session(config: TokenConfig, *, stale: bool = False) -> Session:
    """The process's session with the token; `stale` drops a session that stopped working."""
    with _open_lock:
        if stale:
            _sessions.pop((config.module, config.token_label), None)
        session = _sessions.get((config.module, config.token_label))
        if session is None:
            criteria = TokenCriteria(label=config.token_label)
            try:
                try:
                    session = open_pkcs11_session(
                        config.module, token_criteria=criteria, user_pin=config.pin
                    )
                except UserAlreadyLoggedIn:  # another session of this process is logged in
                    session = open_pkcs11_session(config.module, token_criteria=criteria)
            except (PKCS11Error, OSError, RuntimeError) as exc:
                raise TokenError(
                    f"The PKCS#11 token {config.token_label!r} cannot be opened with module "
                    f"{config.module} ({type(exc).__name__}: {exc})"
                ) from exc
            _sessions[(config.module, config.token_label)] = session
        return session


def token_key(config: TokenConfig, key_label: str) -> TokenKey:
    """The key labelled `key_label`, found once per process."""
    cache_key = (config.module, config.token_label, key_label)
    key = _keys.get(cache_key)
    if key is None:
        key = TokenKey(config, key_label)
        _keys[cache_key] = key
    return key


def generate_token_key(config: TokenConfig, key_label: str, key_type: TokenKeyType) -> TokenKey:
    """Make a key pair inside the token (the private half is never extractable).

    Key generation needs a read-write session; signing keeps pyHanko's read-only one."""
    try:
        token = find_token(
            pkcs11_library(config.module).get_slots(),
            token_criteria=TokenCriteria(label=config.token_label),
        )
    except (PKCS11Error, OSError, RuntimeError) as exc:
        raise TokenError(f"The PKCS#11 module {config.module} cannot be loaded") from exc
    if token is None:
        raise TokenError(f"No PKCS#11 token is labelled {config.token_label!r}")
    # PKCS#11 logs in the application, not the session: with a signing session open, the
    # read-write one is already logged in.
    logged_in = (config.module, config.token_label) in _sessions
    with token.open(rw=True, user_pin=None if logged_in else config.pin) as session:
        _generate(session, key_label, key_type)
    return token_key(config, key_label)


def _generate(session: Session, key_label: str, key_type: TokenKeyType) -> None:
    private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
    try:
        if key_type == "rsa2048":
            session.generate_keypair(
                KeyType.RSA,
                2048,
                label=key_label,
                store=True,
                private_template=private_template,
            )
        else:
            parameters = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            parameters.generate_keypair(
                label=key_label,
                store=True,
                mechanism=Mechanism.EC_KEY_PAIR_GEN,
                private_template=private_template,
            )
    except PKCS11Error as exc:
        raise TokenError(f"The token cannot make a key pair ({type(exc).__name__})") from exc
