"""The SSRF guard: webhook targets must be public addresses, checked where we connect.

Checking a URL when it is registered is not enough (DNS can answer differently at
delivery time), so the guarded client resolves the host itself and refuses a name
with any forbidden address, and checks again the address of every socket it opens.
TLS still uses the URL's host name for SNI and certificate checks.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from typing import TypeAlias

import aiohttp
import httpx
from aiohappyeyeballs import AddrInfoType as AddrInfo
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from signflow.errors import BadRequest

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV6_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


class ForbiddenDestination(Exception):
    """A connection refused by the SSRF guard; `reason` says why. Not an OSError, so
    that the HTTP client passes it through instead of trying the next address."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"refused to connect to {host} ({address}): {reason}")
        self.host = host
        self.address = address
        self.reason = reason


def parse_allowed_networks(value: str) -> list[IPNetwork]:
    """Parse SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS: comma-separated CIDRs; empty means none."""
    networks: list[IPNetwork] = []
    for part in value.split(","):
        text = part.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a network in CIDR form: {text!r}") from exc
    return networks


def forbidden_reason(ip: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why a connection to `ip` is refused, or None when it is allowed."""
    if _is_allowed(ip, allowed):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        return _ipv6_reason(ip)
    return _ipv4_reason(ip)


def is_forbidden_address(ip: IPAddress, allowed: Sequence[IPNetwork] = ()) -> bool:
    return forbidden_reason(ip, allowed) is not None


def _is_allowed(ip: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    # An allow-listed IPv4 network also admits its IPv4-mapped spelling: same socket.
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(
        candidate.version == network.version and candidate in network
        for candidate in candidates
        for network in allowed
    )


def _ipv4_reason(ip: ipaddress.IPv4Address) -> str | None:
    checks = (
        (ip.is_unspecified, "unspecified address"),
        (ip.is_loopback, "loopback address"),
        (ip.is_link_local, "link-local address"),
        (ip.is_multicast, "multicast address"),
        (ip in _CGNAT, "carrier-grade NAT address (100.64.0.0/10)"),
        (ip.is_reserved, "reserved address"),
        (ip.is_private, "private address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _ipv6_reason(ip: ipaddress.IPv6Address) -> str | None:
    if ip.ipv4_mapped is not None:
        inner = _ipv4_reason(ip.ipv4_mapped)
        return f"IPv4-mapped IPv6 address of a {inner}" if inner else None
    if ip.teredo is not None:
        return "Teredo tunnel address (2001::/32)"
    if ip in _NAT64_LOCAL:
        return "local-use NAT64 address (64:ff9b:1::/48)"
    if ip in _NAT64:
        inner = _ipv4_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return f"NAT64 address embedding a {inner}" if inner else None
    if ip.sixtofour is not None:
        inner = _ipv4_reason(ip.sixtofour)
        return f"6to4 address embedding a {inner}" if inner else None
    checks = (
        (ip.is_unspecified, "unspecified address"),
        (ip.is_loopback, "loopback address"),
        (ip in _IPV4_COMPATIBLE, "IPv4-compatible IPv6 address"),
        (ip.is_link_local, "link-local address"),
        (ip.is_site_local, "site-local address"),
        (ip in _IPV6_UNIQUE_LOCAL, "unique-local address"),
        (ip.is_multicast, "multicast address"),
        (ip.is_reserved, "reserved address"),
        (ip.is_private, "private address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    try:
        # Legacy IPv4 spellings the resolver accepts: 2130706433, 0x7f.1, 127.1
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def validate_webhook_url(url: str, allowed: Sequence[IPNetwork] = ()) -> str:
    """Check a webhook URL at registration time; return it normalised or raise BadRequest.

    Host names are resolved only when delivering (the guarded client checks them
    then); literal IP addresses are judged here already.
    """
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"The webhook URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise BadRequest(f"The webhook URL is not valid: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise BadRequest("The webhook URL must start with http:// or https://")
    if not parsed.host.rstrip("."):
        raise BadRequest("The webhook URL has no host")
    reason = literal_destination_reason(parsed, allowed)
    if reason is not None:
        raise BadRequest(
            f"The webhook URL points to a forbidden destination ({reason}); "
            "only public addresses are allowed unless the operator allow-lists the "
            "network in SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS"
        )
    return str(parsed)


def literal_destination_reason(
    url: str | httpx.URL, allowed: Sequence[IPNetwork] = ()
) -> str | None:
    """Why a URL whose host is an IP address (in any spelling the resolver accepts) may
    not be called, as "address: reason"; None when it may, or when the host is a name
    (names are resolved and checked when connecting). For checking callback URLs when
    they are given, so that a forbidden one is refused then, not only at delivery."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url.strip())
    except httpx.InvalidURL:
        return None  # not a URL the client could call at all: the caller's checks refuse it
    literal = _literal_address(parsed.host.rstrip("."))
    if literal is None:
        return None
    reason = forbidden_reason(literal, allowed)
    return f"{literal}: {reason}" if reason is not None else None


class _GuardedResolver(AbstractResolver):
    """Resolves names, refusing the whole name when any of its addresses is forbidden:
    a name mixing public and private answers could be turned on us."""

    def __init__(self, allowed: Sequence[IPNetwork]) -> None:
        self._allowed = tuple(allowed)
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise ConnectionError(f"cannot resolve {host}: {exc}") from exc
        for result in found:
            address = ipaddress.ip_address(result["host"].split("%", 1)[0])
            reason = forbidden_reason(address, self._allowed)
            if reason is not None:
                raise ForbiddenDestination(host, str(address), reason)
        return found

    async def close(self) -> None:
        await self._inner.close()


def _guarded_socket_factory(allowed: Sequence[IPNetwork]) -> Callable[[AddrInfo], socket.socket]:
    """Checks the address of every connection attempt, the one actually connected to:
    this also covers URLs whose host is an address, which skip the resolver."""
    admitted = tuple(allowed)

    def open_socket(addr_info: AddrInfo) -> socket.socket:
        family, kind, proto, _canonname, sockaddr = addr_info
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        reason = forbidden_reason(address, admitted)
        if reason is not None:
            raise ForbiddenDestination(str(sockaddr[0]), str(address), reason)
        return socket.socket(family=family, type=kind, proto=proto)

    return open_socket


class RedirectRefused(aiohttp.ClientError):
    """The guarded client never follows a redirect: its target was never checked."""


async def _refuse_redirect(
    _session: aiohttp.ClientSession,
    _context: object,
    params: aiohttp.TraceRequestRedirectParams,
) -> None:
    location = params.response.headers.get("Location", "")
    raise RedirectRefused(f"{params.response.status} redirect (to {location!r}) not followed")


def guarded_session(
    allowed_networks: Sequence[IPNetwork] = (),
    timeout: float = 15.0,
    *,
    verify: ssl.SSLContext | bool = True,
) -> aiohttp.ClientSession:
    """An HTTP client for outbound calls to URLs our users give (webhooks, callbacks, the
    SMS gateway): SSRF-guarded, no redirects followed (a caller that does not pass
    `allow_redirects=False` gets `RedirectRefused`), no proxies from the environment
    (through a proxy the guard would check the proxy, not the destination), no cookies
    kept between calls. Create it inside the running event loop."""
    connector = aiohttp.TCPConnector(
        resolver=_GuardedResolver(allowed_networks),
        socket_factory=_guarded_socket_factory(allowed_networks),
        ssl=verify,
        limit=0,  # the worker's concurrency is the limit
    )
    redirects = aiohttp.TraceConfig()
    redirects.on_request_redirect.append(_refuse_redirect)
    return aiohttp.ClientSession(
        connector=connector,
        trace_configs=[redirects],
        timeout=aiohttp.ClientTimeout(total=timeout),
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )
