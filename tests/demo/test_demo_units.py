"""The demo's pure parts: message ledger, selected pair from stats, renderers, summary."""

from __future__ import annotations

import io
import re

from rtcpeer import RTCIceCandidate, RTCIceCandidatePair
from rtcpeer.demo import (
    DemoSummary,
    Endpoint,
    LiveRenderer,
    PlainRenderer,
    Progress,
    SelectedPath,
    TimelineEntry,
    pair_path,
    region_lookup,
    render_summary,
    selected_path,
)
from rtcpeer.demo.ledger import MessageLedger

REGIONS = {"A": (31000, 31099), "B": (31100, 31199)}


def relay(port: int, region: str | None) -> Endpoint:
    return Endpoint("relay", "127.0.0.1", port, "udp", region, "udp")


def path(region: str, local: int, remote: int) -> SelectedPath:
    return SelectedPath(relay(local, region), relay(remote, region))


def test_ledger_counts_duplicates_reordering_and_the_longest_gap() -> None:
    ledger = MessageLedger()
    for i in range(5):
        assert ledger.next_sequence(i * 0.005) == i
    ledger.note_received(0, 1.000)
    ledger.note_received(2, 1.005)
    ledger.note_received(1, 1.010)  # late: out of order
    ledger.note_received(1, 1.011)  # again: a duplicate
    ledger.note_received(3, 1.090)  # 80 ms of silence before it
    assert (ledger.sent, ledger.received, ledger.missing) == (5, 4, 1)
    assert ledger.duplicates == 1
    assert ledger.out_of_order == 1
    assert abs(ledger.longest_gap - 0.080) < 1e-9
    assert ledger.longest_gap_end == 1.090


def test_ledger_rates_cover_the_last_second() -> None:
    ledger = MessageLedger()
    for i in range(300):
        ledger.next_sequence(i * 0.005)
        ledger.note_received(i, i * 0.005 + 0.002)
    sent, received = ledger.rates(1.5)
    assert sent == 199  # sent at 0.505 .. 1.495
    assert received == 200  # received at 0.502 .. 1.497


def report(
    local_port: int, remote_port: int, remote_type: str = "relay"
) -> dict[str, dict[str, object]]:
    return {
        "T01": {"type": "transport", "id": "T01", "selectedCandidatePairId": "CP1"},
        "CP1": {
            "type": "candidate-pair",
            "id": "CP1",
            "localCandidateId": "L1",
            "remoteCandidateId": "R1",
        },
        "L1": {
            "type": "local-candidate",
            "candidateType": "relay",
            "address": "127.0.0.1",
            "port": local_port,
            "protocol": "udp",
            "relayProtocol": "tcp",
        },
        "R1": {
            "type": "remote-candidate",
            "candidateType": remote_type,
            "address": "127.0.0.1",
            "port": remote_port,
            "protocol": "udp",
        },
    }


def test_selected_path_names_the_region_of_relay_candidates() -> None:
    found = selected_path(report(31005, 31150), region_lookup(REGIONS))
    assert found is not None
    assert found.local == Endpoint("relay", "127.0.0.1", 31005, "udp", "A", "tcp")
    assert found.remote.region == "B"
    assert found.label() == "relay 127.0.0.1:31005 (region A) <-> relay 127.0.0.1:31150 (region B)"
    # Only relay candidates belong to a region; unknown ports belong to none.
    host = selected_path(report(40000, 31005, "host"), region_lookup(REGIONS))
    assert host is not None and host.local.region is None and host.remote.region is None


def test_selected_path_is_none_without_a_selected_pair() -> None:
    entries = report(31005, 31150)
    del entries["T01"]["selectedCandidatePairId"]
    assert selected_path(entries, region_lookup(REGIONS)) is None
    assert selected_path({}, region_lookup(REGIONS)) is None


def test_pair_path_reads_an_ice_transport_selected_pair() -> None:
    local = RTCIceCandidate(
        candidate="candidate:1 1 udp 16777215 127.0.0.1 31005 typ relay raddr 0.0.0.0 rport 0",
        sdpMid="0",
        relayProtocol="tcp",
    )
    remote = RTCIceCandidate(
        candidate="candidate:2 1 udp 16777215 127.0.0.1 31150 typ relay raddr 0.0.0.0 rport 0",
        sdpMid="0",
    )
    found = pair_path(RTCIceCandidatePair(local, remote), region_lookup(REGIONS))
    assert found == selected_path(report(31005, 31150), region_lookup(REGIONS))
    assert pair_path(None, region_lookup(REGIONS)) is None


