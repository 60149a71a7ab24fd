// Every SIP message the page sends or receives over any WebSocket, so the test can
// check what the browser really put on the wire (JsSIP and SIP.js keep no such record
// themselves); keep-alives (CRLF sequences) included. And each WebSocket the page opens:
// its URL, whether it opened, and the code it closed with.
window.sipTrace = [];
window.sipSockets = [];
(function () {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string') window.sipTrace.push({ dir: 'out', text: data });
    return send.call(this, data);
  };
  const Native = WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    const entry = { url: String(url), opened: false, closed: null };
    window.sipSockets.push(entry);
    ws.addEventListener('close', (e) => { entry.closed = { code: e.code, clean: e.wasClean }; });
    ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string') window.sipTrace.push({ dir: 'in', text: e.data });
    });
    ws.addEventListener('open', () => {
      entry.opened = true;
      window.negotiatedProtocol = ws.protocol;
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {
    CONNECTING: Native.CONNECTING, OPEN: Native.OPEN,
    CLOSING: Native.CLOSING, CLOSED: Native.CLOSED,
  });
})();
