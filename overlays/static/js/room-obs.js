// The OBS view of a watch-party room (/watch/ROOM_ID/obs#token=…): the
// room's video in sync, nothing else. The token is the room's read-only OBS
// link, in the fragment (never sent to a server, never in access logs).
import { RoomSocket, Sync } from "./room-sync.js";

const roomId = decodeURIComponent(location.pathname.split("/")[2] || "");
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const video = document.getElementById("video");
const notice = (text) => {
  const n = document.getElementById("notice");
  n.textContent = text || "";
  n.hidden = !text;
};

if (!token) {
  notice("This OBS link has no token: copy it again from the room page (OBS link).");
} else {
  const sock = new RoomSocket(token, roomId);
  const sync = new Sync(video, () => sock.now());
  sock.addEventListener("state", (ev) => {
    if (video.getAttribute("src") !== ev.detail.room.media_url) video.src = ev.detail.room.media_url;
    sync.set(ev.detail.playback);
    notice(ev.detail.room.ended ? "This watch party has ended." : "");
  });
  sock.addEventListener("status", (ev) => {
    if (ev.detail.status === "reconnecting") notice("reconnecting…");
    if (ev.detail.status === "open") notice("");
  });
  sock.addEventListener("fatal", () => {
    sync.stop();
    notice("This OBS link was replaced or the room is gone: copy the new link from the room page.");
  });
  sock.start();
  window.__room = {
    sample: () => ({ pos: video.currentTime * 1000, at: performance.timeOrigin + performance.now(), playing: !video.paused, rate: video.playbackRate }),
    playback: () => sock.playback,
  };
}
