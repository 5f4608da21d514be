// Durations as people type them: "90", "1:30", "1:02:03", "-1:30" (whole
// seconds on the wire, format "duration" in a kind's schema).

// parseDuration returns whole seconds, or NaN when text is not a duration.
export function parseDuration(text) {
  const s = String(text).trim();
  const m = /^(-)?\s*(\d+)(?::([0-5]?\d))?(?::([0-5]?\d))?$/.exec(s);
  if (!m) return NaN;
  const parts = [m[2], m[3], m[4]].filter((p) => p !== undefined).map(Number);
  // "1:30" is minutes:seconds, "1:02:03" hours:minutes:seconds, "90" seconds.
  let total = 0;
  for (const p of parts) total = total * 60 + p;
  return m[1] ? -total : total;
}

// formatDuration shows seconds as h:mm:ss (m:ss under an hour).
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  s %= 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${sign}${h}:${pad(m)}:${pad(s)}` : `${sign}${m}:${pad(s)}`;
}

// describeDuration says it in words ("1 h 30 min", "7 days"), to confirm what was typed.
export function describeDuration(seconds) {
  if (!Number.isFinite(seconds)) return "";
  const sign = seconds < 0 ? "minus " : "";
  let s = Math.abs(Math.round(seconds));
  const parts = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]]) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)} ${unit}`);
      s %= size;
    }
  }
  return sign + (parts.join(" ") || "0 s");
}
