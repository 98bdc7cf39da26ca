"""The SSRF guard: webhook targets must be public addresses, checked where we connect.

Checking a URL when it is registered is not enough (DNS can answer differently at
delivery time), so the guarded client's transport resolves the host itself, checks
every address it got, and connects to a checked address. TLS still uses the URL's
host name for SNI and certificate checks.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import TypeAlias

import anyio
import httpcore
import httpx

from signflow.errors import BadRequest

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV6_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


class ForbiddenDestination(httpx.TransportError):
    """A connection refused by the SSRF guard; `reason` says why."""

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

    Host names are resolved only when delivering (the guarded transport checks them
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
    host = parsed.host.rstrip(".")
    if not host:
        raise BadRequest("The webhook URL has no host")
    literal = _literal_address(host)
    if literal is not None:
        reason = forbidden_reason(literal, allowed)
        if reason is not None:
            raise BadRequest(
                f"The webhook URL points to a forbidden destination ({literal}: {reason}); "
                "only public addresses are allowed unless the operator allow-lists the "
                "network in SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS"
            )
    return str(parsed)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, allowed: Sequence[IPNetwork]) -> None:
        self._allowed = tuple(allowed)
        self._inner = httpcore.AnyIOBackend()

    async def _resolve(self, host: str, port: int, limit: float | None) -> list[IPAddress]:
        try:
            with anyio.fail_after(limit):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[IPAddress] = []
        for _family, _type, _proto, _canonname, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        host = host.strip("[]")
        addresses = await self._resolve(host, port, timeout)
        # Every address must pass: a name mixing public and private answers is refused.
        for address in addresses:
            reason = forbidden_reason(address, self._allowed)
            if reason is not None:
                raise ForbiddenDestination(host, str(address), reason)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        if last_error is None:
            raise httpcore.ConnectError(f"{host} has no address")
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenDestination(path, path, "unix sockets are not webhook destinations")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that only connects to addresses the SSRF guard admits.

    Proxies from the environment are ignored: through a proxy the guard would check
    the proxy, not the destination.
    """

    def __init__(
        self,
        allowed_networks: Sequence[IPNetwork] = (),
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    ) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(allowed_networks),
        )


def guarded_client(
    allowed_networks: Sequence[IPNetwork] = (),
    timeout: float = 15.0,
    *,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """An AsyncClient for outbound webhook calls: SSRF-guarded, never follows redirects."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allowed_networks, verify=verify),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
