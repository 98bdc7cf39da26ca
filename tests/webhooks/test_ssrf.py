from __future__ import annotations

import ipaddress
from pathlib import Path

import aiohttp
import pytest

from signflow.errors import BadRequest
from signflow.webhooks.ssrf import (
    ForbiddenDestination,
    RedirectRefused,
    forbidden_reason,
    guarded_session,
    is_forbidden_address,
    parse_allowed_networks,
    validate_webhook_url,
)
from tests.webhooks.conftest import LOOPBACK
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.tls import make_tls

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("0.0.0.0", "unspecified"),  # noqa: S104
    ("0.1.2.3", "private"),
    ("192.0.2.7", "private"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:10.1.1.1", "IPv4-mapped"),
    ("::ffff:169.254.169.254", "IPv4-mapped"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::8.8.8.8", "IPv4-compatible"),
    ("64:ff9b::7f00:1", "NAT64"),
    ("64:ff9b::a00:1", "NAT64"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:7f00:1::", "6to4"),
    ("2002:c0a8:101::1", "6to4"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:db8::1", "private"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",
    "100.128.0.1",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_addresses_are_refused_with_their_reason(address: str, reason: str) -> None:
    ip = ipaddress.ip_address(address)
    assert is_forbidden_address(ip, [])
    assert reason in (forbidden_reason(ip, []) or "")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address), [])


def test_allow_list_admits_only_its_networks() -> None:
    allowed = parse_allowed_networks("127.0.0.0/8, ::1/128,10.20.0.0/16")
    assert not is_forbidden_address(ipaddress.ip_address("127.0.0.1"), allowed)
    assert not is_forbidden_address(ipaddress.ip_address("::1"), allowed)
    assert not is_forbidden_address(ipaddress.ip_address("::ffff:127.0.0.1"), allowed)
    assert not is_forbidden_address(ipaddress.ip_address("10.20.3.4"), allowed)
    assert is_forbidden_address(ipaddress.ip_address("10.21.3.4"), allowed)
    assert is_forbidden_address(ipaddress.ip_address("169.254.169.254"), allowed)
    assert is_forbidden_address(ipaddress.ip_address("64:ff9b::7f00:1"), allowed)


def test_parse_allowed_networks() -> None:
    assert parse_allowed_networks("") == []
    assert parse_allowed_networks(" , ") == []
    assert parse_allowed_networks("127.0.0.0/8,::1/128") == [
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    ]
    assert parse_allowed_networks("192.168.1.7/24") == [ipaddress.ip_network("192.168.1.0/24")]
    with pytest.raises(ValueError, match="not-a-network"):
        parse_allowed_networks("127.0.0.0/8,not-a-network")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("http:///hook", "no host"),
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),
        ("http://0x7f.0.0.1/hook", "loopback"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[::ffff:10.0.0.1]/hook", "IPv4-mapped"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://100.64.1.1/", "carrier-grade NAT"),
        ("http://[fd00::1]/", "unique-local"),
        ("https://example.com/" + "x" * 2100, "longer than"),
    ],
)
def test_registration_refuses_bad_urls(url: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        validate_webhook_url(url, [])
    assert caught.value.status_code == 400


def test_registration_accepts_public_and_allow_listed_urls() -> None:
    assert validate_webhook_url("https://hooks.example.com/in?x=1", []) == (
        "https://hooks.example.com/in?x=1"
    )
    assert validate_webhook_url("http://8.8.8.8:8080/h", []) == "http://8.8.8.8:8080/h"
    assert validate_webhook_url("http://127.0.0.1:9000/h", LOOPBACK) == "http://127.0.0.1:9000/h"
    # Names are judged when delivering, on the address actually connected to.
    assert validate_webhook_url("http://localhost/h", []) == "http://localhost/h"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_transport_refuses_loopback_unless_allow_listed(
    receiver: Receiver, host: str
) -> None:
    async with guarded_session([]) as client:
        with pytest.raises(ForbiddenDestination) as caught:
            await client.get(receiver.url("/ping", host=host))
    assert "loopback" in caught.value.reason
    assert caught.value.address == "127.0.0.1"
    assert receiver.requests == []

    async with (
        guarded_session(LOOPBACK) as client,
        client.get(receiver.url("/ping", host=host)) as response,
    ):
        assert response.status == 200
    assert [r.path for r in receiver.requests] == ["/ping"]
    assert receiver.requests[0].headers["host"] == f"{host}:{receiver.port}"


async def test_allow_listing_another_network_does_not_admit_loopback(receiver: Receiver) -> None:
    async with guarded_session(parse_allowed_networks("10.0.0.0/8")) as client:
        with pytest.raises(ForbiddenDestination):
            await client.get(receiver.url())
    assert receiver.requests == []


async def test_guarded_session_does_not_follow_redirects(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    receiver.replies["/start"] = Reply(302, {"Location": receiver.url("/elsewhere")})
    # Even a caller that forgets `allow_redirects=False` is not taken elsewhere.
    with pytest.raises(RedirectRefused, match="302 redirect"):
        await loopback_client.get(receiver.url("/start"))
    async with loopback_client.get(receiver.url("/start"), allow_redirects=False) as response:
        assert response.status == 302
    assert [r.path for r in receiver.requests] == ["/start", "/start"]


async def test_https_keeps_host_name_for_sni_and_certificate(tmp_path: Path) -> None:
    tls = make_tls(tmp_path, "localhost")
    server = Receiver()
    await server.start(tls=tls.server_context)
    try:
        async with (
            guarded_session(LOOPBACK, verify=tls.client_context) as client,
            client.get(server.url("/secure", host="localhost", scheme="https")) as response,
        ):
            assert response.status == 200
        assert server.server_names == ["localhost"]
        assert server.requests[0].headers["host"] == f"localhost:{server.port}"

        async with guarded_session([], verify=tls.client_context) as client:
            with pytest.raises(ForbiddenDestination):
                await client.get(server.url("/secure", host="localhost", scheme="https"))
        assert len(server.requests) == 1
    finally:
        await server.close()


async def test_unresolvable_host_is_a_connect_error(strict_client: aiohttp.ClientSession) -> None:
    with pytest.raises(aiohttp.ClientConnectorError):
        await strict_client.get("http://does-not-exist.invalid/")
