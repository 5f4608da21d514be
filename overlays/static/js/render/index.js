// The overlay renderers, one per widget kind (the server's registry lists the kinds).
import * as countdown from "./countdown.js";
import * as goal from "./goal.js";

export const renderers = { countdown, goal };
