// Loaded into the benchmark page by benchmarks/media.py (after
// tests/support/peer.js): the Chromium halves of the media benchmarks, doing in
// the page what media.py's Python halves do, with the same phases and the
// same clock reference, so both produce the same raw record.
//
// Media: the fake camera (320x240, 30 fps) and the fake microphone (Opus,
// 20 ms packets) of --use-fake-device-for-media-stream. Arrivals are logged
//   - video: each decoded frame, read from the remote track with a
//     MediaStreamTrackProcessor (the frame is closed at once);
//   - audio: each received audio frame (one per RTP packet), seen by an
//     encoded transform (encodedInsertableStreams) on the receiver, which
//     sees packets as they arrive, before the jitter buffer (NetEq conceals
//     gaps in the played-out audio, so decoded audio would show none).
// Every sender also has a pass-through encoded transform that logs each
// encoded frame's RTP timestamp and time, so media.py can tell which frames
// never arrived and how the sender spaced them.
window.rtcpeerMedia = {
  stream: null,

  async media() {
    if (!this.stream) {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: true, video: {width: 320, height: 240, frameRate: 30},
      });
    }
    return this.stream;
  },

  rtpTimestamp(frame) {
    const meta = frame.getMetadata ? frame.getMetadata() : {};
    return meta.rtpTimestamp !== undefined ? meta.rtpTimestamp : frame.timestamp;
  },

  pair(config) {
    const loopback = (c) => {
      const parts = c.candidate.split(" ");
      return parts.length > 5 && (parts[4] === "127.0.0.1" || parts[4] === "::1");
    };
    const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
    for (const [from, to] of [[a, b], [b, a]]) {
      from.addEventListener("icecandidate", (e) => {
        if (e.candidate && e.candidate.candidate && loopback(e.candidate)) to.addIceCandidate(e.candidate).catch(() => {});
      });
    }
    return [a, b];
  },

  async negotiate(offerer, answerer) {
    await offerer.setLocalDescription();
    await answerer.setRemoteDescription(offerer.localDescription);
    await answerer.setLocalDescription();
    await offerer.setRemoteDescription(answerer.localDescription);
  },

  until(target, event, check) {
    return new Promise((resolve) => {
      if (check()) { resolve(); return; }
      const listener = () => { if (check()) { target.removeEventListener(event, listener); resolve(); } };
      target.addEventListener(event, listener);
    });
  },

  // Pipes an encoded stream pair through, calling onFrame(frame) for each frame.
  tap(streams, onFrame) {
    streams.readable.pipeThrough(new TransformStream({
      transform(frame, controller) { onFrame(frame); controller.enqueue(frame); },
    })).pipeTo(streams.writable).catch(() => {});
  },

  // Reads decoded frames of a video track, calling onFrame() at each.
  async readVideo(track, onFrame) {
    const reader = new MediaStreamTrackProcessor({track}).readable.getReader();
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      onFrame();
      value.close();
    }
  },

  // The region move (benchmark 1). Opens a relay-only pair on configA with
  // video + audio both ways; once every receiver has decoded video and
  // received audio, streams settleMs + windowMs, then switches both to
  // configB and restarts (a initiates); keeps streaming until windowMs +
  // tailMs after restartIce() and both selected pairs sit on a relay port in
  // [lo, hi]; closes. Times in ms relative to the restartIce() call.
  async moveRecord(configA, configB, lo, hi, settleMs, windowMs, tailMs) {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const stream = await this.media();
    const config = Object.assign({}, configA, {encodedInsertableStreams: true});
    const [a, b] = this.pair(config);
    // logs[direction][kind]: sent RTP timestamps; received RTP timestamps and
    // arrival times (audio: packets at the receiver's transform); decoded
    // frame arrival times (video).
    const logs = {};
    for (const dir of ["a>b", "b>a"]) {
      logs[dir] = {};
      for (const kind of ["audio", "video"]) logs[dir][kind] = {sent: [], sentAt: [], got: [], gotAt: [], at: []};
    }
    let ready = null;
    const readyPromise = new Promise((r) => { ready = r; });
    const checkReady = () => {
      const all = Object.values(logs).every((d) => d.video.at.length > 0 && d.audio.at.length > 0);
      if (all) ready();
    };
    for (const [pc, dir, back] of [[a, "a>b", "b>a"], [b, "b>a", "a>b"]]) {
      for (const track of stream.getTracks()) {
        const sender = pc.addTrack(track, stream);
        const log = logs[dir][track.kind];
        this.tap(sender.createEncodedStreams(), (frame) => { log.sent.push(this.rtpTimestamp(frame)); log.sentAt.push(performance.now()); });
      }
      pc.addEventListener("track", (e) => {
        const log = logs[back][e.track.kind];
        const audio = e.track.kind === "audio";
        this.tap(e.receiver.createEncodedStreams(), (frame) => {
          const now = performance.now();
          log.got.push(this.rtpTimestamp(frame)); log.gotAt.push(now);
          if (audio) { log.at.push(now); checkReady(); }
        });
        if (!audio) this.readVideo(e.track, () => { log.at.push(performance.now()); checkReady(); });
      });
    }
    await this.negotiate(a, b);
    await readyPromise;
    await sleep(settleMs + windowMs);
    const transportOf = (pc) => pc.getSenders()[0].transport.iceTransport;
    const onB = (pc) => {
      const pair = transportOf(pc).getSelectedCandidatePair();
      return pair && pair.local.type === "relay" && pair.local.port >= lo && pair.local.port <= hi;
    };
    const switched = [a, b].map((pc) => this.until(transportOf(pc), "selectedcandidatepairchange", () => onB(pc)).then(() => performance.now()));
    a.setConfiguration(Object.assign({}, configB, {encodedInsertableStreams: true}));
    b.setConfiguration(Object.assign({}, configB, {encodedInsertableStreams: true}));
    const start = performance.now();
    a.restartIce();
    await this.negotiate(a, b);
    const times = await Promise.all(switched);
    const left = start + windowMs + tailMs - performance.now();
    if (left > 0) await sleep(left);
    const end = performance.now();
    a.close(); b.close();
    const rel = (ts) => ts.map((t) => t - start);
    const out = {switchMs: times.map((t) => t - start), endMs: end - start, logs: {}};
    for (const [dir, kinds] of Object.entries(logs)) {
      out.logs[dir] = {};
      for (const [kind, l] of Object.entries(kinds)) {
        out.logs[dir][kind] = {sent: l.sent, sentAt: rel(l.sentAt), got: l.got, gotAt: rel(l.gotAt), at: rel(l.at)};
      }
    }
    return out;
  },

  // addTrack + negotiation -> first decoded frame at the far end (benchmark
  // 2), ms. "fresh": two new connections (host candidates); "open": the
  // track is added to a pair whose data channel is already open.
  async firstFrame(scenario) {
    const stream = await this.media();
    const track = stream.getVideoTracks()[0];
    const [a, b] = this.pair({});
    try {
      if (scenario === "open") {
        const remote = new Promise((r) => { b.ondatachannel = (e) => r(e.channel); });
        const channel = a.createDataChannel("bench");
        await this.negotiate(a, b);
        const far = await remote;
        await this.until(channel, "open", () => channel.readyState === "open");
        await this.until(far, "open", () => far.readyState === "open");
      }
      const first = new Promise((resolve) => {
        b.addEventListener("track", (e) => {
          let done = false;
          this.readVideo(e.track, () => { if (!done) { done = true; resolve(performance.now()); } });
        });
      });
      const start = performance.now();
      a.addTrack(track, stream);
      await this.negotiate(a, b);
      return (await first) - start;
    } finally {
      a.close(); b.close();
    }
  },
};
