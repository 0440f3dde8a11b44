"""Shared helpers for the JSEP tests: the SDP samples and local parameters."""

from __future__ import annotations

from pathlib import Path

from rtcpeer.jsep import IceCredentials, LocalParameters, LocalTransport
from rtcpeer.sdp import Fingerprint

SAMPLES = Path(__file__).parents[1] / "sdp" / "samples"
OFFER_SAMPLES = sorted(p.name for p in SAMPLES.glob("*offer.sdp"))
ANSWER_SAMPLES = sorted(p.name for p in SAMPLES.glob("*answer.sdp"))

LOCAL_CREDENTIALS = IceCredentials("LoCa", "localpasswordlocalpassw")
FINGERPRINT = Fingerprint("sha-256", ":".join(f"{i:02X}" for i in range(32)))


def read_sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def local_parameters(
    *,
    candidates: tuple[str, ...] = (),
    complete: bool = False,
    credentials: IceCredentials = LOCAL_CREDENTIALS,
    bundle_policy: str = "balanced",
    version: int = 1,
) -> LocalParameters:
    return LocalParameters(
        session_id=1234567890123,
        session_version=version,
        fingerprints=(FINGERPRINT,),
        transport=LocalTransport(credentials, candidates, complete),
        bundle_policy=bundle_policy,
    )
