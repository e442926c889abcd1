// The moderation page: the queue (paged, filtered), one clip at a time (player kept in view, one time scale: the
// clip's own seconds, the recording's shown beside), corrections of words, speakers, titles and topics, decisions by
// button or keyboard, and the next clip opened after each decision.
"use strict";
const PAGE = 20;
const DOUTEUX = 0.5; // a word recognised with less confidence than this is underlined
const GLUE = /^['’\-,.?!;:)…%]/; // tokens written against the word before (vidlib.wording.GLUE_PREFIXES)
const actions = { approve: "approuvé", reject: "refusé", unpublish: "retiré de la publication", retitle: "renommé",
                  trim: "recoupé", redact: "masqué", edit: "corrigé", split: "coupé en deux" };
const $ = id => document.getElementById(id);
let courant = null, file = [], debut = 0, total = 0, motChoisi = null, themes = {}, styles = {}, video = null, finApercu = null;
let vue = 0; // each opening of a clip: an answer for an older one is dropped
const telephone = () => window.matchMedia("(max-width: 900px)").matches;

const t = s => { const neg = s < 0; s = Math.abs(s); const m = Math.floor(s / 60);
  return (neg ? "−" : "") + m + ":" + (s - m * 60).toFixed(1).padStart(4, "0"); };
const enreg = s => courant ? t(courant.start + s) : "";

// an API error in French: a token refused is said in the page's words (the server's own message is English)
function texteErreur(e) {
  const seuls = { 401: "Jeton absent ou invalide : saisissez votre jeton de modération en haut de la page.",
                  403: "Ce jeton ne donne pas accès à la modération : il faut un jeton de modérateur." };
  const avant = { 409: "Cet extrait a changé entre-temps (ou l'enregistrement est occupé) : ", 410: "" };
  if (seuls[e.status]) return seuls[e.status];
  return (avant[e.status] !== undefined ? avant[e.status] : "Erreur : ") + e.message;
}
function erreur(e) { vl.message(texteErreur(e)); }

async function charger(ev) {
  if (ev) { ev.preventDefault(); debut = 0; }
  $("message-file").textContent = "";
  const p = new URLSearchParams({ state: $("etat").value, limit: PAGE, offset: debut });
  for (const f of ["job", "sector"]) { const v = $(f).value.trim(); if (v) p.set(f, v); }
  try {
    const data = await vl.api("/review/queue?" + p);
    file = data.clips;
    $("metiers").replaceChildren(...data.jobs.map(j => vl.el("option", { value: j })));
    $("secteurs").replaceChildren(...data.sectors.map(s => vl.el("option", { value: s })));
    total = data.total;
    $("total").textContent = `${data.total} extrait(s), les plus anciens d'abord` +
      (data.total > PAGE ? ` · ${debut + 1}–${debut + file.length}` : "");
    $("page-info").textContent = data.total ? `${debut + 1}–${debut + file.length} sur ${data.total}` : "";
    $("page-prec").disabled = debut === 0;
    $("page-suiv").disabled = debut + file.length >= data.total;
    $("file").replaceChildren(...(file.length ? file.map(c => {
      const alerte = !c.publishable ? "⛔ consentement" : c.flags ? `⚠ ${c.flags} donnée(s) perso` : "";
      const li = vl.el("li", { "data-clip": c.clip_id, class: "resultat" },
        c.links.thumbnail ? vl.el("img", { src: c.links.thumbnail, alt: "" }) : vl.el("span"),
        vl.el("div", {}, vl.el("button", { type: "button", class: "lien titre" }, c.title),
          vl.el("div", { class: "meta" }, `${c.job} · ${t(c.duration)} · ${vl.etats[c.state]} · reçu le ${vl.date(c.created_at)}`),
          alerte ? vl.el("div", { class: "alerte" }, alerte) : ""));
      li.addEventListener("click", () => ouvrir(c.clip_id));
      return li;
    }) : [vl.el("li", { class: "vide" }, "Rien à modérer ici.")]));
    marquerActif();
  } catch (e) {
    $("message-file").textContent = texteErreur(e);
    $("page-prec").disabled = $("page-suiv").disabled = true;
  }
}

function marquerActif() {
  document.querySelectorAll("#file li").forEach(li => li.classList.toggle("actif", !!courant && li.dataset.clip === courant.clip_id));
}

function pageVue() { $("total").scrollIntoView({ block: "start" }); }

function montrerDansFile(li) {  // scrolls the queue's own column only, never the page under the open clip
  const box = $("file-bloc"), r = li.getBoundingClientRect(), b = box.getBoundingClientRect();
  if (r.top < b.top || r.bottom > b.bottom) box.scrollTop += r.top - b.top - 40;
}

function viderFormulaires() {
  for (const id of ["derogation", "motif", "masque-debut", "masque-fin", "mot-nouveau"]) $(id).value = "";
  $("ecran-textes").replaceChildren(); $("ecran-etat").textContent = ""; $("flouter").hidden = true;
  $("motif-type").value = ""; $("voix-ok").checked = false; $("appel-ecoute").checked = false;
  motChoisi = null; $("correction").hidden = true;
}

async function ouvrir(id, { garderMessage = false } = {}) {
  const moi = ++vue;
  try {
    const clip = await vl.api("/clips/" + id);
    if (moi !== vue) return; // the moderator has opened another clip meanwhile
    const autre = !courant || courant.clip_id !== id;
    // the same clip again (after a change): the player stays at the same moment of the recording, playing or not
    const garde = !autre && video ? { enreg: courant.start + video.currentTime, lecture: !video.paused } : null;
    courant = clip;
    if (autre) viderFormulaires();
    if (!garderMessage) vl.message("");
    $("controles").hidden = false;
    document.querySelector("main").classList.add("ouvert");
    marquerActif();
    video = vl.player($("lecteur"), clip,
      garde ? { debut: Math.min(Math.max(garde.enreg - clip.start, 0), clip.duration), lecture: garde.lecture } : {});
    video.addEventListener("timeupdate", suivreLecture);
    $("clip-titre").textContent = clip.title;
    $("clip-meta").textContent = `${vl.etats[clip.state]} · ${clip.job} · ${clip.sector} · ${clip.topic_label || clip.topic} · ` +
      `durée ${t(clip.duration)} · dans l'enregistrement ${t(clip.start)}–${t(clip.end)}`;
    alertes(clip);
    $("derogation-bloc").hidden = !clip.flags.length || !clip.publishable;
    $("approuver").disabled = clip.state === "published" || !clip.publishable;
    $("voix-bloc").hidden = clip.state === "published" || !clip.publishable;
    $("voix").textContent = clip.consented_voices.map(r => vl.roles[r] || r).join(", ") + " (les participants du consentement)";
    $("depublier").hidden = clip.state !== "published";  // only a published clip can be withdrawn
    $("refuser").disabled = clip.state === "rejected";
    $("nouveau-titre").value = clip.title;
    remplirThemes($("theme"), clip.topic);
    const chapitre = clip.context && clip.context.chapter;
    $("chapitre-titre").value = chapitre ? chapitre.title : "";
    $("chapitre-titre").disabled = $("chapitre-theme").disabled = !chapitre;
    remplirThemes($("chapitre-theme"), chapitre ? chapitre.topic : "");
    remplirStyles(clip.styles || []);
    $("debut").value = "0.0";
    $("fin").value = clip.duration.toFixed(1);
    decoupeEnreg();
    transcription(clip);
    const mot = motChoisi && clip.words.find(w => w.index === motChoisi.index);
    if (mot) choisirMot(mot, false); else { motChoisi = null; $("correction").hidden = true; }
    historique(id);
    if (autre) {  // the player and the messages at the top of the window; on a desktop the clip's row in view
      $("detail").scrollIntoView({ block: "start" });
      const li = document.querySelector("#file li.actif");
      if (li && !telephone()) montrerDansFile(li);
    }
  } catch (e) { erreur(e); }
}

function alertes(clip) {
  const kinds = { name: "nom", phone: "téléphone", email: "courriel", url: "adresse web", address: "adresse", social_security_number: "n° de sécurité sociale" };
  const out = [];
  if (!clip.publishable) out.push(vl.el("p", { id: "bloque", class: "message" }, "Publication impossible (consentement) : " + clip.blockers.join(" ; ")));
  if (clip.flags.length) out.push(vl.el("p", {}, "Données personnelles entendues : "), vl.el("ul", {}, ...clip.flags.map((f, i) => {
    const masquer = vl.el("button", { type: "button", class: "secondaire" }, "Masquer");
    masquer.addEventListener("click", () => decider("redact", { flags: [i] }));
    const ecouter = vl.el("button", { type: "button", class: "secondaire" }, "Écouter");
    ecouter.addEventListener("click", () => aller(f.start - clip.start));
    return vl.el("li", {}, `${kinds[f.kind] || f.kind} « ${f.text} » à ${t(f.start - clip.start)} (enreg. ${t(f.start)}) `, ecouter, " ", masquer);
  })));
  $("alertes").replaceChildren(...out);
}

function remplirStyles(actuels) {
  $("styles-choix").replaceChildren(...Object.entries(styles).map(([k, v]) => vl.el("label", {},
    vl.el("input", { type: "checkbox", value: k, ...(actuels.includes(k) ? { checked: "" } : {}) }), " " + v)));
}

async function enregistrerStyles() {
  if (!courant) return;
  const choisis = [...document.querySelectorAll("#styles-choix input:checked")].map(i => i.value);
  try {
    const res = await vl.api(`/review/recordings/${courant.recording_id}/styles`, { method: "PUT", body: { styles: choisis } });
    courant.styles = res.styles;
    const noms = res.styles.map(k => styles[k] || k).join(", ") || "aucun";
    vl.message(`Styles de l'appel : ${noms} (${res.clips_updated} extrait(s) mis à jour).`, true);
  } catch (e) { erreur(e); }
}

function remplirThemes(select, actuel) {
  // a clip the classifier left unlabelled ("autre") shows it, with the labels to choose from
  const autre = actuel && !(actuel in themes) ? [vl.el("option", { value: "" }, "Autre (aucun thème sûr)")] : [];
  select.replaceChildren(...autre, ...Object.entries(themes).map(([k, v]) => vl.el("option", { value: k }, v)));
  select.value = actuel in themes ? actuel : "";
}

function transcription(clip) {
  const parMot = new Map(clip.words.map(w => [w.index, w]));
  const orateurs = Object.entries(clip.speakers);
  $("transcription").replaceChildren(...clip.transcript.map(turn => {
    const choix = vl.el("select", { "aria-label": `Qui parle à ${t(turn.start)}` },
      ...orateurs.map(([s, r]) => vl.el("option", { value: s }, `${vl.roles[r] || r} · ${s.replace(/^SPEAKER_/, "")}`)));
    choix.value = turn.speaker;
    choix.addEventListener("change", () => decider("edit", { speakers: [{ first_word: turn.first_word, last_word: turn.last_word, speaker: choix.value }] }, "corrigé (qui parle)"));
    const mots = [];
    for (let i = turn.first_word; i <= turn.last_word; i++) {
      const w = parMot.get(i); if (!w) continue;
      const span = vl.el("span", { class: "mot" + (w.probability < DOUTEUX ? " douteux" : ""), "data-i": String(i),
        title: `${t(w.start)} (enreg. ${t(courant.start + w.start)}) · confiance ${Math.round(w.probability * 100)} %` }, w.text);
      span.addEventListener("click", () => choisirMot(w));
      if (mots.length && !GLUE.test(w.text) && !/['’(]$/.test(parMot.get(i - 1) ? parMot.get(i - 1).text : "")) mots.push(" ");
      mots.push(span);
    }
    return vl.el("p", {}, vl.el("span", { class: "role" }, `${t(turn.start)} `), choix, " ", ...mots);
  }));
}

function choisirMot(w, ecouter = true) {
  motChoisi = w;
  document.querySelectorAll(".mot.choisi").forEach(x => x.classList.remove("choisi"));
  const span = document.querySelector(`.mot[data-i="${w.index}"]`); if (span) span.classList.add("choisi");
  $("correction").hidden = false;
  $("mot-actuel").textContent = "« " + w.text + " »";
  $("mot-temps").textContent = `à ${t(w.start)} (enreg. ${t(courant.start + w.start)})`;
  $("mot-nouveau").value = w.text;
  if (ecouter) aller(w.start);
}

// the correction box with the word's letters selected: typing replaces them and keeps the punctuation written
// against the word ("galot." -> "bungalow.")
function corrigerMot() {
  const box = $("mot-nouveau");
  const [, avant, mot] = /^([^\p{L}\p{N}]*)(.*?)[^\p{L}\p{N}]*$/u.exec(box.value);
  box.focus();
  if (mot) box.setSelectionRange(avant.length, avant.length + mot.length); else box.select();
}

function motVoisin(pas) {
  if (!courant || !courant.words.length) return;
  const i = motChoisi ? courant.words.findIndex(w => w.index === motChoisi.index) : -1;
  const w = courant.words[Math.min(Math.max(i + pas, 0), courant.words.length - 1)];
  choisirMot(w);
}

function aller(s) { if (video) { video.currentTime = Math.max(0, s); } }

function suivreLecture() {
  const now = video.currentTime;
  if (finApercu !== null && now >= finApercu) { video.pause(); finApercu = null; }
  const w = courant.words.find(x => x.start <= now && now < x.end);
  document.querySelectorAll(".mot.lu").forEach(x => x.classList.remove("lu"));
  if (w) { const span = document.querySelector(`.mot[data-i="${w.index}"]`); if (span) span.classList.add("lu"); }
}

function decoupeEnreg() {
  const a = parseFloat($("debut").value), b = parseFloat($("fin").value);
  $("decoupe-enreg").textContent = isNaN(a) || isNaN(b) ? "" : `= ${enreg(a)}–${enreg(b)} dans l'enregistrement`;
}

async function historique(id) {
  try {
    const h = await vl.api(`/clips/${id}/history`);
    $("historique").replaceChildren(...(h.entries.length ? h.entries.map(e => vl.el("tr", {},
      vl.el("td", {}, vl.date(e.at)), vl.el("td", {}, e.by), vl.el("td", {}, (e.action === "edit" && (e.before.title !== e.after.title || e.details.chapter_title) ? actions.retitle : actions[e.action] || e.action) + (e.reason ? " : " + e.reason : "")),
      vl.el("td", {}, `${vl.etats[e.before.state] || ""} → ${vl.etats[e.after.state] || ""}` +
        (e.before.title !== e.after.title ? ` ; « ${e.after.title} »` : "") +
        (e.details.chapter_title ? ` ; chapitre « ${e.details.chapter_title[1]} »` : "") +
        ((e.details.words || []).map(m => ` ; « ${m.before} » → « ${m.after} »`).join("")) +
        (e.before.start !== e.after.start || e.before.end !== e.after.end ? ` ; ${t(e.after.start)}–${t(e.after.end)} (enreg.)` : ""))))
      : [vl.el("tr", {}, vl.el("td", { colspan: 4, class: "vide" }, "Aucune décision pour l'instant."))]));
  } catch (e) { erreur(e); }
}

async function voisin(pas) {
  if (!file.length) { await charger(); }
  const i = courant ? file.findIndex(c => c.clip_id === courant.clip_id) : -1;
  const suivant = i < 0 ? file[0] : file[i + pas];
  if (suivant) { await ouvrir(suivant.clip_id); return; }
  if (pas > 0 && debut + file.length < total) {
    debut += PAGE; await charger(); if (file[0]) await ouvrir(file[0].clip_id); return;
  }
  if (pas < 0 && debut > 0) {
    debut = Math.max(0, debut - PAGE); await charger(); if (file.length) await ouvrir(file[file.length - 1].clip_id); return;
  }
  vl.message(pas > 0 ? "Fin de la file : plus d'extrait après celui-ci." : "Début de la file : aucun extrait avant celui-ci.", true);
}

async function lireEcran() {
  if (!courant) return;
  $("ecran-etat").textContent = "Lecture des images…";
  try {
    const data = await vl.api(`/clips/${courant.clip_id}/screen-text`);
    const deja = courant.screen_redactions.length ? ` (${courant.screen_redactions.length} zone(s) déjà floutée(s))` : "";
    $("ecran-etat").textContent = (data.items.length ? `${data.items.length} ligne(s) lue(s)` : "Aucun texte lisible") + deja;
    $("ecran-textes").replaceChildren(...data.items.map((item, i) => vl.el("li", {}, vl.el("label", {},
      Object.assign(vl.el("input", { type: "checkbox", "data-i": String(i) }), { checked: item.suggested, boite: item.box }),
      ` « ${item.text} »` + (item.suggested ? " — nom d'un participant" : "")))));
    $("flouter").hidden = !data.items.length;
    return data.items.filter(x => x.suggested).length;
  } catch (e) { $("ecran-etat").textContent = ""; erreur(e); return 0; }
}

function flouter() {
  const boxes = [...document.querySelectorAll("#ecran-textes input:checked")].map(x => x.boite);
  if (!boxes.length) { vl.message("Cochez le texte à flouter."); return; }
  decider("redact", { boxes, reason: "texte à l'écran" });
}

// one change at a time: a second one sent while the first is saved would carry the clip's old version, be refused
// as a conflict, and its refusal be covered by the first one's success message (a title typed meanwhile was lost)
let enCours = false, refuse = false;

function occupe() {
  if (!enCours) return false;
  refuse = true;
  vl.message("Un enregistrement est en cours : attendez qu'il soit fini, puis recommencez.");
  return true;
}
// the first change's own message, and that the one asked meanwhile was not made (it must not read as saved)
function libre() {
  enCours = false;
  if (refuse) {
    const m = $("message");
    vl.message(m.textContent + " Le changement demandé pendant l'enregistrement n'a pas été fait : recommencez-le.");
  }
  refuse = false;
}

// ``fait``: what the message says was done, when the action's name says too little ("edit" for a new title)
async function decider(action, extra = {}, fait = actions[action]) {
  if (!courant || occupe()) return;
  enCours = true;
  try { await decision(action, extra, fait); } finally { libre(); }
}

async function decision(action, extra, fait) {
  const id = courant.clip_id, position = file.findIndex(c => c.clip_id === id);
  if (document.activeElement && document.activeElement.matches("input, select")) document.activeElement.blur();
  vl.message(action === "trim" || action === "redact" ? "Découpe en cours… (jusqu'à une demi-minute)" : "Enregistrement…", true);
  try {
    const res = await vl.api(`/clips/${id}/${action}`, { method: "POST", body: Object.assign({ version: courant.version }, extra) });
    await charger();
    const fini = ["approve", "reject", "unpublish"].includes(action);
    // a chapter titled by its first clip follows that clip's new title (search_api/edits.py): said, not done silently
    const chapitre = action === "edit" && extra.chapter_title === undefined && res.entry.details.chapter_title
      ? " Son chapitre portait le même titre : il prend le nouveau." : "";
    const texte = "Extrait " + fait + "." + chapitre;
    if (!courant || courant.clip_id !== id) { vl.message(`« ${res.clip.title} » : ${fait}.`, true); return; } // moved on
    if (fini && file.length && $("etat").value !== res.clip.state) {
      const suivant = file[Math.min(Math.max(position, 0), file.length - 1)];
      await ouvrir(suivant.clip_id);
      vl.message(texte + " Voici le suivant.", true);
      focusExtrait();
    } else {
      await ouvrir(res.clip.clip_id, { garderMessage: true });
      vl.message(texte, true);
      if (!document.activeElement || document.activeElement === document.body) focusExtrait();
      if (action === "redact" && !extra.boxes && await lireEcran()) {  // a name masked in the sound may be on screen
        vl.message(texte + " Des noms de participants sont aussi écrits à l'écran : cochez-les et floutez-les.", true);
      }
    }
  } catch (e) {
    erreur(e);
    if (e.status === 409) { await charger(); await ouvrir(courant.clip_id, { garderMessage: true }); }
  }
}

// after a decision or a change: the keyboard at the top of the clip open, not back at the top of the page (Tab
// goes on to its player and its controls; the letter keys still act)
function focusExtrait() {
  const titre = $("clip-titre");
  titre.tabIndex = -1;
  titre.focus({ preventScroll: true });
}

function approuver() {
  if (!courant || $("approuver").disabled) return;
  if (!$("voix-ok").checked) {
    vl.message("Écoutez tout l'extrait, puis cochez la case des voix (touche v). Si quelqu'un d'autre s'y entend, refusez l'extrait ou recoupez-le.");
    $("voix-ok").focus();  // in view, above the decision bar that may hide it on a short screen
    return;
  }
  if (!courant.flags.length) { decider("approve", { voices_checked: true }); return; }
  const motif = $("derogation").value.trim();
  if (motif.length < 3) { vl.message("Données personnelles signalées : masquez-les, ou indiquez pourquoi elles peuvent rester."); $("derogation").focus(); return; }
  decider("approve", { voices_checked: true, override_reason: motif });
}

function refuser() {
  if (!courant || $("refuser").disabled) return;
  const type = $("motif-type").value, precision = $("motif").value.trim();
  const motif = type && type !== "autre" ? type + (precision ? " : " + precision : "") : precision;
  if (motif.length < 3) {
    vl.message("Choisissez un motif de refus dans la liste (ou écrivez-le dans « précisions »).");
    $("motif-type").focus();  // the keyboard goes where the reason is asked, as for an approval's override
    return;
  }
  decider("reject", { reason: motif });
}

function enregistrerTitres() {
  const changes = {};
  const titre = $("nouveau-titre").value, theme = $("theme").value;
  if (titre.trim() !== courant.title) changes.title = titre;
  if (theme && theme !== courant.topic) changes.topic = theme;
  const chapitre = courant.context && courant.context.chapter;
  if (chapitre) {
    if ($("chapitre-titre").value.trim() !== chapitre.title) changes.chapter_title = $("chapitre-titre").value;
    if ($("chapitre-theme").value && $("chapitre-theme").value !== chapitre.topic) changes.chapter_topic = $("chapitre-theme").value;
  }
  if (!Object.keys(changes).length) { vl.message("Rien n'a changé."); return; }
  const noms = { title: "titre", topic: "thème", chapter_title: "titre du chapitre", chapter_topic: "thème du chapitre" };
  decider("edit", changes, "mis à jour (" + Object.keys(changes).map(k => noms[k]).join(", ") + ")");
}

async function toutApprouver() {
  if (!courant) return;
  if (!$("appel-ecoute").checked) { vl.message("Écoutez tout l'appel, puis cochez « j'ai écouté tout l'appel »."); return; }
  if (occupe()) return;
  enCours = true;
  try {
    const res = await vl.api(`/review/recordings/${courant.recording_id}/approve-clean`, { method: "POST", body: { voices_checked: true } });
    await charger();
    if (file[0]) await ouvrir(file[0].clip_id);
    focusExtrait();  // the button is off screen now, under the next clip
    const reste = res.skipped.length;
    vl.message(`${res.approved.length} extrait(s) approuvé(s) ; ` +
      (reste ? `${reste} ${reste > 1 ? "restent" : "reste"} à examiner un par un` : "aucun ne reste à examiner") +
      (reste ? " : " + res.skipped.map(s => s.reason).join(" ; ") : "."), true);
  } catch (e) { erreur(e); } finally { libre(); }
}

function clavier(ev) {
  const cible = ev.target;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (cible.matches("video")) return; // the player's own keys (space, arrows) act on it
  if (cible.matches("input:not([type=checkbox]), select, textarea")) {
    if (ev.key === "Escape") cible.blur();
    return;
  }
  const touches = {
    " ": () => video && (video.paused ? video.play() : video.pause()),
    k: () => video && (video.paused ? video.play() : video.pause()),
    a: approuver, r: refuser, n: () => voisin(1), p: () => voisin(-1),
    v: () => { if (!$("voix-bloc").hidden) $("voix-ok").checked = !$("voix-ok").checked; },
    i: () => { if (video) { $("debut").value = video.currentTime.toFixed(1); decoupeEnreg(); } },
    o: () => { if (video) { $("fin").value = video.currentTime.toFixed(1); decoupeEnreg(); } },
    "[": () => motVoisin(-1), "]": () => motVoisin(1),
    e: () => { if (motChoisi) corrigerMot(); },
  };
  const action = touches[ev.key];
  if (!action || (cible.matches("button, input[type=checkbox], a") && ev.key === " ")) return;
  ev.preventDefault();
  action();
}

async function init() {
  vl.initToken();
  if (!vl.token()) {
    $("message-file").textContent = "Saisissez votre jeton de modérateur.";
    $("page-prec").disabled = $("page-suiv").disabled = true;  // no queue to page through yet
    return;
  }
  try {
    themes = await vl.api("/topics");
    styles = await vl.api("/styles");
  } catch (e) { $("message-file").textContent = texteErreur(e); }
  await charger();
}

// a phone: the queue is under the open clip, its forms and transcript; back to the clip's row in it
$("vers-file").addEventListener("click", () => vl.versLigne(document.querySelector("#file li.actif") || $("total")));
$("filtres").addEventListener("submit", charger);
$("page-prec").addEventListener("click", async () => { debut = Math.max(0, debut - PAGE); await charger(); pageVue(); });
$("page-suiv").addEventListener("click", async () => { debut += PAGE; await charger(); pageVue(); });
$("approuver").addEventListener("click", approuver);
$("refuser").addEventListener("click", refuser);
$("suivant").addEventListener("click", () => voisin(1));
$("depublier").addEventListener("click", () => decider("unpublish"));
$("renommer").addEventListener("click", enregistrerTitres);
$("styles-enregistrer").addEventListener("click", enregistrerStyles);
$("tout-approuver").addEventListener("click", toutApprouver);
$("lire-ecran").addEventListener("click", lireEcran);
$("flouter").addEventListener("click", flouter);
$("debut").addEventListener("input", decoupeEnreg);
$("fin").addEventListener("input", decoupeEnreg);
$("point-entree").addEventListener("click", () => { $("debut").value = video ? video.currentTime.toFixed(1) : "0"; decoupeEnreg(); });
$("point-sortie").addEventListener("click", () => { $("fin").value = video ? video.currentTime.toFixed(1) : "0"; decoupeEnreg(); });
$("apercu").addEventListener("click", () => {
  const a = parseFloat($("debut").value), b = parseFloat($("fin").value);
  if (!video || isNaN(a) || isNaN(b) || b <= a) { vl.message("Début et fin : la fin après le début."); return; }
  if (a < 0 || b > courant.duration) vl.message("L'aperçu ne joue que ce que l'extrait contient déjà ; la découpe prendra aussi les secondes autour.", true);
  finApercu = Math.min(b, courant.duration); video.currentTime = Math.max(0, a); video.play();
});
$("couper").addEventListener("click", () => {
  const a = parseFloat($("debut").value), b = parseFloat($("fin").value);
  if (isNaN(a) || isNaN(b) || b <= a) { vl.message("Début et fin : la fin après le début."); return; }
  decider("trim", { start: courant.start + a, end: courant.start + b });
});
$("scinder").addEventListener("click", async () => {
  if (!courant || !video) return;
  const at = video.currentTime;
  if (at < 3 || at > courant.duration - 3) { vl.message("Placez la tête de lecture à au moins 3 s des deux bouts de l'extrait."); return; }
  vl.message("Découpe en deux en cours… (jusqu'à une minute)", true);
  try {
    const res = await vl.api(`/clips/${courant.clip_id}/split`, { method: "POST", body: { version: courant.version, at } });
    await charger();
    await ouvrir(res.clips[0].clip_id, { garderMessage: true });
    vl.message(`Extrait coupé en deux à ${t(res.clips[1].start - res.clips[0].start)} : voici la première partie, la seconde suit dans la file.`, true);
  } catch (e) { erreur(e); }
});
$("masquer").addEventListener("click", () => {
  const a = parseFloat($("masque-debut").value), b = parseFloat($("masque-fin").value);
  if (isNaN(a) || isNaN(b) || b <= a || a < 0 || b > courant.duration + 0.05) {
    vl.message(`Masquer : de 0 à ${courant.duration.toFixed(1)} s de l'extrait, la fin après le début.`); return;
  }
  decider("redact", { spans: [{ start: courant.start + a, end: courant.start + b }] });
});
// Enter in a reason's box: the decision it is for
$("derogation").addEventListener("keydown", ev => { if (ev.key === "Enter") { ev.preventDefault(); approuver(); } });
$("motif").addEventListener("keydown", ev => { if (ev.key === "Enter") { ev.preventDefault(); refuser(); } });
$("correction").addEventListener("submit", ev => {
  ev.preventDefault();
  if (!motChoisi) return;
  decider("edit", { words: [{ index: motChoisi.index, text: $("mot-nouveau").value }] });
});
document.addEventListener("keydown", clavier);
init();
