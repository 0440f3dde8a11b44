// The page side of the browser demo: a relay-only RTCPeerConnection signalled over a
// WebSocket with the Python rtcpeer peer, an echo stream with round-trip times, and the
// selected candidate pair read from getStats(). window.demo is for tests and the console.
"use strict";

const INTERVAL_MS = 20;       // one timestamped message every 20 ms
const LOST_AFTER_MS = 3000;   // unanswered this long: counted as lost
const CHART_WINDOW_MS = 15000;

const state = {
  pc: null, channel: null, regions: {}, sending: true,
  seq: 0, sent: 0, echoed: 0, duplicates: 0, outOfOrder: 0, highest: -1,
  pending: new Map(), samples: [], moves: [],
  pair: null, pythonPair: null, pythonEchoed: 0,
  moving: null, lastMoveMs: null, connectedAt: null,
  // The camera echo: frames decoded (getStats), the longest time they stood still.
  camera: null, framesDecoded: 0, framesAt: null, longestStallMs: null, pythonVideoFrames: 0,
  moveFrames: null,
};
const $ = (id) => document.getElementById(id);
const now = () => performance.now();

function log(text) {
  const item = document.createElement("li");
  item.textContent = `${(now() / 1000).toFixed(3)}s  ${text}`;
  $("log").prepend(item);
}

// -- signalling ------------------------------------------------------------------------
const ws = new WebSocket(`ws://${location.host}/ws`);
let inbox = Promise.resolve();  // handle messages strictly in order
ws.onmessage = (event) => {
  const message = JSON.parse(event.data);
  inbox = inbox.then(() => handle(message)).catch((error) => log(`error: ${error}`));
};
ws.onopen = () => log("signalling WebSocket open");
ws.onclose = () => log("signalling WebSocket closed");
function send(message) {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

async function handle(message) {
  switch (message.type) {
    case "hello":
      state.regions = message.regions;
      log(`relay-only through region ${message.region} (${message.regions[message.region].url})`);
      createPeer(message.configuration);
      break;
    case "configure":
      state.pc.setConfiguration(message.configuration);
      log(`setConfiguration: region ${message.region} (${message.configuration.iceServers[0].urls})`);
      break;
    case "offer": {
      const first = state.pc.remoteDescription === null;
      await state.pc.setRemoteDescription(message.description);
      await attachCamera();
      await state.pc.setLocalDescription();
      send({type: "answer", description: state.pc.localDescription.toJSON()});
      log(first ? "offer applied, answer sent" : message.iceRestart ?
          "ICE restart offer applied, answer sent" : "new offer (video) applied, answer sent");
      break;
    }
    case "candidate":
      if (message.candidate) await state.pc.addIceCandidate(message.candidate);
      break;
    case "python":
      if (JSON.stringify(message.pair) !== JSON.stringify(state.pythonPair) && message.pair) {
        log(`python selected pair: relay ${message.pair.local.address}:${message.pair.local.port}` +
            ` (region ${message.pair.local.region})`);
      }
      state.pythonPair = message.pair;
      state.pythonEchoed = message.echoed;
      state.pythonVideoFrames = message.videoFrames || 0;
      checkMoved();
      break;
    case "error":
      log(`server: ${message.message}`);
      break;
  }
  render();
}

// -- the peer connection -----------------------------------------------------------------
function createPeer(configuration) {
  const pc = new RTCPeerConnection(configuration);
  state.pc = pc;
  pc.onicecandidate = (event) => {
    if (event.candidate && event.candidate.candidate) {
      log(`local candidate ${event.candidate.type} ${event.candidate.address}:${event.candidate.port}`);
    }
    send({type: "candidate", candidate: event.candidate ? event.candidate.toJSON() : null});
  };
  pc.onicecandidateerror = (event) =>
    log(`candidate error ${event.errorCode} from ${event.url}: ${event.errorText}`);
  pc.onconnectionstatechange = () => { log(`connection: ${pc.connectionState}`); render(); };
  pc.oniceconnectionstatechange = () => { log(`ICE connection: ${pc.iceConnectionState}`); render(); };
  pc.onicegatheringstatechange = () => log(`ICE gathering: ${pc.iceGatheringState}`);
  pc.onsignalingstatechange = () => render();
  pc.ontrack = (event) => {
    if (event.track.kind !== "video") return;
    log("receiving the echoed camera");
    $("remote-video").srcObject = new MediaStream([event.track]);
  };
  pc.ondatachannel = (event) => {
    const channel = event.channel;
    state.channel = channel;
    channel.onmessage = onEcho;
    channel.onopen = () => {
      state.connectedAt = now();
      log(`data channel '${channel.label}' open`);
      const ice = pc.sctp && pc.sctp.transport.iceTransport;
      if (ice) ice.onselectedcandidatepairchange = () => { log("selectedcandidatepairchange"); refreshPair(); };
      refreshPair();
    };
  };
}

// -- the camera ----------------------------------------------------------------------------
// The Python side adds a video transceiver and offers it; the answer puts the camera on it.
async function cameraOn() {
  $("camera").disabled = true;
  state.camera = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}});
  $("local-video").srcObject = state.camera;
  $("camera-section").hidden = false;
  log("camera on: asking the python peer for a video transceiver");
  send({type: "camera"});
}
async function attachCamera() {
  if (!state.camera) return;
  const track = state.camera.getVideoTracks()[0];
  for (const transceiver of state.pc.getTransceivers()) {
    if (transceiver.receiver.track.kind !== "video" || transceiver.sender.track) continue;
    transceiver.direction = "sendrecv";
    await transceiver.sender.replaceTrack(track);
    log("camera attached to the offered video transceiver");
  }
}
function noteFrames(report) {
  report.forEach((s) => {
    if (s.type !== "inbound-rtp" || s.kind !== "video") return;
    const frames = s.framesDecoded || 0;
    const t = now();
    if (frames > state.framesDecoded) {
      if (state.framesAt !== null) {
        state.longestStallMs = Math.max(state.longestStallMs || 0, t - state.framesAt);
      }
      state.framesDecoded = frames;
      state.framesAt = t;
    }
  });
}
$("camera").onclick = () => cameraOn().catch((error) => log(`camera: ${error}`));

