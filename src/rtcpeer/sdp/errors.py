"""The one exception the SDP codec raises for malformed input."""

from __future__ import annotations


class SdpParseError(ValueError):
    """Malformed SDP: ``line_number`` (1-based, 0 for the whole text) and ``reason``.

    webrtc-pc rejects a description that is not valid SDP with an RTCError
    whose errorDetail is "sdp-syntax-error" and whose sdpLineNumber is the
    offending line; the line number kept here is what that error needs.
    """

    def __init__(self, line_number: int, reason: str, line: str | None = None) -> None:
        where = f"line {line_number}" if line_number else "SDP"
        text = f"{where}: {reason}"
        if line is not None:
            shown = line if len(line) <= 80 else line[:77] + "..."
            text += f" ({shown!r})"
        super().__init__(text)
        self.line_number = line_number
        self.reason = reason
        self.line = line


class SdpValueError(ValueError):
    """An attribute or field value that does not match its grammar.

    Raised by the value parsers in :mod:`rtcpeer.sdp.grammar`; the parser
    turns it into an :class:`SdpParseError` carrying the line number.
    """


__all__ = ["SdpParseError", "SdpValueError"]
