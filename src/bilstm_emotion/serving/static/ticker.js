// The web app's frame clock: a worker's timers keep their pace while the page is in a
// background tab, where the page's own are slowed. postMessage(ms) ticks every ms
// milliseconds; postMessage(0) stops.
"use strict";
let timer = null;
onmessage = (event) => {
  clearInterval(timer);
  timer = event.data > 0 ? setInterval(() => postMessage(0), event.data) : null;
};
