// Loaded into the interop test page by tests/support/chromium.py: named
// RTCPeerConnections whose events are reported to Python via rtcpeerEvent().
// Also: a message pump (one message every N ms), the ICE transport's
// selectedcandidatepairchange times, and in-page Chromium<->Chromium runs
// for the benchmarks (signalling inside the page, timed with performance.now).
window.pcs = {};
window.channels = {};
window.received = {};
window.receivedAt = {};
window.pumps = {};
window.pairChanges = {};
function report(kind, name, data) { window.rtcpeerEvent(JSON.stringify({kind, name, data})); }
function watchChannel(name, channel) {
  window.channels[name] = channel;
  window.received[name] = [];
  window.receivedAt[name] = [];
  channel.onopen = () => report("channelopen", name, channel.label);
  channel.onclose = () => report("channelclose", name, channel.label);
  channel.onmessage = (e) => { window.received[name].push(e.data); window.receivedAt[name].push(performance.now()); };
}
function pairInfo(pair) {
  if (!pair) return null;
  const c = (x) => ({type: x.type, protocol: x.protocol, address: x.address, port: x.port,
                     relayProtocol: x.relayProtocol || null});
  return {local: c(pair.local), remote: c(pair.remote)};
}
// The RTCIceTransport appears once a description with the data section applies.
function watchIceTransport(name) {
  const pc = window.pcs[name];
  if (!pc || !pc.sctp || window.pairChanges[name]) return;
  window.pairChanges[name] = [];
  const ice = pc.sctp.transport.iceTransport;
  ice.onselectedcandidatepairchange = () => {
    const info = pairInfo(ice.getSelectedCandidatePair());
    const entry = {t: performance.now(), pair: info};
    window.pairChanges[name].push(entry);
    report("selectedcandidatepairchange", name, entry);
  };
}
async function selectedPairOf(pc) {
  const stats = await pc.getStats();
  let transport = null; const byId = {};
  stats.forEach((s) => { byId[s.id] = s; if (s.type === "transport") transport = s; });
  if (!transport || !transport.selectedCandidatePairId) return null;
  const pair = byId[transport.selectedCandidatePairId];
  return {pair, local: byId[pair.localCandidateId], remote: byId[pair.remoteCandidateId], transport};
}
function isLoopback(c) {
  if (!c || !c.candidate) return true;
  const parts = c.candidate.split(" ");
  return parts.length > 5 && (parts[4] === "127.0.0.1" || parts[4] === "::1");
}
function waitFor(target, event, check) {
  return new Promise((resolve) => {
    if (check()) { resolve(); return; }
    const listener = () => { if (check()) { target.removeEventListener(event, listener); resolve(); } };
    target.addEventListener(event, listener);
  });
}
// Two in-page connections trickling to each other (loopback candidates only).
function linkPair(a, b) {
  for (const [from, to] of [[a, b], [b, a]]) {
    from.addEventListener("icecandidate", (e) => {
      if (e.candidate && e.candidate.candidate && isLoopback(e.candidate)) to.addIceCandidate(e.candidate).catch(() => {});
    });
  }
}
async function negotiatePair(offerer, answerer) {
  await offerer.setLocalDescription();
  await answerer.setRemoteDescription(offerer.localDescription);
  await answerer.setLocalDescription();
  await offerer.setRemoteDescription(answerer.localDescription);
}
window.rtcpeer = {
  create(name, config) {
    const pc = new RTCPeerConnection(config || {});
    window.pcs[name] = pc;
    pc.onicecandidate = (e) => report("icecandidate", name, e.candidate ? e.candidate.toJSON() : null);
    pc.onicecandidateerror = (e) => report("icecandidateerror", name,
      {url: e.url, errorCode: e.errorCode, errorText: e.errorText, address: e.address, port: e.port});
    pc.oniceconnectionstatechange = () => report("iceconnectionstatechange", name, pc.iceConnectionState);
    pc.onconnectionstatechange = () => report("connectionstatechange", name, pc.connectionState);
    pc.onnegotiationneeded = () => report("negotiationneeded", name, null);
    pc.ondatachannel = (e) => watchChannel(name, e.channel);
    return true;
  },
  createDataChannel(name, label, options) { watchChannel(name, window.pcs[name].createDataChannel(label, options || {})); return true; },
  async createOffer(name, options) { const o = await window.pcs[name].createOffer(options || {}); return {type: o.type, sdp: o.sdp}; },
  async setLocalDescription(name, desc) {
    const pc = window.pcs[name];
    await (desc ? pc.setLocalDescription(desc) : pc.setLocalDescription());
    watchIceTransport(name);
    return pc.localDescription.toJSON();
  },
  async setRemoteDescription(name, desc) { await window.pcs[name].setRemoteDescription(desc); watchIceTransport(name); return true; },
  async addIceCandidate(name, candidate) { await window.pcs[name].addIceCandidate(candidate); return true; },
  setConfiguration(name, config) { window.pcs[name].setConfiguration(config); return true; },
  getConfiguration(name) { const c = window.pcs[name].getConfiguration(); return {iceServers: c.iceServers, iceTransportPolicy: c.iceTransportPolicy}; },
  restartIce(name) { window.pcs[name].restartIce(); return true; },
  state(name) { const pc = window.pcs[name]; return {signalingState: pc.signalingState, iceConnectionState: pc.iceConnectionState, connectionState: pc.connectionState, iceGatheringState: pc.iceGatheringState}; },
  send(name, data) { window.channels[name].send(data); return true; },
  received(name) { return window.received[name]; },
  // Sends "0", "1", ... on the named connection's channel every intervalMs.
  startPump(name, intervalMs) {
    const pump = {sent: 0, timer: null};
    pump.timer = setInterval(() => { window.channels[name].send(String(pump.sent)); pump.sent += 1; }, intervalMs);
    window.pumps[name] = pump;
    return true;
  },
  pumped(name) { return window.pumps[name].sent; },
  stopPump(name) { const pump = window.pumps[name]; clearInterval(pump.timer); return pump.sent; },
  pairChanges(name) { return window.pairChanges[name] || []; },
  selectedPair(name) { return selectedPairOf(window.pcs[name]); },
  close(name) { window.pcs[name].close(); return true; },
  // Media: the fake camera and microphone (--use-fake-device-for-media-stream).
  async addUserMedia(name) {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const track of stream.getTracks()) window.pcs[name].addTrack(track, stream);
    return stream.getTracks().map((t) => t.kind);
  },
  addTransceiver(name, kind, init) { window.pcs[name].addTransceiver(kind, init || {}); return true; },
  async rtpStats(name) {
    const out = [];
    (await window.pcs[name].getStats()).forEach((e) => {
      if (e.type === "inbound-rtp" || e.type === "outbound-rtp") {
        out.push({type: e.type, kind: e.kind, ssrc: e.ssrc, packetsReceived: e.packetsReceived,
          packetsSent: e.packetsSent, framesDecoded: e.framesDecoded,
          totalSamplesReceived: e.totalSamplesReceived});
      }
    });
    return out;
  },

  // --- benchmarks: Chromium <-> Chromium inside the page -------------------
  // Milliseconds from createOffer to both data channels open; then closes both.
  async benchOpen(config) {
    const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
    linkPair(a, b);
    const remote = new Promise((resolve) => { b.ondatachannel = (e) => resolve(e.channel); });
    const start = performance.now();
    const channel = a.createDataChannel("bench");
    await negotiatePair(a, b);
    await waitFor(channel, "open", () => channel.readyState === "open");
    const far = await remote;
    await waitFor(far, "open", () => far.readyState === "open");
    const elapsed = performance.now() - start;
    a.close(); b.close();
    return elapsed;
  },
  // Opens a relay-only pair on configA, streams a message every intervalMs each
  // way, switches both to configB and restarts (a initiates); returns the time
  // from restartIce() until both selected pairs sit on a relay port in
  // [lo, hi], the longest gap between received messages, and the losses.
  async benchRestart(configA, configB, lo, hi, intervalMs) {
    const a = new RTCPeerConnection(configA), b = new RTCPeerConnection(configA);
    linkPair(a, b);
    const remote = new Promise((resolve) => { b.ondatachannel = (e) => resolve(e.channel); });
    const channel = a.createDataChannel("stream");
    await negotiatePair(a, b);
    const far = await remote;
    await waitFor(channel, "open", () => channel.readyState === "open");
    await waitFor(far, "open", () => far.readyState === "open");
    const streams = [[channel, far], [far, channel]].map(([tx, rx]) => {
      const s = {sent: 0, got: [], at: []};
      rx.onmessage = (e) => { s.got.push(Number(e.data)); s.at.push(performance.now()); };
      s.timer = setInterval(() => { tx.send(String(s.sent)); s.sent += 1; }, intervalMs);
      return s;
    });
    await new Promise((r) => setTimeout(r, 200));
    const onB = (pc) => {
      const pair = pc.sctp.transport.iceTransport.getSelectedCandidatePair();
      return pair && pair.local.type === "relay" && pair.local.port >= lo && pair.local.port <= hi;
    };
    const switched = [a, b].map((pc) => waitFor(pc.sctp.transport.iceTransport, "selectedcandidatepairchange", () => onB(pc)).then(() => performance.now()));
    a.setConfiguration(configB); b.setConfiguration(configB);
    const start = performance.now();
    a.restartIce();
    await negotiatePair(a, b);
    const times = await Promise.all(switched);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of streams) clearInterval(s.timer);
    await new Promise((r) => setTimeout(r, 300));
    const result = {restartMs: Math.max(...times) - start, perSideMs: times.map((t) => t - start), lost: 0, duplicatesOrReordered: 0, maxGapMs: 0, sent: 0};
    for (const s of streams) {
      result.sent += s.sent;
      result.lost += s.sent - new Set(s.got).size;
      s.got.forEach((v, i) => { if (v !== i) result.duplicatesOrReordered += 1; });
      for (let i = 1; i < s.at.length; i++) result.maxGapMs = Math.max(result.maxGapMs, s.at[i] - s.at[i - 1]);
    }
    a.close(); b.close();
    return result;
  },
};
