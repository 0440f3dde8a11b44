"""Helpers shared by test files. Every one lives here; import them one way:
``from tests.support.<name> import ...``.

External peers (``coturn``, ``chromium``, ``aiortc_stack``), network namespaces
(``netns``, ``network_changes``), waiting on events (``waiting``), signalling
bridges (``signalling``), media (``media``), in-memory DTLS paths
(``memory_path``), rtcpeer <-> rtcpeer peers (``peer_connections``), the
interop tests' pieces (``interop``, ``chromium_session``), JSEP and SDP samples
(``jsep``, ``sdp``), the examples' loader (``examples``), ICE pairs (``ice_pair``).
"""
