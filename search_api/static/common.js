// Shared by both pages: the token (kept in sessionStorage), API calls, small DOM helpers.
"use strict";
const vl = {
  token() { return sessionStorage.getItem("vidlib-token") || ""; },
  setToken(t) { sessionStorage.setItem("vidlib-token", t.trim()); },
  async api(path, options = {}) {
    const headers = Object.assign({ "Authorization": "Bearer " + vl.token() }, options.headers || {});
    if (options.body && typeof options.body !== "string") {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.body);
    }
    const res = await fetch(path, Object.assign({}, options, { headers }));
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error((data.error && data.error.message) || ("erreur " + res.status));
      err.status = res.status; err.data = data.error || {};
      throw err;
    }
    return data;
  },
  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  },
  date(iso) { const d = new Date(iso); return isNaN(d) ? iso : d.toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short" }); },
  duree(s) { const m = Math.floor(s / 60), r = Math.round(s % 60); return m + " min " + String(r).padStart(2, "0") + " s"; },
  roles: { professional: "professionnel·le", student: "élève", guardian: "responsable légal", guest: "invité·e" },
  etats: { pending_review: "en attente", published: "publié", rejected: "refusé" },
  // the page's message line; ok: a success (shown in green), otherwise a warning or an error
  message(text, ok = false) {
    const m = document.getElementById("message");
    if (m) { m.textContent = text || ""; m.classList.toggle("ok", ok); }
  },
  erreur(e) {
    const texts = { 401: "Jeton absent ou invalide : saisissez votre jeton en haut de la page.",
                    403: "Votre jeton ne donne pas accès à cette action.",
                    404: "Cet extrait n'existe pas ou n'est pas publié.",
                    409: "Quelqu'un d'autre a modifié cet extrait : il a été rechargé, recommencez." };
    vl.message((texts[e.status] || "Erreur") + (e.status ? "" : " " + e.message));
  },
  // the token box in the header
  initToken() {
    const input = document.getElementById("jeton");
    input.value = vl.token();
    document.getElementById("jeton-form").addEventListener("submit", ev => {
      ev.preventDefault(); vl.setToken(input.value); location.reload();
    });
  },
  // a phone's way back to a list under the open clip: `el` (its row) in view and the keyboard on its button,
  // outlined after a tap too
  versLigne(el) {
    el.scrollIntoView({ block: "center" });
    const bouton = el.querySelector("button");
    if (bouton) bouton.focus({ preventScroll: true, focusVisible: true });
  },
  // a <video> with its French subtitles track, replacing the content of `box`; it starts at `debut` (seconds of
  // the clip) once its length is known, playing if `lecture`
  player(box, clip, { debut = 0, lecture = false } = {}) {
    const video = vl.el("video", { controls: "", preload: "metadata", playsinline: ""});
    video.src = clip.links.media;
    const track = vl.el("track", { kind: "subtitles", srclang: "fr", label: "Français", src: clip.links.subtitles, default: "" });
    video.append(track);
    if (clip.links.thumbnail) video.poster = clip.links.thumbnail;
    if (debut > 0 || lecture) video.addEventListener("loadedmetadata", () => {
      video.currentTime = debut;
      if (lecture) video.play().catch(() => {});
    }, { once: true });
    box.replaceChildren(video);
    return video;
  },
};
