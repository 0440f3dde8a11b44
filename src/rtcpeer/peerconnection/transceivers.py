"""The transceivers of one peer connection: JSEP bookkeeping and the media runtime.

webrtc-pc's [[Transceivers]] with what the peer connection does to them:

* :meth:`Transceivers.add` makes a transceiver (addTrack, addTransceiver,
  or a new section in a remote offer) with its aiortc RTP sender and
  receiver over the session's one DTLS transport; SSRCs are fixed at once
  so they can be announced before anything is sent.
* :meth:`~Transceivers.offer_plans` / :meth:`~Transceivers.answer_plans`
  describe them to :mod:`rtcpeer.jsep.media_session`; the ``*_applied``
  methods take what a description agreed (association by mid, new
  ``recvonly`` transceivers for new remote sections, negotiated codecs
  and directions) and return the ``track`` events to fire; the other effects
  of webrtc-pc's "process the addition/removal of a remote track" (mute and
  unmute, ``addtrack``/``removetrack`` on remote streams) wait in
  :meth:`~Transceivers.fire_remote_track_changes` until the signaling state
  change has been announced.
* :meth:`~Transceivers.rolled_back` restores what a rolled-back remote offer
  changed: mids, receiving state and stream association as they were in the
  last stable state; transceivers the offer created are removed.
* :meth:`~Transceivers.start_media` starts (or re-points) the RTP sender
  and receiver of every negotiated section; nothing here is torn down by
  an ICE restart, which happens below the DTLS transport.
* :meth:`~Transceivers.stats_groups` gathers their W3C stats entries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rtcpeer.jsep.codecs import HeaderExtension
from rtcpeer.jsep.media import (
    AnsweredMedia,
    MediaSectionPlan,
    NegotiatedMedia,
    RemoteMedia,
    intersect_directions,
    negotiate_from_answer,
    reverse_direction,
)
from rtcpeer.peerconnection.rtp import (
    MediaStream,
    RTCRtpEncodingParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCTrackEvent,
    RtpOwner,
    new_cname,
)
from rtcpeer.sdp import SessionDescription
from rtcpeer.transport import (
    MediaReceiver,
    MediaSender,
    MediaStreamTrack,
    RtpReceiveSettings,
    RtpSendSettings,
)
from rtcpeer.transport.media_capabilities import rtp_codec, rtp_header_extension


def send_settings(negotiated: NegotiatedMedia, cname: str) -> RtpSendSettings:
    """What the RTP sender of a negotiated section is started with."""
    return RtpSendSettings(
        codecs=tuple([rtp_codec(c) for c in negotiated.codecs]),
        header_extensions=tuple([rtp_header_extension(e) for e in negotiated.header_extensions]),
        mid=negotiated.mid,
        cname=cname,
    )


def receive_settings(negotiated: NegotiatedMedia) -> RtpReceiveSettings:
    """What the RTP receiver of a negotiated section is started with (the peer's SSRCs)."""
    remote = negotiated.remote
    return RtpReceiveSettings(
        codecs=tuple([rtp_codec(c) for c in negotiated.codecs]),
        header_extensions=tuple([rtp_header_extension(e) for e in negotiated.header_extensions]),
        mid=negotiated.mid,
        ssrc=remote.ssrc,
        rtx_ssrc=remote.rtx_ssrc,
        cname=remote.cname,
    )


def _fresh_mid(taken: set[str]) -> str:
    number = 0
    while str(number) in taken:
        number += 1
    return str(number)


@dataclass
class RemoteTrackChanges:
    """What applying a description did to remote tracks, in webrtc-pc's firing order."""

    #: Tracks to set muted (their section no longer receives).
    mute: list[RTCRtpReceiver] = field(default_factory=list)
    #: (stream, track) pairs the track leaves, then joins.
    removed: list[tuple[MediaStream, MediaStreamTrack]] = field(default_factory=list)
    added: list[tuple[MediaStream, MediaStreamTrack]] = field(default_factory=list)
    #: Tracks to set unmuted (their section receives again).
    unmute: list[RTCRtpReceiver] = field(default_factory=list)
    #: Tracks that end (their transceiver was removed by a rollback).
    ended: list[MediaStreamTrack] = field(default_factory=list)


@dataclass(frozen=True)
class _StableState:
    """A transceiver as it was in the last stable state (what a rollback restores)."""

    mid: str | None
    receiving: bool
    streams: tuple[MediaStream, ...]
    remote_offer_direction: str | None
    stopping: bool

    @classmethod
    def of(cls, transceiver: RTCRtpTransceiver) -> _StableState:
        return cls(
            transceiver._mid,
            transceiver._receiving,
            transceiver.receiver._streams,
            transceiver._remote_offer_direction,
            transceiver._stopping,
        )


@dataclass(frozen=True)
class StatsGroup:
    """The stats entries of one sender or receiver (for getStats(selector))."""

    owner: RTCRtpSender | RTCRtpReceiver
    entries: tuple[dict[str, Any], ...]


class Transceivers:
    """[[Transceivers]] of one peer connection, in creation order."""

    def __init__(self, owner: RtpOwner) -> None:
        self._owner = owner
        #: A tuple (a new one per added transceiver, which is rare): a data-only
        #: connection keeps the shared empty one, not an empty list of its own.
        self.all: tuple[RTCRtpTransceiver, ...] = ()
        #: Our RTCP CNAME, the same for every section (RFC 7022).
        self.cname = new_cname()
        self._remote_streams: dict[str, MediaStream] = {}
        #: The plans of the last created offer, and of the local offer in force, by mid.
        self._created_offer: dict[str, tuple[RTCRtpTransceiver, MediaSectionPlan]] = {}
        self._offered: dict[str, tuple[RTCRtpTransceiver, MediaSectionPlan]] = {}
        #: Each transceiver as it was before the remote offer in force (None: stable).
        self._stable: dict[RTCRtpTransceiver, _StableState] | None = None
        # Made when a description changes remote tracks, gone once fired
        # (five empty lists held by every connection otherwise, ~0.4 KiB).
        self._changes: RemoteTrackChanges | None = None

    def __iter__(self) -> Iterator[RTCRtpTransceiver]:
        return iter(self.all)

    def __bool__(self) -> bool:
        return bool(self.all)

    # -- creating ---------------------------------------------------------------------------
    def add(
        self,
        dtls: Any,
        kind: str,
        track: MediaStreamTrack | None,
        direction: str,
        stream_ids: tuple[str, ...] = (),
        encoding: RTCRtpEncodingParameters | None = None,
        *,
        added_by_track: bool = False,
    ) -> RTCRtpTransceiver:
        """A new transceiver at the end of [[Transceivers]].

        The RTP sender starts without a track: the track is handed to it
        once a negotiation says the section sends.
        """
        sender_media = MediaSender(dtls, kind)
        receiver_media = MediaReceiver(dtls, kind, rtcp_ssrc=sender_media.ssrc)
        sender = RTCRtpSender(
            self._owner,
            kind,
            sender_media,
            track,
            stream_ids,
            encoding if encoding is not None else RTCRtpEncodingParameters(),
        )
        receiver = RTCRtpReceiver(self._owner, kind, receiver_media)
        transceiver = RTCRtpTransceiver(
            self._owner,
            kind,
            sender,
            receiver,
            direction,
            cname=self.cname,
            added_by_track=added_by_track,
        )
        self.all += (transceiver,)
        return transceiver

    def reusable_for(self, track: MediaStreamTrack) -> RTCRtpTransceiver | None:
        """addTrack's reuse rule: a transceiver of the track's kind whose sender never
        sent and has no track, not stopped (webrtc-pc §5.1 addTrack step 7)."""
        for transceiver in self.all:
            if (
                transceiver.kind == track.kind
                and transceiver.sender.track is None
                and not transceiver._ever_sent
                and not transceiver._stopping
                and transceiver._current_direction not in ("sendrecv", "sendonly")
            ):
                return transceiver
        return None

    # -- offers and answers --------------------------------------------------------------------
    def offer_plans(self, taken: Iterable[str | None]) -> list[MediaSectionPlan]:
        """One plan per transceiver to offer; unassociated ones get fresh mids."""
        used = {mid for mid in taken if mid is not None}
        used |= {t.mid for t in self.all if t.mid is not None}
        plans: list[MediaSectionPlan] = []
        created: dict[str, tuple[RTCRtpTransceiver, MediaSectionPlan]] = {}
        in_use = self._extensions_in_use()
        for transceiver in self.all:
            mid = transceiver.mid
            if mid is None:
                if transceiver._stopping:
                    continue  # stopped before it was ever offered: no section
                mid = _fresh_mid(used)
                used.add(mid)
            plan = transceiver._plan(mid, in_use)
            plans.append(plan)
            created[mid] = (transceiver, plan)
        self._created_offer = created
        return plans

    def _extensions_in_use(self) -> tuple[HeaderExtension, ...]:
        """Every header extension id negotiated in the BUNDLE group so far, once each."""
        seen: dict[str, HeaderExtension] = {}
        for transceiver in self.all:
            negotiated = transceiver._negotiated
            if negotiated is not None:
                for extension in negotiated.header_extensions:
                    seen.setdefault(extension.uri, extension)
        return tuple(seen.values())

    def answer_plans(self) -> dict[str, MediaSectionPlan]:
        """Our associated transceivers as plans, by mid (for createAnswer)."""
        return {t.mid: t._plan(t.mid) for t in self.all if t.mid is not None}

    def local_offer_applied(self, description: SessionDescription) -> None:
        """SLD(offer): the offered transceivers take their mids."""
        offered = {s.mid for s in description.media if s.mid is not None}
        self._offered = {mid: v for mid, v in self._created_offer.items() if mid in offered}
        for mid, (transceiver, _plan) in self._offered.items():
            if transceiver._mid is None:
                transceiver._mid = mid

    def remote_offer_applied(
        self, dtls: Any, media: tuple[RemoteMedia | None, ...]
    ) -> list[RTCTrackEvent]:
        """SRD(offer): associate each audio/video section with a transceiver by mid
        (or an unassociated addTrack one of its kind, or a new ``recvonly`` one)."""
        if self._stable is None:
            self._stable = {t: _StableState.of(t) for t in self.all}
        events: list[RTCTrackEvent] = []
        for remote in media:
            if remote is None or remote.mid is None:
                continue
            transceiver = self.by_mid(remote.mid)
            if remote.rejected:
                if transceiver is not None:  # the peer stopped it: our answer rejects it too
                    transceiver._stopping = True
                continue
            if transceiver is None:
                transceiver = next(
                    (
                        t
                        for t in self.all
                        if t.mid is None
                        and t.kind == remote.kind
                        and t._added_by_track
                        and not t._stopping
                    ),
                    None,
                )
            if transceiver is None:
                transceiver = self.add(dtls, remote.kind, None, "recvonly")
                transceiver._from_remote_offer = True
            transceiver._mid = remote.mid
            transceiver._remote_offer_direction = remote.direction
            events += self._remote_sends(transceiver, remote)
        return events

    def local_answer_applied(
        self, answered: tuple[AnsweredMedia | None, ...], *, final: bool = True
    ) -> None:
        """SLD(answer or pranswer): what our answer agreed, section by section (a
        section our answer does not receive on processes the removal of its remote
        track). A pranswer (not ``final``) sets currentDirection as well (webrtc-pc)."""
        if final:
            self._stable = None
        for item in answered:
            if item is None or item.section.mid is None:
                continue
            transceiver = self.by_mid(item.section.mid)
            if transceiver is None:
                continue
            self._negotiated(transceiver, item.negotiated, rejected=item.section.is_rejected)
            transceiver._offered_direction = None
            if item.negotiated is not None:
                transceiver._local_direction = item.negotiated.direction
            if item.negotiated is None or not item.negotiated.receiving:
                self._remote_track_removed(transceiver)

    def remote_answer_applied(
        self, offer: SessionDescription, answer: SessionDescription
    ) -> list[RTCTrackEvent]:
        """SRD(answer): what the peer's answer agreed for each section we offered."""
        self._stable = None
        events: list[RTCTrackEvent] = []
        for mid, (transceiver, plan) in self._offered.items():
            index = offer.index_of_mid(mid)
            if index is None or index >= len(answer.media):
                continue
            negotiated = negotiate_from_answer(
                offer.media[index], answer.media[index], plan, index=index
            )
            self._negotiated(transceiver, negotiated, rejected=answer.media[index].is_rejected)
            transceiver._offered_direction = transceiver._local_direction = plan.direction
            if negotiated is not None:
                events += self._remote_sends(transceiver, negotiated.remote)
            else:
                self._remote_track_removed(transceiver)
        return events

    def _negotiated(
        self, transceiver: RTCRtpTransceiver, negotiated: NegotiatedMedia | None, *, rejected: bool
    ) -> None:
        transceiver._negotiated = negotiated
        if negotiated is not None:
            transceiver._current_direction = negotiated.direction
        elif rejected:
            transceiver._stopping = True
            transceiver._current_direction = "inactive"

    def _remote_sends(
        self, transceiver: RTCRtpTransceiver, remote: RemoteMedia
    ) -> list[RTCTrackEvent]:
        """webrtc-pc "process the addition/removal of a remote track" for a remote section.

        The track joins the streams of the section's a=msid and leaves the
        others; a ``track`` event fires when the section starts receiving or
        the track joined a stream. A section the peer no longer sends on (or
        stopped) mutes the track and takes it out of its streams.
        """
        if not remote.sends or transceiver._stopping:
            self._remote_track_removed(transceiver)
            return []
        joined = self._associate(transceiver, remote.stream_ids)
        if transceiver._receiving and not joined:
            return []
        transceiver._receiving = True
        self._pending_changes().unmute.append(transceiver.receiver)
        receiver = transceiver.receiver
        return [RTCTrackEvent(receiver, receiver.track, receiver._streams, transceiver)]

    def _remote_track_removed(self, transceiver: RTCRtpTransceiver) -> None:
        """webrtc-pc "process the removal of a remote track": muted, out of its streams."""
        self._associate(transceiver, ())
        if transceiver._receiving:
            transceiver._receiving = False
            self._pending_changes().mute.append(transceiver.receiver)

    def _associate(self, transceiver: RTCRtpTransceiver, stream_ids: Iterable[str]) -> bool:
        """webrtc-pc "set the associated remote streams"; True if the track joined one."""
        streams: list[MediaStream] = []
        for stream_id in stream_ids:
            stream = self._remote_streams.get(stream_id)
            if stream is None:
                stream = self._remote_streams[stream_id] = MediaStream(id=stream_id)
            if stream not in streams:
                streams.append(stream)
        return self._set_streams(transceiver, tuple(streams))

    def _set_streams(
        self, transceiver: RTCRtpTransceiver, streams: tuple[MediaStream, ...]
    ) -> bool:
        receiver = transceiver.receiver
        track, before = receiver.track, receiver._streams
        self._pending_changes().removed += [(s, track) for s in before if s not in streams]
        joined = [(s, track) for s in streams if s not in before]
        self._pending_changes().added += joined
        receiver._streams = streams
        return bool(joined)

    def _pending_changes(self) -> RemoteTrackChanges:
        """The remote-track changes waiting to be fired (made on first use)."""
        changes = self._changes
        if changes is None:
            changes = self._changes = RemoteTrackChanges()
        return changes

    def fire_remote_track_changes(self) -> None:
        """Apply and announce what the last description did to remote tracks: ``mute``,
        then ``removetrack`` and ``addtrack`` on streams, then ``unmute``, then the
        end of the tracks of removed transceivers (the ``track`` events follow,
        fired by the peer connection)."""
        changes, self._changes = self._changes, None
        if changes is None:
            return
        for receiver in changes.mute:
            receiver._set_muted(True)
        for stream, track in changes.removed:
            stream._remote_changed(track, added=False)
        for stream, track in changes.added:
            stream._remote_changed(track, added=True)
        for receiver in changes.unmute:
            receiver._set_muted(False)
        for track in changes.ended:
            track.stop()

    def by_mid(self, mid: str) -> RTCRtpTransceiver | None:
        return next((t for t in self.all if t.mid == mid), None)

    def rolled_back(self) -> None:
        """A pending offer was rolled back (webrtc-pc §4.4.1.5).

        After a remote offer every transceiver that existed before it gets
        back its mid, receiving state, remote streams and the remote direction
        it answered (a track the offer removed is unmuted and rejoins its
        streams, one it added is muted and leaves them); the ones the offer
        created are removed and their tracks end, unless addTrack attached a
        track to one since: that one stays, without a mid. After a local offer
        the transceivers it associated lose their mid unless a completed
        negotiation gave it.
        """
        stable, self._stable = self._stable, None
        kept: list[RTCRtpTransceiver] = []
        for transceiver in self.all:
            state = stable.get(transceiver) if stable is not None else None
            if state is not None:
                self._restore(transceiver, state)
                kept.append(transceiver)
                continue
            never_negotiated = transceiver._current_direction is None
            if never_negotiated and transceiver._from_remote_offer:
                if not transceiver._added_by_track:
                    self._remote_track_removed(transceiver)
                    self._pending_changes().ended.append(transceiver.receiver.track)
                    continue
                self._remote_track_removed(transceiver)
                transceiver._from_remote_offer = False
            if never_negotiated:
                transceiver._mid = None
            kept.append(transceiver)
        self.all = tuple(kept)
        self._offered = {}

    def _restore(self, transceiver: RTCRtpTransceiver, state: _StableState) -> None:
        transceiver._mid = state.mid
        transceiver._remote_offer_direction = state.remote_offer_direction
        transceiver._stopping = state.stopping
        self._set_streams(transceiver, state.streams)
        if state.receiving and not transceiver._receiving:
            self._pending_changes().unmute.append(transceiver.receiver)
        elif transceiver._receiving and not state.receiving:
            self._pending_changes().mute.append(transceiver.receiver)
        transceiver._receiving = state.receiving

    # -- negotiation-needed -----------------------------------------------------------------------
    def negotiation_needed(self, local: SessionDescription | None) -> bool:
        """webrtc-pc "check if negotiation is needed", for the transceivers."""
        for transceiver in self.all:
            if transceiver._stopped:
                continue
            mid = transceiver.mid
            if transceiver._stopping:
                if mid is not None and local is not None:
                    index = local.index_of_mid(mid)
                    if index is not None and not local.media[index].is_rejected:
                        return True
                continue
            if mid is None:
                return True
            local_direction = transceiver._local_direction
            if local_direction is None:
                continue  # associated by a remote offer not yet answered
            if transceiver._offered_direction is not None:
                if transceiver._direction != local_direction:
                    return True
            else:
                offered = transceiver._remote_offer_direction or "sendrecv"
                expected = intersect_directions(transceiver._direction, reverse_direction(offered))
                if expected != local_direction:
                    return True
        return False

    # -- the runtime -----------------------------------------------------------------------------
    async def start_media(self) -> None:
        """Start or re-point each section's RTP sender and receiver as negotiated."""
        for transceiver in self.all:
            if transceiver._stopping:
                if transceiver._current_direction is not None or transceiver.mid is None:
                    await self._stop_media(transceiver)
                continue
            negotiated = transceiver._negotiated
            if negotiated is None:
                continue
            sender = transceiver.sender
            if negotiated.sending:
                sender._media.replace_track(sender.track)
                await sender._media.renegotiate(send_settings(negotiated, self.cname))
                transceiver._ever_sent = True
            else:
                sender._media.replace_track(None)
            if negotiated.receiving:
                await transceiver.receiver._media.start(receive_settings(negotiated))

    async def _stop_media(self, transceiver: RTCRtpTransceiver) -> None:
        if transceiver._stopped:
            return
        transceiver._stopped = True
        transceiver._stopping = True
        with contextlib.suppress(Exception):
            await transceiver.sender._media.stop()
        with contextlib.suppress(Exception):
            await transceiver.receiver._media.stop()

    async def close(self) -> None:
        """close(): every sender and receiver stops (remote tracks end)."""
        for transceiver in self.all:
            await self._stop_media(transceiver)
            transceiver._current_direction = None

    # -- stats ------------------------------------------------------------------------------------
    async def stats_groups(self, transport_id: str, timestamp: float) -> list[StatsGroup]:
        """outbound-rtp / remote-inbound-rtp / media-source per sender, inbound-rtp /
        remote-outbound-rtp per receiver, and the codec entries they name."""
        groups: list[StatsGroup] = []
        for transceiver in self.all:
            negotiated = transceiver._negotiated
            if negotiated is None:
                continue
            sender, receiver = transceiver.sender, transceiver.receiver
            if sender._media.settings is not None:
                entries = await sender._media.stats(transport_id=transport_id)
                codec = negotiated.send_codec
                extra: list[dict[str, Any]] = []
                codec_id = None
                if codec is not None:
                    codec_entry = _codec_entry(codec, transport_id, timestamp)
                    codec_id = codec_entry["id"]
                    extra.append(codec_entry)
                source_id = None
                if sender.track is not None:
                    source_id = f"SO{transceiver.mid}"
                    extra.append(
                        {
                            "id": source_id,
                            "type": "media-source",
                            "timestamp": timestamp,
                            "kind": transceiver.kind,
                            "trackIdentifier": sender.track.id,
                        }
                    )
                _link(entries, "outbound-rtp", codec_id, "remote-inbound-rtp")
                for entry in entries:
                    if entry["type"] == "outbound-rtp" and source_id is not None:
                        entry["mediaSourceId"] = source_id
                groups.append(StatsGroup(sender, tuple(entries + extra)))
            if receiver._media.settings is not None:
                entries = await receiver._media.stats(transport_id=transport_id)
                codec = negotiated.send_codec
                extra = []
                codec_id = None
                for entry in entries:
                    if entry["type"] != "inbound-rtp":
                        continue
                    payload_type = receiver._media.payload_types.get(entry["ssrc"])
                    match = next(
                        (c for c in negotiated.codecs if c.payload_type == payload_type), codec
                    )
                    if match is not None:
                        codec_entry = _codec_entry(match, transport_id, timestamp)
                        codec_id = codec_entry["id"]
                        if codec_entry not in extra:
                            extra.append(codec_entry)
                    entry["trackIdentifier"] = receiver.track.id
                _link(entries, "inbound-rtp", codec_id, "remote-outbound-rtp")
                groups.append(StatsGroup(receiver, tuple(entries + extra)))
        return groups


def _codec_entry(codec: Any, transport_id: str, timestamp: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"CO{transport_id}_{codec.payload_type}",
        "type": "codec",
        "timestamp": timestamp,
        "payloadType": codec.payload_type,
        "mimeType": codec.mime_type,
        "clockRate": codec.clock_rate,
        "transportId": transport_id,
    }
    if codec.channels is not None:
        entry["channels"] = codec.channels
    if codec.fmtp is not None:
        entry["sdpFmtpLine"] = codec.fmtp
    return entry


def _link(entries: list[dict[str, Any]], local: str, codec_id: str | None, remote: str) -> None:
    """codecId on the local RTP entry; localId/remoteId between it and its remote entry."""
    ours = next((e for e in entries if e["type"] == local), None)
    theirs = next((e for e in entries if e["type"] == remote), None)
    if ours is not None and codec_id is not None:
        ours["codecId"] = codec_id
    if ours is not None and theirs is not None:
        ours["remoteId"] = theirs["id"]
        theirs["localId"] = ours["id"]
        if codec_id is not None:
            theirs["codecId"] = codec_id


__all__ = [
    "RemoteTrackChanges",
    "StatsGroup",
    "Transceivers",
    "receive_settings",
    "send_settings",
]
