// Loaded into the benchmark page by benchmarks/dc_throughput.py (after
// tests/support/peer.js): the Chromium <-> Chromium half of the data-channel
// throughput benchmark, doing in the page what dc_throughput.py's Python half
// does for rtcpeer and aiortc -- the same channels, messages, flow control and
// clock points -- so both produce the same record.
window.rtcpeerThroughput = {
  // Opens a pair (host candidates on loopback, trickled inside the page) with
  // `channels` reliable ordered channels created by the offerer; once every
  // channel is open at both ends, each channel sends `messages / channels`
  // messages of `size` bytes, filling its buffer while bufferedAmount is
  // below `high` and then waiting for bufferedamountlow (threshold `low`).
  // Returns the milliseconds from the first send until the far end has
  // received the last byte, and the largest bufferedAmount any channel had
  // right after a send. Closes both connections.
  async run(channels, messages, size, high, low) {
    const loopback = (c) => {
      const parts = c.candidate.split(" ");
      return parts.length > 5 && (parts[4] === "127.0.0.1" || parts[4] === "::1");
    };
    const until = (target, event, check) => new Promise((resolve) => {
      if (check()) { resolve(); return; }
      const listener = () => { if (check()) { target.removeEventListener(event, listener); resolve(); } };
      target.addEventListener(event, listener);
    });
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    try {
      for (const [from, to] of [[a, b], [b, a]]) {
        from.addEventListener("icecandidate", (e) => {
          if (e.candidate && e.candidate.candidate && loopback(e.candidate)) to.addIceCandidate(e.candidate).catch(() => {});
        });
      }
      const far = [];
      const arrived = new Promise((resolve) => {
        b.ondatachannel = (e) => { far.push(e.channel); if (far.length === channels) resolve(); };
      });
      const near = [];
      for (let i = 0; i < channels; i++) near.push(a.createDataChannel(`bench${i}`));
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription);
      await arrived;
      await Promise.all([...near, ...far].map((ch) => until(ch, "open", () => ch.readyState === "open")));

      const total = messages * size;
      let received = 0, end = 0;
      const done = new Promise((resolve) => {
        for (const ch of far) {
          ch.binaryType = "arraybuffer";
          ch.onmessage = (e) => {
            received += e.data.byteLength;
            if (received >= total) { end = performance.now(); resolve(); }
          };
        }
      });
      const payload = new Uint8Array(size).fill(120).buffer;
      let peak = 0;
      const sendAll = async (ch, count) => {
        ch.bufferedAmountLowThreshold = low;
        let sent = 0;
        while (sent < count) {
          while (sent < count && ch.bufferedAmount < high) {
            ch.send(payload);
            sent += 1;
            if (ch.bufferedAmount > peak) peak = ch.bufferedAmount;
          }
          if (sent < count) await new Promise((resolve) => { ch.onbufferedamountlow = resolve; });
        }
      };
      const start = performance.now();
      await Promise.all([...near.map((ch) => sendAll(ch, messages / channels)), done]);
      return {ms: end - start, peak};
    } finally {
      a.close(); b.close();
    }
  },
};
