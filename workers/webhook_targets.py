"""Where webhooks may go: http(s) only, and never to this machine or a private network
(loopback, link-local, RFC 1918, unique-local, CGNAT, multicast, reserved) unless
SOHOA_WEBHOOK_ALLOW_PRIVATE=1 (tests, or an on-premises receiver).

A registration is checked when it is made (the URL's scheme; its host's addresses, when
the name resolves), and every delivery again: the host is resolved, every address it
resolves to is checked, and the request connects to the address that was checked (the
Host header and TLS server name stay the URL's), so a name that resolves to a public
address at registration and to 127.0.0.1 later (DNS rebinding) gets nothing. Redirects
are not followed.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    """The URL may not receive webhooks; `message` is Vietnamese, for the agency."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    addresses: tuple[str, ...]  # checked; the first is connected to


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("Địa chỉ webhook không hợp lệ.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("Địa chỉ webhook phải dùng giao thức http hoặc https.")
    if not parts.hostname:
        raise TargetRefused("Địa chỉ webhook thiếu tên máy chủ.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def _refuse_private(host: str, addresses: list[str]) -> None:
    inner = [a for a in addresses if not _public(a)]
    if inner:
        raise TargetRefused(f"Địa chỉ webhook “{host}” trỏ tới {inner[0]}, một địa chỉ nội bộ "
                            "(loopback, link-local hoặc mạng riêng); hệ thống không gửi "
                            "webhook tới đó. Máy nhận trong mạng nội bộ cần cấu hình "
                            "SOHOA_WEBHOOK_ALLOW_PRIVATE=1.")


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_registration(url: str, *, allow_private: bool) -> None:
    """Refuse (TargetRefused) a URL that is not http(s) or whose host is, or resolves to, an
    internal address. A name that does not resolve now is let through: every delivery is
    checked again."""
    _, host, port, _ = _split(url)
    if allow_private:
        return
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        return
    _refuse_private(host, addresses)


def resolve_target(url: str, *, allow_private: bool) -> Target:
    """The URL's host resolved now, every address checked (TargetRefused otherwise)."""
    scheme, host, port, path = _split(url)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        raise TargetRefused(f"Không phân giải được tên máy chủ “{host}” của webhook.") from None
    if not addresses:
        raise TargetRefused(f"Không phân giải được tên máy chủ “{host}” của webhook.")
    if not allow_private:
        _refuse_private(host, addresses)
    return Target(scheme, host, port, path, tuple(addresses))


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.addresses[0]

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout,
                         context=ssl.create_default_context())
        self._address = target.addresses[0]

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST to the checked address; the answer's status (a redirect is not followed)."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read(65536)
        return answer.status
    finally:
        conn.close()
