// Loaded into the interop test page by tests/support/chromium.py: named
// RTCPeerConnections whose events are reported to Python via rtcpeerEvent().
