// Same-origin calls only: the dev link's origin is the app's.
fetch("/api/hello").then(r => r.json()).then(body => {
  document.getElementById("api").textContent = JSON.stringify(body, null, 2);
});
const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
socket.onopen = () => socket.send("hello over the dev link");
socket.onmessage = event => { document.getElementById("ws").textContent = "echo: " + event.data; };
