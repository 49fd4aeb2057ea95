"""Every link a person opens from another device: join, console, report, and the QR code's target.

Which address they carry, in this order:

1. `WORKSHOP_PUBLIC_URL`, when set (a proxy, a tunnel, a domain name);
2. the address the request came to, unless it is this laptop's loopback: behind a proxy or on a
   host's domain that is the address people use;
3. the laptop's LAN address, found at start when the server listens on every interface, so that a
   facilitator who opened http://127.0.0.1:5000 still shows phones a link they can open;
4. the request's loopback address, and then the console says plainly that phones cannot reach it.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
from urllib.parse import quote, urlsplit

from flask import current_app, request

from .keys import display_key, join_key, report_key

WILDCARDS = frozenset({"", "0.0.0.0", "::"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

# A UDP socket's connect() sends no packet; it only asks the routing table which interface, and so
# which local address, would be used. Private-range broadcast addresses: nothing real is ever named.
PROBES = ("10.255.255.255", "172.31.255.255", "192.168.255.255")
# Interfaces that carry no venue traffic, skipped when the routing table gave no answer.
VIRTUAL = ("lo", "docker", "veth", "br-", "virbr", "vmnet", "vboxnet", "utun", "tun", "tap", "wg", "ifb")
SIOCGIFADDR = 0x8915  # Linux: read an interface's IPv4 address


def host_of(url: str) -> str:
    """Return a URL's host name, without port or IPv6 brackets."""
    return (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address opens only on this machine (no phone can reach it)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def usable(address: str) -> bool:
    """Tell whether a phone on the same network could open this address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast)


def routed_addresses() -> list[str]:
    """Return the local addresses the routing table would send from towards private networks."""
    found = []
    for probe in PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.connect((probe, 9))
            except OSError:  # no route at all: not on any network
                continue
            found.append(udp.getsockname()[0])
    return found


def interface_addresses() -> list[str]:
    """Return the IPv4 addresses of this machine's real network interfaces (Linux), else of its name."""
    found = []
    if sys.platform.startswith("linux"):
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for _, name in socket.if_nameindex():
                if name.startswith(VIRTUAL):
                    continue
                try:
                    answer = fcntl.ioctl(udp.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
                except OSError:  # an interface without an IPv4 address
                    continue
                found.append(socket.inet_ntoa(answer[20:24]))
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    return found


def lan_address(sources=(routed_addresses, interface_addresses)) -> str | None:
    """Find the address phones on this laptop's network can open, or None when there is only loopback."""
    for source in sources:  # the next only when one finds nothing usable
        address = next((a for a in source() if usable(a)), None)
        if address:
            return address
    return None


def lan_url(listen_host: str, port: int, detect=lan_address) -> str | None:
    """Return the base URL phones can open for a server listening on `listen_host`, if there is one."""
    if listen_host in WILDCARDS:
        address = detect()
    elif is_loopback(listen_host):
        return None
    else:
        address = listen_host
    if not address:
        return None
    shown = f"[{address}]" if ":" in address else address
    return f"http://{shown}:{port}"


def local_url(listen_host: str, port: int) -> str:
    """Return the base URL this laptop's own browser opens the server at."""
    host = "127.0.0.1" if listen_host in WILDCARDS else listen_host
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def choose_base(public_url: str | None, request_url: str, lan: str | None) -> str:
    """Pick the base of every outside link, by the rule at the top of this module."""
    if public_url:
        return public_url.rstrip("/")
    if lan and is_loopback(host_of(request_url)):
        return lan.rstrip("/")
    return request_url.rstrip("/")


def advice(base: str, listen_host: str | None, gettext=lambda words: words) -> str | None:
    """Say what to do when a link's address opens only on this laptop; None when phones can reach it.

    `gettext` says it in the console's language; the entry point prints it in English.
    """
    if not is_loopback(host_of(base)):
        return None
    if listen_host is not None and listen_host not in WILDCARDS and is_loopback(listen_host):
        return gettext("Phones can't reach this address: {base} opens only on this laptop. To let them in, "
                       "restart the server with --host 0.0.0.0 (make run does), or set WORKSHOP_PUBLIC_URL."
                       ).format(base=base)
    return gettext("Phones can't reach this address: {base} opens only on this laptop. To let them in, "
                   "connect this laptop to the venue's Wi-Fi and restart the server, or set "
                   "WORKSHOP_PUBLIC_URL.").format(base=base)


# -- in a request: the app's settings and the address the browser used --------------------------

def base_url() -> str:
    """Return the base of every outside link for this request."""
    config = current_app.config
    return choose_base(config.get("PUBLIC_URL"), request.host_url, config.get("LAN_URL"))


def join_url(code: str) -> str:
    """Return the link attendees open to join a room (and the QR code's target), with its join key.

    The key lets the phone's checks skip the code guard: a correct code is never slowed
    for whoever scanned the QR code or opened the link, whatever others on their network do.
    """
    key = join_key(current_app.config["SECRET_KEY"], code)
    return f"{base_url()}/j/{code}?k={key}"


def typed_join_url(code: str) -> str:
    """Return the join link without its key: what a page may show before anyone proved to hold the code."""
    return f"{base_url()}/j/{code}"


def console_url(code: str, key: str) -> str:
    """Return the facilitator's private console link; the key rides in the fragment, never sent."""
    return f"{base_url()}/facilitate/{code}#key={quote(key)}"


def report_url(code: str) -> str:
    """Return the shareable link to a workshop's report; the key rides in the fragment."""
    key = report_key(current_app.config["SECRET_KEY"], code)
    return f"{base_url()}/reports/{code}#key={quote(key)}"


def display_url(code: str) -> str:
    """Return the projector's link; its key opens the name-free display and nothing else."""
    key = display_key(current_app.config["SECRET_KEY"], code)
    return f"{base_url()}/p/{code}#key={quote(key)}"


def console_links(code: str) -> tuple[str, str, str]:
    """Return a console's join link, its shareable report link and its projector link."""
    return join_url(code), report_url(code), display_url(code)


def reach_warning() -> str | None:
    """Return the console's warning when phones cannot open the join link, else None."""
    from flask_babel import gettext

    return advice(base_url(), current_app.config.get("LISTEN_HOST"), gettext)
