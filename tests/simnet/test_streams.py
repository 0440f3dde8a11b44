"""Simulated TCP: through NATs, in order despite jitter, refused, closed, killed."""

from __future__ import annotations

from rtcpeer.simnet import (
    BindingSucceeded,
    Network,
    Node,
    StreamSocket,
    StunBindingClient,
    StunBindingServer,
)

SERVER = ("203.0.113.1", 443)


def _world(jitter: float = 0.0) -> tuple[Network, StreamSocket, list[StreamSocket]]:
    net = Network(seed=2)
    nat = net.add_nat("nat", external="198.51.100.1", internal="10.0.0.1")
    client = net.add_host("client", "10.0.0.2", realm=nat.inside, latency=0.02, jitter=jitter)
    server = net.add_host("server", SERVER[0], latency=0.01, jitter=jitter)
    listener = server.listen(SERVER[1])
    accepted: list[StreamSocket] = []

    def on_accept(stream: StreamSocket) -> None:
        accepted.append(stream)
        stream.on_data = stream.send  # echo

    listener.on_accept = on_accept
    return net, client.connect(SERVER), accepted


def test_a_stream_through_a_nat_delivers_every_message_in_order_despite_jitter() -> None:
    net, stream, accepted = _world(jitter=0.05)
    opened: list[float] = []
    stream.on_open = lambda: opened.append(net.now)
    messages = [b"message %d" % i for i in range(100)]
    for i, message in enumerate(messages):
        net.at(i * 0.001, stream.send, message)  # the first ones before the handshake ends
    net.run_until(lambda: len(stream.received) == 100, timeout=5)
    assert stream.received == messages
    assert opened and stream.state == "open"
    # The server sees the NAT's public address, with the client's port preserved.
    assert accepted[0].remote_address == ("198.51.100.1", stream.local_address[1])
    # Jitter really did reorder segments on the wire.
    wire = [
        r.data
        for r in net.capture.select(realm="internet", outcome="delivered", dst=SERVER)
        if r.data
    ]
    assert sorted(wire) == sorted(messages) and wire != messages


def test_connecting_to_a_port_nobody_listens_on_is_refused() -> None:
    net, _, _ = _world()
    stream = net.host("client").connect((SERVER[0], 8080))
    reasons: list[str] = []
    stream.on_close = reasons.append
    net.run_until(lambda: stream.state == "closed", timeout=5)
    assert reasons == ["refused"]


def test_an_orderly_close_arrives_after_all_data() -> None:
    net, stream, accepted = _world(jitter=0.05)
    net.run_until(lambda: bool(accepted), timeout=5)
    server_side = accepted[0]
    server_side.on_data = None
    closed: list[tuple[str, int]] = []
    stream.on_close = lambda reason: closed.append((reason, len(stream.received)))
    for i in range(20):
        server_side.send(b"%d" % i)
    server_side.close()
    net.run_until(lambda: bool(closed), timeout=5)
    assert closed == [("peer-closed", 20)]
    assert server_side.close_reason == "closed"


def test_an_outside_host_cannot_open_a_stream_to_a_host_behind_the_nat() -> None:
    net, stream, _accepted = _world()
    net.run_until(lambda: stream.state == "open", timeout=5)
    net.host("client").listen(9000)
    intruder = net.host("server").connect(("198.51.100.1", 9000))
    net.run_for(5)
    assert intruder.state == "connecting"
    assert net.capture.select(outcome="nat-no-mapping", transport="tcp")


def test_a_killed_server_makes_the_stream_stall_silently() -> None:
    net, stream, _accepted = _world()
    net.run_until(lambda: stream.state == "open", timeout=5)
    stream.send(b"before")
    net.run_until(lambda: stream.received == [b"before"], timeout=5)
    net.host("server").kill()
    stream.send(b"after")
    net.run_for(5)
    assert stream.received == [b"before"] and stream.state == "open"
    assert [r.data for r in net.capture.select(outcome="host-down")] == [b"after"]


def test_a_reset_reaches_the_other_side() -> None:
    net, stream, accepted = _world()
    net.run_until(lambda: stream.state == "open" and bool(accepted), timeout=5)
    accepted[0].abort()
    net.run_until(lambda: stream.state == "closed", timeout=5)
    assert stream.close_reason == "reset" and accepted[0].close_reason == "aborted"


def test_a_node_drives_a_sans_io_endpoint_over_streams() -> None:
    net = Network(seed=4)
    nat = net.add_nat("nat", external="198.51.100.1", internal="10.0.0.1")
    server = Node(net.add_host("stun", "203.0.113.1", latency=0.01), StunBindingServer())
    server.listen(3478, lambda stream: ("tcp", stream.remote_address))
    client = StunBindingClient(net.rng("client"))
    node = Node(net.add_host("client", "10.0.0.2", realm=nat.inside), client)
    stream = node.connect("t", ("203.0.113.1", 3478))
    client.request("t", ("203.0.113.1", 3478), net.now)
    node.service()
    net.run_until(lambda: bool(node.events), timeout=5)
    event = node.events[0]
    assert isinstance(event, BindingSucceeded)
    assert event.mapped == ("198.51.100.1", stream.local_address[1])
    assert event.rtt == 0.04  # handshake (2 x 10 ms) then request/response (2 x 10 ms)
    assert list(server.sockets) == [("tcp", ("198.51.100.1", stream.local_address[1]))]
