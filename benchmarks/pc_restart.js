// Loaded into the benchmark page by benchmarks/pc_restart.py (after
// tests/support/peer.js): the Chromium <-> Chromium half of the restart-gap
// benchmark, doing in the page exactly what pc_restart.py's rtcpeer half does
// in Python, on the same clock reference (the restartIce() call) and with the
// same phases, so both halves produce the same raw record.
window.rtcpeerBench = {
  // Opens a relay-only pair on configA; streams a message every intervalMs
  // each way; after settleMs + windowMs switches both to configB and restarts
  // (a initiates); keeps streaming until windowMs after restartIce() and both
  // selected pairs sit on a relay port in [lo, hi]; stops the senders, waits
  // drainMs, closes. Returns every send and arrival time in ms relative to the
  // restartIce() call, and each side's switch time.
  async restartRecord(configA, configB, lo, hi, intervalMs, settleMs, windowMs, drainMs) {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const loopback = (c) => {
      const parts = c.candidate.split(" ");
      return parts.length > 5 && (parts[4] === "127.0.0.1" || parts[4] === "::1");
    };
    const until = (target, event, check) => new Promise((resolve) => {
      if (check()) { resolve(); return; }
      const listener = () => { if (check()) { target.removeEventListener(event, listener); resolve(); } };
      target.addEventListener(event, listener);
    });
    const negotiate = async (offerer, answerer) => {
      await offerer.setLocalDescription();
      await answerer.setRemoteDescription(offerer.localDescription);
      await answerer.setLocalDescription();
      await offerer.setRemoteDescription(answerer.localDescription);
    };
    const a = new RTCPeerConnection(configA), b = new RTCPeerConnection(configA);
    for (const [from, to] of [[a, b], [b, a]]) {
      from.addEventListener("icecandidate", (e) => {
        if (e.candidate && e.candidate.candidate && loopback(e.candidate)) to.addIceCandidate(e.candidate).catch(() => {});
      });
    }
    const remote = new Promise((resolve) => { b.ondatachannel = (e) => resolve(e.channel); });
    const channel = a.createDataChannel("stream");
    await negotiate(a, b);
    const far = await remote;
    await until(channel, "open", () => channel.readyState === "open");
    await until(far, "open", () => far.readyState === "open");
    const streams = [[channel, far], [far, channel]].map(([tx, rx]) => {
      const s = {sent: 0, sentAt: [], got: [], at: []};
      rx.onmessage = (e) => { s.got.push(Number(e.data)); s.at.push(performance.now()); };
      s.timer = setInterval(() => { s.sentAt.push(performance.now()); tx.send(String(s.sent)); s.sent += 1; }, intervalMs);
      return s;
    });
    await sleep(settleMs + windowMs);
    const onB = (pc) => {
      const pair = pc.sctp.transport.iceTransport.getSelectedCandidatePair();
      return pair && pair.local.type === "relay" && pair.local.port >= lo && pair.local.port <= hi;
    };
    const switched = [a, b].map((pc) => until(pc.sctp.transport.iceTransport, "selectedcandidatepairchange", () => onB(pc)).then(() => performance.now()));
    a.setConfiguration(configB); b.setConfiguration(configB);
    const start = performance.now();
    a.restartIce();
    await negotiate(a, b);
    const times = await Promise.all(switched);
    const left = start + windowMs - performance.now();
    if (left > 0) await sleep(left);
    for (const s of streams) clearInterval(s.timer);
    await sleep(drainMs);
    a.close(); b.close();
    const rel = (ts) => ts.map((t) => t - start);
    return {
      switchMs: times.map((t) => t - start),
      streams: streams.map((s) => ({sent: s.sent, sentAt: rel(s.sentAt), got: s.got, at: rel(s.at)})),
    };
  },
};
