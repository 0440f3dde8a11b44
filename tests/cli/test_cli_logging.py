"""``-v`` and ``-vv`` on demo, ice-check and turn-server: rtcpeer's log lines on stderr."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from rtcpeer.cli import build_parser
from rtcpeer.cli.logs import configure_logging
from rtcpeer.logs import peer_connection_context


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Put the root and rtcpeer loggers back as they were."""
    root, ours = logging.getLogger(), logging.getLogger("rtcpeer")
    handlers, root_level, our_level = list(root.handlers), root.level, ours.level
    yield
    root.handlers[:] = handlers
    root.setLevel(root_level)
    ours.setLevel(our_level)


@pytest.mark.parametrize("command", ["demo", "turn-server", "ice-check"])
@pytest.mark.parametrize(("flags", "verbosity"), [([], 0), (["-v"], 1), (["-vv"], 2)])
def test_verbose_flag_is_counted(command: str, flags: list[str], verbosity: int) -> None:
    argv = [command, *flags] + (["{}"] if command == "ice-check" else [])
    assert build_parser().parse_args(argv).verbose == verbosity


def _emit_all() -> None:
    logging.getLogger("rtcpeer.turn.server.core").info("allocation for user 'u'")
    with peer_connection_context("pc7"):  # as the ICE agent's work for a connection runs
        logging.getLogger("rtcpeer.ice.agent").debug("ICE check <pair>")
    logging.getLogger("aiortc.rtcdtlstransport").info("DTLS state")
    logging.getLogger("aiortc.rtcsctptransport").debug("SCTP chunk")


@pytest.mark.usefixtures("clean_logging")
def test_v_shows_rtcpeer_info_only() -> None:
    stream = io.StringIO()
    configure_logging(1, stream)
    _emit_all()
    out = stream.getvalue()
    assert "INFO    - rtcpeer.turn.server.core: allocation for user 'u'" in out
    assert "ICE check" not in out
    assert "DTLS state" not in out


@pytest.mark.usefixtures("clean_logging")
def test_vv_adds_rtcpeer_debug_and_library_info() -> None:
    stream = io.StringIO()
    configure_logging(2, stream)
    _emit_all()
    out = stream.getvalue()
    assert "DEBUG   pc7 rtcpeer.ice.agent: ICE check <pair>" in out
    assert "DTLS state" in out
    assert "SCTP chunk" not in out


@pytest.mark.usefixtures("clean_logging")
def test_configuring_twice_does_not_double_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(1, first)
    configure_logging(1, second)
    logging.getLogger("rtcpeer.ice").info("once")
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1


@pytest.mark.usefixtures("clean_logging")
def test_without_v_nothing_is_configured() -> None:
    before = list(logging.getLogger().handlers)
    configure_logging(0)
    assert logging.getLogger().handlers == before


@pytest.mark.usefixtures("clean_logging")
def test_each_line_names_its_peer_connection() -> None:
    stream = io.StringIO()
    configure_logging(1, stream)
    with peer_connection_context("pc3"):
        logging.getLogger("rtcpeer.peerconnection.connection").info("connectionstatechange")
    logging.getLogger("rtcpeer.turn.server.core").info("allocation")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("INFO    pc3 rtcpeer.peerconnection.connection: connectionstatechange")
    assert lines[1].endswith("INFO    - rtcpeer.turn.server.core: allocation")


@pytest.mark.usefixtures("clean_logging")
def test_a_record_factory_without_the_name_does_not_break_a_line() -> None:
    """An application that replaced the record factory (not calling rtcpeer's):
    its records lack ``peer_connection``; the CLI's line shows ``-``."""
    stream = io.StringIO()
    configure_logging(1, stream)
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        logging.getLogger("rtcpeer.ice").info("plain record")
    finally:
        logging.setLogRecordFactory(factory)
    assert stream.getvalue().rstrip().endswith("INFO    - rtcpeer.ice: plain record")