// -- the echo stream ---------------------------------------------------------------------
function tick() {
  const channel = state.channel;
  if (!state.sending || !channel || channel.readyState !== "open") return;
  const seq = state.seq++;
  const t = now();
  channel.send(JSON.stringify({seq, t}));
  state.pending.set(seq, t);
  state.sent++;
}

function onEcho(event) {
  const {seq, t} = JSON.parse(event.data);
  if (!state.pending.has(seq)) { state.duplicates++; return; }
  state.pending.delete(seq);
  if (seq < state.highest) state.outOfOrder++;
  state.highest = Math.max(state.highest, seq);
  state.echoed++;
  const at = now();
  state.samples.push({at, rtt: at - t, region: currentRegion()});
  while (state.samples.length && state.samples[0].at < at - CHART_WINDOW_MS) state.samples.shift();
}

function lost() {
  const cutoff = now() - LOST_AFTER_MS;
  let count = 0;
  for (const t of state.pending.values()) if (t < cutoff) count++;
  return count;
}

// -- the selected pair, from getStats() ------------------------------------------------------
function regionOf(port) {
  for (const [name, region] of Object.entries(state.regions)) {
    if (port >= region.relayPorts[0] && port <= region.relayPorts[1]) return name;
  }
  return null;
}
function endpoint(stats) {
  return {type: stats.candidateType, address: stats.address, port: stats.port, protocol: stats.protocol,
          relayProtocol: stats.relayProtocol || null,
          region: stats.candidateType === "relay" ? regionOf(stats.port) : null};
}
async function refreshPair() {
  if (!state.pc) return;
  const report = await state.pc.getStats();
  noteFrames(report);
  const byId = {};
  let transport = null;
  report.forEach((s) => { byId[s.id] = s; if (s.type === "transport") transport = s; });
  if (!transport || !transport.selectedCandidatePairId) return;
  const pair = byId[transport.selectedCandidatePairId];
  if (!pair || !byId[pair.localCandidateId] || !byId[pair.remoteCandidateId]) return;
  const next = {local: endpoint(byId[pair.localCandidateId]), remote: endpoint(byId[pair.remoteCandidateId])};
  if (JSON.stringify(next) !== JSON.stringify(state.pair)) {
    log(`browser selected pair: ${next.local.type} ${next.local.address}:${next.local.port}` +
        ` (region ${next.local.region}) <-> ${next.remote.type} ${next.remote.address}:${next.remote.port}` +
        ` (region ${next.remote.region})`);
    state.pair = next;
    checkMoved();
  }
  render();
}
function currentRegion() { return state.pair ? state.pair.local.region : null; }

// -- moving ----------------------------------------------------------------------------
function otherRegion() { return currentRegion() === "B" ? "A" : "B"; }
function move() {
  const target = otherRegion();
  state.moving = {to: target, started: now(), frames: state.framesDecoded};
  state.moves.push({at: now(), to: target});
  log(`move to region ${target}: asking the python peer to setConfiguration + restart ICE`);
  send({type: "move", region: target});
  render();
}
function checkMoved() {
  const moving = state.moving;
  if (!moving || !state.pair || !state.pythonPair) return;
  if (state.pair.local.region === moving.to && state.pair.remote.region === moving.to &&
      state.pythonPair.local.region === moving.to) {
    state.lastMoveMs = now() - moving.started;
    state.moveFrames = state.camera ? state.framesDecoded - moving.frames : null;
    state.moving = null;
    log(`both sides relay through region ${moving.to}, ${state.lastMoveMs.toFixed(0)} ms after the click`);
  }
}
$("move").onclick = move;

