// The student page: shelves to browse, search with an honest "no answer", a player that starts where the words are
// said, an interactive transcript and the chapters of the call.
"use strict";
const vu = { clip: null, secondes: 0 };  // the clip playing and how long it was watched: sent as a reaction "vu"

// ``cherche``: the query the clip was found for (a search result): the player starts where it is said; a shelf, a
// chapter or a similar clip plays from its start
function ligne(clip, cherche = "") {
  const img = clip.links.thumbnail ? vl.el("img", { src: clip.links.thumbnail, alt: "", loading: "lazy" }) : vl.el("span");
  const extrait = vl.el("div", { class: "extrait" });
  if (clip.snippet) extrait.innerHTML = clip.snippet; // HTML from the server: escaped text and <mark> only
  const roles = clip.speaker_roles.map(r => vl.roles[r] || r).join(", ");
  const bouton = vl.el("button", { type: "button", class: "lien titre" }, clip.title);
  const li = vl.el("li", { "data-clip": clip.clip_id, class: "resultat" }, img,
    vl.el("div", {}, bouton,
      vl.el("div", { class: "meta" }, [clip.topic_label, clip.job, vl.duree(clip.duration), roles]
        .filter(Boolean).join(" · ")), extrait));
  // chosen with the keyboard (a click with no pointer: detail 0), the keyboard follows to the clip's title, from
  // where Tab reaches the next buttons and the reactions (the player is one Shift+Tab back); chosen with a pointer,
  // the focus stays in the list
  li.addEventListener("click", ev => jouer(clip.clip_id, li, ev.detail === 0, cherche));
  return li;
}
function afficher(liste, clips, vide, cherche = "") {
  const ul = document.getElementById(liste);
  ul.replaceChildren(...(clips.length ? clips.map(c => ligne(c, cherche)) : [vl.el("li", { class: "vide" }, vide)]));
}
// a search or a list in place of the home page's shelves, with a button back to them
function vider() {
  vl.message("");
  document.getElementById("compris").textContent = "";
  document.getElementById("sans-reponse").hidden = true;
  document.getElementById("accueil").replaceChildren();
  document.getElementById("retour").hidden = false;
}
async function retourAccueil() {
  vider();
  document.getElementById("retour").hidden = true;
  document.getElementById("resultats").replaceChildren();
  titreListe("");
  await accueil();
  const premier = document.querySelector("#accueil h2");
  if (premier) { premier.tabIndex = -1; premier.focus(); }  // the keyboard lands on the shelves, not the top
}
async function chercher(ev) {
  if (ev) ev.preventDefault();
  vider();
  const q = document.getElementById("q").value;
  const p = new URLSearchParams({ q, mode: document.getElementById("mode").value, limit: 20 });
  const job = document.getElementById("job").value;
  if (job) p.set("job", job);
  const compte = document.getElementById("compris");
  compte.textContent = "Recherche en cours…";  // the first search of a server just started may take seconds
  try {
    const data = await vl.api("/search?" + p);
    compris(data.understood);
    titreListe(data.hits.length ? data.hits.length + " extrait(s) trouvé(s)" : "");
    if (data.no_answer) { document.getElementById("resultats").replaceChildren(); sansReponse(data.no_answer); }
    else afficher("resultats", data.hits, "Rien dans la bibliothèque ne répond à cette question.", q);
    if (etroit()) document.getElementById("recherche").scrollIntoView({ block: "start" });  // the header out of the way
  } catch (e) { document.getElementById("resultats").replaceChildren(); titreListe(""); compte.textContent = ""; vl.erreur(e); }
}
function titreListe(texte, focus = false) {
  const h = document.getElementById("titre-liste");
  h.textContent = texte;
  h.hidden = !texte;
  if (focus && texte) h.focus();  // after a shelf, topic or job button: the list it opened, not the top of the page
}
function compris(u) {
  const morceaux = [];
  if (u.jobs.length) morceaux.push("métier : " + u.jobs.join(", "));
  if (u.topic && u.topic !== "autre") morceaux.push("thème : " + u.topic_label);
  document.getElementById("compris").textContent = morceaux.length ? "Compris — " + morceaux.join(" · ") : "";
}
function sansReponse(na) {
  const box = document.getElementById("sans-reponse");
  const enfants = [vl.el("p", {}, na.message)];
  if (na.related_jobs.length) {
    const boutons = na.related_jobs.map(j => {
      const b = vl.el("button", { type: "button", class: "secondaire" }, j);
      b.addEventListener("click", () => parcourir({ job: j }, "Métier : " + j));
      return b;
    });
    enfants.push(vl.el("p", {}, "Des métiers proches dans la bibliothèque : "), vl.el("p", { class: "suite" }, ...boutons));
  }
  if (na.shelf.length) {
    const ul = vl.el("ul", { class: "resultats", id: "proches" }, ...na.shelf.map(c => ligne(c)));
    enfants.push(vl.el("h2", {}, "Ce qui s'en approche"), ul);
  }
  box.replaceChildren(...enfants);
  box.hidden = false;
}
async function parcourir(filtre, titre) {
  vider();
  try {
    const data = await vl.api("/discover?" + new URLSearchParams(Object.assign({ limit: 12 }, filtre)));
    afficher("resultats", data.clips, "Aucun extrait publié ici pour l'instant.");
    titreListe(titre, true);
  } catch (e) { vl.erreur(e); }
}
async function accueil() {
  try {
    const data = await vl.api("/browse");
    const box = document.getElementById("accueil");
    const blocs = data.shelves.map(s => vl.el("section", { class: "etagere" },
      vl.el("h2", {}, s.title), vl.el("ul", { class: "resultats" }, ...s.clips.map(c => ligne(c)))));
    if (data.topics.length) {
      const boutons = data.topics.map(t => {
        const b = vl.el("button", { type: "button", class: "secondaire" }, `${t.topic_label} (${t.clips})`);
        b.addEventListener("click", () => parcourir({ topic: t.topic }, "Thème : " + t.topic_label));
        return b;
      });
      blocs.push(vl.el("section", { class: "etagere" }, vl.el("h2", {}, "Par thème"), vl.el("p", { class: "suite" }, ...boutons)));
    }
    if (data.styles && data.styles.length) {
      const boutons = data.styles.map(st => {
        const b = vl.el("button", { type: "button", class: "secondaire" }, `${st.style_label} (${st.clips})`);
        b.addEventListener("click", () => parcourir({ style: st.style }, "Plutôt " + st.style_label.toLowerCase()));
        return b;
      });
      blocs.push(vl.el("section", { class: "etagere" }, vl.el("h2", {}, "Par style de métier"), vl.el("p", { class: "suite" }, ...boutons)));
    }
    if (data.catalogue.length) {
      const secteurs = data.catalogue.map(s => vl.el("li", {}, vl.el("span", { class: "meta" }, s.sector || "autre secteur"),
        vl.el("p", { class: "suite" }, ...s.jobs.map(j => {
          const b = vl.el("button", { type: "button", class: "chapitre" }, `${j.job} (${j.clips})`);
          b.addEventListener("click", () => parcourir({ job: j.job }, "Métier : " + j.job));
          return b;
        }))));
      blocs.push(vl.el("section", { class: "etagere" }, vl.el("h2", {}, "Les métiers par secteur"), vl.el("ul", { class: "catalogue" }, ...secteurs)));
      const select = document.getElementById("job");
      select.replaceChildren(vl.el("option", { value: "" }, "tous les métiers"),
        ...data.catalogue.map(s => {
          const g = vl.el("optgroup", { label: s.sector || "autre secteur" });
          g.append(...s.jobs.map(j => vl.el("option", { value: j.job }, j.job)));
          return g;
        }));
    }
    const pourToi = await vl.api("/me/for-you?limit=6");
    if (pourToi.clips.length) {
      const oublier = vl.el("button", { type: "button", class: "secondaire" }, "Oublier mes choix");
      oublier.addEventListener("click", async () => {
        try {
          const r = await vl.api("/me/reactions", { method: "DELETE" });
          vu.clip = null;  // the clip playing is not recorded again as watched when the page is left
          vu.secondes = 0;
          vl.message(`${r.deleted} choix oublié(s).`, true);
          document.getElementById("message").focus();  // the button is gone with the shelf: the keyboard stays near
          accueil();
        } catch (e) { vl.erreur(e); }
      });
      blocs.unshift(vl.el("section", { class: "etagere" }, vl.el("h2", {}, "Pour toi"),
        vl.el("ul", { class: "resultats" }, ...pourToi.clips.map(c => ligne(c))), vl.el("p", {}, oublier)));
    }
    box.replaceChildren(...blocs);
  } catch (e) { vl.erreur(e); }
}
async function jouer(id, li, focusTitre = false, cherche = "") {
  document.querySelectorAll("li.actif").forEach(x => x.classList.remove("actif"));
  if (li) li.classList.add("actif");
  try {
    const q = cherche ? "?" + new URLSearchParams({ q: cherche }) : "";
    const clip = await vl.api("/clips/" + id + q);
    envoyerVu();
    vu.clip = clip.clip_id;
    const video = vl.player(document.getElementById("lecteur"), clip, { debut: clip.moment });
    let avant = null;
    video.addEventListener("timeupdate", () => {
      const t = video.currentTime;
      if (avant !== null && !video.seeking && t > avant && t - avant < 1.5) vu.secondes += t - avant;
      avant = t;
    });
    video.addEventListener("seeking", () => { avant = null; });
    video.addEventListener("ended", envoyerVu);
    document.getElementById("reagir").hidden = false;
    marquer(null);
    const titre = document.getElementById("clip-titre");
    titre.textContent = clip.title;
    titre.hidden = false;
    document.querySelector("main.eleve").classList.add("ouvert");
    document.getElementById("clip-meta").textContent = [clip.topic_label, clip.job, clip.sector, vl.duree(clip.duration)]
      .filter(Boolean).join(" · ");
    suite(clip.context);
    transcription(clip, video);
    enVue(focusTitre);  // a chapter or "next" button: on a wide screen too
    // a chapter or "next" button, or a phone (the player moved above the list): the keyboard goes to the clip
    if (focusTitre || etroit()) titre.focus({ preventScroll: true });
    video.play().catch(() => {});
    await chapitres(clip).catch(e => vl.erreur(e));
    const sim = await vl.api("/clips/" + id + "/similar?limit=4");
    afficher("similaires", sim.clips, "Pas d'autre extrait proche pour l'instant.");
    document.getElementById("similaires").hidden = document.getElementById("similaires-titre").hidden = false;
    enVue();
  } catch (e) { vl.erreur(e); }
}
// reactions: tied to this token only, they feed the "Pour toi" shelf
async function reagir(reaction, clipId, secondes = 0) {
  try {
    await vl.api("/me/reactions", { method: "POST", body: { clip_id: clipId, reaction, watched_s: secondes } });
    if (reaction !== "vu") marquer(reaction);
  } catch (e) { if (reaction !== "vu") vl.erreur(e); }
}
function envoyerVu() {
  if (vu.clip && vu.secondes >= 1) reagir("vu", vu.clip, Math.round(vu.secondes));
  vu.secondes = 0;
}
// the reaction said to the clip open, next to its buttons (the page's message line may be far above on a phone)
function marquer(reaction) {
  document.getElementById("utile").setAttribute("aria-pressed", String(reaction === "utile"));
  document.getElementById("pas-pour-moi").setAttribute("aria-pressed", String(reaction === "pas_pour_moi"));
  document.getElementById("reagi").textContent = !reaction ? ""
    : reaction === "utile" ? "Noté : on te proposera des extraits proches." : "Noté : on t'en proposera d'autres.";
}
function etroit() { return window.matchMedia("(max-width: 900px)").matches; }
// a phone: the player, not the list, in view (again once the transcript, chapters and similar clips are in);
// ``partout``: on any screen
function enVue(partout = false) {
  if (partout || etroit()) document.getElementById("lecteur").scrollIntoView({ block: "start" });
}
// plays from ``s``; on a phone the player, above the transcript, comes back into view to be seen
function ecouter(video, s) {
  video.currentTime = s;
  video.play().catch(() => {});
  enVue();
}
// the words under the video: a click on a word (or Enter on a turn) plays from there; the word being said is lit
function transcription(clip, video) {
  const box = document.getElementById("transcription");
  const mots = [];
  const tours = [];
  for (const w of clip.words) {
    const dernier = tours[tours.length - 1];
    if (!dernier || dernier.speaker !== w.speaker) tours.push({ speaker: w.speaker, start: w.start, words: [] });
    tours[tours.length - 1].words.push(w);
  }
  const roles = {};
  for (const t of clip.transcript) roles[t.speaker] = t.role;
  box.replaceChildren(...tours.map(t => {
    const qui = vl.el("button", { type: "button", class: "lien role", "aria-label": `Écouter à partir de ${Math.floor(t.start)} s` },
      (vl.roles[roles[t.speaker]] || "") + " :");
    qui.addEventListener("click", () => ecouter(video, t.start));
    const premier = mots.length;  // the index of this turn's first word
    qui.addEventListener("keydown", ev => { if (ev.key === "ArrowRight") { ev.preventDefault(); versMot(premier); } });
    const p = vl.el("p", {}, qui, " ");
    for (const w of t.words) {
      // reached by the arrow keys from its turn's button (one Tab stop per turn, not one per word)
      const span = vl.el("span", { class: "mot", "data-debut": w.start, tabindex: "-1" }, w.text);
      span.addEventListener("click", () => ecouter(video, w.start));
      const i = mots.length;
      span.addEventListener("keydown", ev => {
        const pas = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
        if (pas) { ev.preventDefault(); versMot(i + pas); }
        else if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); ecouter(video, w.start); }
      });
      const avant = mots.length ? mots[mots.length - 1][2].textContent : "";
      mots.push([w.start, w.end, span]);
      const colle = /^['’-]/.test(w.text) || /['’-]$/.test(avant);
      if (colle && p.lastChild && p.lastChild.nodeType === Node.TEXT_NODE) p.lastChild.remove();  // "n'y", not "n 'y"
      p.append(span, " ");
    }
    return p;
  }));
  function versMot(i) { if (i >= 0 && i < mots.length) mots[i][2].focus(); }
  const visible = mots.length > 0;
  box.hidden = !visible;
  document.getElementById("transcription-titre").hidden = !visible;
  let allume = null;
  video.addEventListener("timeupdate", () => {
    const t = video.currentTime;
    const m = mots.find(([a, b]) => a <= t && t < b + 0.05);
    const span = m ? m[2] : null;
    if (span === allume) return;
    if (allume) allume.classList.remove("lu");
    if (span) {
      span.classList.add("lu");
      const haut = span.offsetTop - box.offsetTop;
      if (haut < box.scrollTop || haut > box.scrollTop + box.clientHeight - 30) box.scrollTop = haut - box.clientHeight / 3;
    }
    allume = span;
  });
}
function suite(ctx) {
  const p = document.getElementById("suite");
  const boutons = [];
  if (ctx && ctx.next_clip_id) boutons.push(vl.el("button", { type: "button" }, "Suite de ce thème ▸"));
  if (ctx && ctx.next_chapter_clip_id) boutons.push(vl.el("button", { type: "button", class: "secondaire" }, "Thème suivant de l'appel ▸"));
  if (boutons[0] && ctx.next_clip_id) boutons[0].addEventListener("click", () => jouer(ctx.next_clip_id, null, true));
  const dernier = boutons[boutons.length - 1];
  if (dernier && ctx.next_chapter_clip_id) dernier.addEventListener("click", () => jouer(ctx.next_chapter_clip_id, null, true));
  p.replaceChildren(...boutons);
}
async function chapitres(clip) {
  const data = await vl.api("/recordings/" + clip.recording_id + "/chapters");
  const courant = clip.context && clip.context.chapter ? clip.context.chapter.chapter_id : null;
  const items = data.chapters.map(ch => {
    const b = vl.el("button", { type: "button", class: "chapitre" },
      vl.el("span", { class: "meta" }, `${vl.duree(ch.end - ch.start)} · ${ch.topic_label}`), vl.el("span", {}, ch.title));
    b.addEventListener("click", () => jouer(ch.clip_ids[0], null, true));
    const li = vl.el("li", {}, b);
    if (ch.chapter_id === courant) b.setAttribute("aria-current", "true");
    return li;
  });
  document.getElementById("chapitres-titre").hidden = !items.length;
  document.getElementById("chapitres").replaceChildren(...items);
}
document.getElementById("utile").addEventListener("click", () => vu.clip && reagir("utile", vu.clip));
document.getElementById("pas-pour-moi").addEventListener("click", () => vu.clip && reagir("pas_pour_moi", vu.clip));
window.addEventListener("pagehide", envoyerVu);
vl.initToken();
document.getElementById("recherche").addEventListener("submit", chercher);
document.getElementById("decouvrir").addEventListener("click", () => parcourir({}, "Au hasard, pour découvrir"));
document.getElementById("retour").addEventListener("click", retourAccueil);
// a phone: the list is under the player, its transcript, chapters and similar clips; back to the clip chosen in it
document.getElementById("vers-liste").addEventListener("click",
  () => vl.versLigne(document.querySelector("li.actif") || document.getElementById("titre-liste")));
if (vl.token()) accueil(); else vl.message("Saisis le jeton d'accès donné par ton établissement.");
