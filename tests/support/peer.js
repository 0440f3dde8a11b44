// Loaded into the interop test page by tests/support/chromium.py: named
// RTCPeerConnections whose events are reported to Python via rtcpeerEvent().
window.pcs = {};
window.channels = {};
window.received = {};
function report(kind, name, data) { window.rtcpeerEvent(JSON.stringify({kind, name, data})); }
function watchChannel(name, channel) {
  window.channels[name] = channel;
  window.received[name] = [];
  channel.onopen = () => report("channelopen", name, channel.label);
  channel.onclose = () => report("channelclose", name, channel.label);
  channel.onmessage = (e) => { window.received[name].push(e.data); };
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
    pc.ondatachannel = (e) => watchChannel(name, e.channel);
    return true;
  },
  createDataChannel(name, label, options) { watchChannel(name, window.pcs[name].createDataChannel(label, options || {})); return true; },
  async createOffer(name, options) { const o = await window.pcs[name].createOffer(options || {}); return {type: o.type, sdp: o.sdp}; },
  async setLocalDescription(name, desc) {
    const pc = window.pcs[name];
    await (desc ? pc.setLocalDescription(desc) : pc.setLocalDescription());
    return pc.localDescription.toJSON();
  },
  async setRemoteDescription(name, desc) { await window.pcs[name].setRemoteDescription(desc); return true; },
  async addIceCandidate(name, candidate) { await window.pcs[name].addIceCandidate(candidate); return true; },
  setConfiguration(name, config) { window.pcs[name].setConfiguration(config); return true; },
  restartIce(name) { window.pcs[name].restartIce(); return true; },
  send(name, data) { window.channels[name].send(data); return true; },
  received(name) { return window.received[name]; },
  async selectedPair(name) {
    const stats = await window.pcs[name].getStats();
    let transport = null; const byId = {};
    stats.forEach((s) => { byId[s.id] = s; if (s.type === "transport") transport = s; });
    if (!transport || !transport.selectedCandidatePairId) return null;
    const pair = byId[transport.selectedCandidatePairId];
    return {pair, local: byId[pair.localCandidateId], remote: byId[pair.remoteCandidateId]};
  },
  close(name) { window.pcs[name].close(); return true; },
};