// -- drawing ---------------------------------------------------------------------------
const COLOURS = {A: "#1aa7b8", B: "#b8329a"};
function setPairRow(prefix, end) {
  $(`${prefix}-type`).textContent = end ? end.type : "-";
  $(`${prefix}-addr`).textContent = end ? `${end.address}:${end.port}` : "-";
  $(`${prefix}-proto`).textContent = end ? end.protocol + (end.relayProtocol ? ` (${end.relayProtocol} to TURN)` : "") : "-";
  $(`${prefix}-region`).textContent = end && end.region ? `region ${end.region}` : "-";
}
function render() {
  const pc = state.pc;
  $("connection-state").textContent = pc ? pc.connectionState : "new";
  $("ice-state").textContent = pc ? pc.iceConnectionState : "new";
  $("signaling-state").textContent = pc ? pc.signalingState : "-";
  const region = currentRegion();
  const badge = $("region-badge");
  badge.textContent = region ? `Region ${region}` : "-";
  badge.className = `badge region-${region || "none"}`;
  const button = $("move");
  button.disabled = !region || state.moving !== null || !pc || pc.signalingState !== "stable";
  button.textContent = state.moving ? `Moving to region ${state.moving.to}…` :
    (region === "B" ? "Move back to region A" : "Move to region B");
  setPairRow("b-local", state.pair && state.pair.local);
  setPairRow("b-remote", state.pair && state.pair.remote);
  setPairRow("p-local", state.pythonPair && {
    type: state.pythonPair.local.candidateType, address: state.pythonPair.local.address,
    port: state.pythonPair.local.port, protocol: state.pythonPair.local.protocol,
    relayProtocol: state.pythonPair.local.relayProtocol, region: state.pythonPair.local.region});
  $("camera").disabled = !region || state.camera !== null || !pc || pc.signalingState !== "stable";
  $("frames-decoded").textContent = state.framesDecoded;
  $("python-frames").textContent = state.pythonVideoFrames;
  $("longest-stall").textContent = state.longestStallMs === null ? "-" : `${state.longestStallMs.toFixed(0)} ms`;
  $("move-frames").textContent = state.moveFrames === null ? "-" :
    `${state.moveFrames} frames decoded while moving`;
  $("sent").textContent = state.sent;
  $("echoed").textContent = state.echoed;
  $("in-flight").textContent = state.pending.size;
  $("lost").textContent = lost();
  $("duplicates").textContent = state.duplicates + state.outOfOrder;
  const last = state.samples[state.samples.length - 1];
  $("rtt").textContent = last ? `${last.rtt.toFixed(1)} ms` : "-";
}
function drawChart() {
  const canvas = $("chart");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, left = 40, bottom = 20;
  ctx.clearRect(0, 0, w, h);
  const end = now();
  const start = Math.max(end - CHART_WINDOW_MS, state.connectedAt || end - CHART_WINDOW_MS);
  const span = Math.max(end - start, 1000);
  const top = Math.max(5, ...state.samples.map((s) => s.rtt)) * 1.2;
  const x = (t) => left + (w - left - 8) * (t - start) / span;
  const y = (v) => (h - bottom) - (h - bottom - 8) * v / top;
  ctx.strokeStyle = "#e3e6eb"; ctx.fillStyle = "#667"; ctx.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const v = top * i / 4;
    ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(w, y(v)); ctx.stroke();
    ctx.fillText(v.toFixed(v < 10 ? 1 : 0), 4, y(v) + 4);
  }
  ctx.fillText(`last ${(span / 1000).toFixed(0)} s`, w - 60, h - 4);
  for (const m of state.moves) {
    if (m.at < start) continue;
    ctx.strokeStyle = "#e0a000"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x(m.at), 4); ctx.lineTo(x(m.at), h - bottom); ctx.stroke();
    ctx.fillStyle = "#e0a000"; ctx.fillText(`move to ${m.to}`, x(m.at) + 4, 14);
  }
  ctx.lineWidth = 1;
  for (const s of state.samples) {
    ctx.fillStyle = COLOURS[s.region] || "#888";
    ctx.fillRect(x(s.at) - 1.5, y(s.rtt) - 1.5, 3, 3);
  }
}

setInterval(tick, INTERVAL_MS);
setInterval(refreshPair, 250);
setInterval(() => { render(); drawChart(); }, 100);

// For tests and the console: a snapshot, and stop() to end the stream and drain it.
window.demo = {
  state() {
    return {sent: state.sent, echoed: state.echoed, inFlight: state.pending.size, lost: lost(),
            duplicates: state.duplicates, outOfOrder: state.outOfOrder,
            connectionState: state.pc ? state.pc.connectionState : "new",
            pair: state.pair, pythonPair: state.pythonPair, moving: state.moving,
            lastMoveMs: state.lastMoveMs, samples: state.samples.length,
            camera: state.camera !== null, framesDecoded: state.framesDecoded,
            longestStallMs: state.longestStallMs, pythonVideoFrames: state.pythonVideoFrames,
            moveFrames: state.moveFrames,
            remoteWidth: $("remote-video").videoWidth};
  },
  async stop(timeoutMs = 5000) {
    state.sending = false;
    const deadline = now() + timeoutMs;
    while (state.pending.size > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
    render();
    return this.state();
  },
};
