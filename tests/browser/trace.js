// Every SIP message the page sends or receives over any WebSocket, so the test can
// check what the browser really put on the wire (JsSIP keeps no such record itself).
window.sipTrace = [];
(function () {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string') window.sipTrace.push({ dir: 'out', text: data });
    return send.call(this, data);
  };
  const Native = WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string') window.sipTrace.push({ dir: 'in', text: e.data });
    });
    ws.addEventListener('open', () => { window.negotiatedProtocol = ws.protocol; });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {
    CONNECTING: Native.CONNECTING, OPEN: Native.OPEN,
    CLOSING: Native.CLOSING, CLOSED: Native.CLOSED,
  });
})();
