"""The client address behind trusted proxies: forwarded hops are believed only from them."""

from __future__ import annotations

from overpush.client_address import client_address, trusted_networks

INGRESS = trusted_networks("10.0.0.0/8, fd00::/8")


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], trusted_networks("")) == \
        "203.0.113.9"


def test_behind_the_ingress_the_forwarded_address_is_the_client() -> None:
    assert client_address("10.1.2.3", ["198.51.100.7"], INGRESS) == "198.51.100.7"


def test_a_client_cannot_pick_its_address_by_sending_the_header_itself() -> None:
    # The client sent "1.2.3.4"; the Ingress appended the real peer: the rightmost
    # untrusted hop wins.
    assert client_address("10.1.2.3", ["1.2.3.4, 198.51.100.7"], INGRESS) == "198.51.100.7"
    assert client_address("10.1.2.3", ["1.2.3.4", "198.51.100.7, 10.9.9.9"], INGRESS) == \
        "198.51.100.7"


def test_a_peer_outside_the_trusted_ranges_is_not_believed() -> None:
    assert client_address("203.0.113.9", ["198.51.100.7"], INGRESS) == "203.0.113.9"


def test_odd_input_falls_back_to_the_peer() -> None:
    assert client_address("10.1.2.3", [], INGRESS) == "10.1.2.3"
    assert client_address("10.1.2.3", ["not-an-address"], INGRESS) == "10.1.2.3"
    assert client_address(None, ["198.51.100.7"], INGRESS) == "unknown"
    assert client_address("::ffff:10.1.2.3", ["2001:db8::1"], INGRESS) == "2001:db8::1"
