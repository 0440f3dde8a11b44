"""RTCError (webrtc-pc §11.1) and the mapping from SDP syntax errors to it."""

from __future__ import annotations

from rtcpeer.errors import OperationError
from rtcpeer.sdp import SdpParseError


class RTCError(OperationError):
    """webrtc-pc's RTCError: an OperationError with an ``errorDetail``.

    ``setRemoteDescription``/``setLocalDescription`` reject a description
    that is not valid SDP with ``errorDetail == "sdp-syntax-error"`` and
    ``sdpLineNumber`` set to the offending line.
    """

    def __init__(
        self,
        errorDetail: str,
        message: str = "",
        *,
        sdpLineNumber: int | None = None,
        httpRequestStatusCode: int | None = None,
        sctpCauseCode: int | None = None,
        receivedAlert: int | None = None,
        sentAlert: int | None = None,
    ) -> None:
        super().__init__(message)
        self.errorDetail = errorDetail
        self.sdpLineNumber = sdpLineNumber
        self.httpRequestStatusCode = httpRequestStatusCode
        self.sctpCauseCode = sctpCauseCode
        self.receivedAlert = receivedAlert
        self.sentAlert = sentAlert


def sdp_syntax_error(error: SdpParseError) -> RTCError:
    """The RTCError webrtc-pc requires for SDP that does not parse."""
    return RTCError("sdp-syntax-error", str(error), sdpLineNumber=error.line_number)


__all__ = ["RTCError", "sdp_syntax_error"]
