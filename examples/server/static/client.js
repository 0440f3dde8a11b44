// The page side of the camera example: offer camera + microphone to the Python peer in one
// POST (candidates included), play what comes back, and read the receive stats.
// window.example is for tests and the console.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {pc: null, stream: null, channel: null, framesDecoded: 0, audioPackets: 0,
               pongs: 0, rtt: null, transform: null, timer: null};

function log(text) {
  const item = document.createElement("li");
  item.textContent = `${(performance.now() / 1000).toFixed(3)}s  ${text}`;
  $("log").prepend(item);
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
  });
}

async function start(transform = $("video-transform").value) {
  $("start").disabled = true;
  state.transform = transform;
  $("shown-transform").textContent = transform;
  const configuration = await (await fetch("/config")).json();
  const pc = new RTCPeerConnection(configuration);
  state.pc = pc;
  pc.onconnectionstatechange = () => {
    $("connection-state").textContent = pc.connectionState;
    log(`connection: ${pc.connectionState}`);
  };
  pc.ontrack = (event) => {
    log(`receiving ${event.track.kind}`);
    if (event.track.kind === "video") $("remote").srcObject = event.streams[0] || new MediaStream([event.track]);
  };
  state.stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 480}});
  $("local").srcObject = state.stream;
  for (const track of state.stream.getTracks()) pc.addTrack(track, state.stream);

  const channel = pc.createDataChannel("chat");
  state.channel = channel;
  channel.onmessage = (event) => {
    if (event.data.startsWith("pong")) {
      state.pongs++;
      state.rtt = performance.now() - Number(event.data.slice(5));
    }
  };

  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const response = await fetch("/offer", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({sdp: pc.localDescription.sdp, type: pc.localDescription.type,
                          video_transform: transform}),
  });
  if (!response.ok) throw new Error(await response.text());
  await pc.setRemoteDescription(await response.json());
  log(`answer applied (transform: ${transform})`);
  state.timer = setInterval(poll, 250);
  $("stop").disabled = false;
}

async function poll() {
  const pc = state.pc;
  if (!pc) return;
  if (state.channel && state.channel.readyState === "open") state.channel.send(`ping ${performance.now()}`);
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    if (s.kind === "video") state.framesDecoded = s.framesDecoded || 0;
    if (s.kind === "audio") state.audioPackets = s.packetsReceived || 0;
  });
  $("frames-decoded").textContent = state.framesDecoded;
  $("audio-packets").textContent = state.audioPackets;
  $("rtt").textContent = state.rtt === null ? "-" : `${state.rtt.toFixed(1)} ms`;
}

// Mean colourfulness (|R-G| + |G-B|) of a video element's current picture, 0 for grey.
function colourfulness(video) {
  const canvas = document.createElement("canvas");
  canvas.width = 160; canvas.height = 120;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let total = 0;
  for (let i = 0; i < data.length; i += 4) {
    total += Math.abs(data[i] - data[i + 1]) + Math.abs(data[i + 1] - data[i + 2]);
  }
  return total / (data.length / 4);
}

function stop() {
  clearInterval(state.timer);
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  if (state.pc) state.pc.close();
  $("connection-state").textContent = "closed";
  $("stop").disabled = true;
  $("start").disabled = false;
}

$("start").onclick = () => start().catch((error) => { log(`error: ${error}`); $("start").disabled = false; });
$("stop").onclick = stop;

window.example = {
  start,
  state() {
    return {connectionState: state.pc ? state.pc.connectionState : "new",
            framesDecoded: state.framesDecoded, audioPackets: state.audioPackets,
            pongs: state.pongs, transform: state.transform,
            remoteWidth: $("remote").videoWidth, remoteHeight: $("remote").videoHeight};
  },
  colourfulness() {
    return {local: colourfulness($("local")), remote: colourfulness($("remote"))};
  },
};