def test_plain_renderer_writes_one_timestamped_line_per_entry() -> None:
    out = io.StringIO()
    renderer = PlainRenderer(out)
    renderer.entry(TimelineEntry(1.2345, "caller", "ice", "ICE connection: checking"))
    renderer.progress(progress(phase="streaming"))  # not drawn on a pipe
    renderer.entry(TimelineEntry(12.5, "region B", "region", "up"))
    renderer.close()
    assert out.getvalue().splitlines() == [
        "   1.234s  caller    ICE connection: checking",
        "  12.500s  region B  up",
    ]


def progress(**changes: object) -> Progress:
    values: dict[str, object] = {
        "at": 1.0,
        "phase": "streaming",
        "duration": 2.0,
        "streamed": 0.5,
        "sent": 100,
        "received": 98,
        "missing": 2,
        "sent_rate": 200,
        "received_rate": 199,
        "caller": path("A", 31001, 31002),
        "callee": None,
    }
    values.update(changes)
    return Progress(**values)  # type: ignore[arg-type]


def test_live_renderer_redraws_its_status_block_in_place() -> None:
    out = io.StringIO()
    renderer = LiveRenderer(out, colour=False, width=lambda: 72)
    renderer.progress(progress())
    first = out.getvalue()
    lines = first.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("streaming")
    assert "[" + "A" * 10 + "." * 30 + "]" in lines[0]  # a quarter of the bar, on region A
    assert lines[1] == "messages: 100 sent, 98 received, 2 in flight; 199 msg/s"
    assert lines[2].startswith("caller: relay 127.0.0.1:31001 (region A)")
    assert len(lines[2]) == 71  # cut to the terminal width, so the block never wraps
    assert lines[3] == "callee: (no selected pair yet)"

    renderer.entry(TimelineEntry(1.1, "caller", "pair", "selected pair: B"))
    second = out.getvalue()[len(first) :]
    # Up four lines, clear, the entry, then the block again.
    assert second.startswith("\x1b[4F\x1b[J   1.100s  caller    selected pair: B\n")
    assert second.count("\n") == 5

    renderer.entry(TimelineEntry(1.2, "demo", "rate", "200 msg/s"))  # the block shows rates
    assert "200 msg/s" not in out.getvalue()
    renderer.progress(progress(streamed=1.0, caller=path("B", 31101, 31102)))
    assert "[" + "A" * 10 + "B" * 10 + "." * 20 + "]" in out.getvalue().splitlines()[-4]
    renderer.close()
    assert out.getvalue().endswith("\x1b[4F\x1b[J")


def test_live_renderer_colours_regions() -> None:
    out = io.StringIO()
    LiveRenderer(out, colour=True, width=lambda: 100).progress(progress())
    assert re.search(r"\x1b\[46;30mA\x1b\[0m", out.getvalue())


def summary(**changes: object) -> DemoSummary:
    result = DemoSummary(
        turn="embedded",
        regions={"A": {}, "B": {}},
        restart_ms=42.0,
        sent=300,
        received=300,
        before={"caller": path("A", 31001, 31002), "callee": path("A", 31002, 31001)},
        after={"caller": path("B", 31101, 31102), "callee": path("B", 31102, 31101)},
    )
    for name, value in changes.items():
        setattr(result, name, value)
    return result


def test_summary_is_ok_only_when_moved_and_nothing_lost() -> None:
    assert summary().ok and summary().moved
    assert not summary(lost=1, received=299).ok
    assert not summary(duplicates=1).ok
    assert not summary(out_of_order=2).ok
    assert not summary(sent=0, received=0).ok
    stuck = summary(after={"caller": path("A", 31001, 31002), "callee": path("B", 31102, 1)})
    assert not stuck.moved and not stuck.ok
    assert not summary(after={"caller": None, "callee": None}).moved


def test_summary_text_and_json() -> None:
    text = render_summary(summary())
    assert "300 sent, 300 received, 0 lost, 0 duplicates, 0 out of order" in text
    assert (
        "caller relay: relay 127.0.0.1:31001 (region A, udp to TURN) -> "
        "relay 127.0.0.1:31101 (region B, udp to TURN)" in text
    )
    assert "restart (setConfiguration -> both peers on region B): 42 ms" in text
    assert text.splitlines()[-1].startswith("  OK: the session moved from region A to region B")
    failed = render_summary(summary(lost=3, received=297))
    assert "FAILED: messages were lost" in failed
    data = summary().to_json()
    assert data["ok"] is True
    assert data["messages"]["lost"] == 0
    assert data["relays_after"]["callee"]["local"]["region"] == "B"
    assert data["relays_before"]["caller"]["local"]["port"] == 31001


def test_live_renderer_on_a_narrow_terminal_shows_a_percentage() -> None:
    out = io.StringIO()
    LiveRenderer(out, colour=False, width=lambda: 40).progress(progress())
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(" 25%")
    assert all(len(line) <= 39 for line in lines)
