// The page: two tabbed forms that call POST /api/interpret and draw the answer as a card.
// Everything the user typed is written with textContent, never parsed as HTML.
"use strict";

const TONES = {
  genuine: "genuine", mixed: "mixed", caution: "caution", red_flag: "red flag", none: "not about missing you",
  technique: "technique", pitfall: "pitfall",
};

// Why an answer is unsure comes from the API ("reason_text"); this covers models that predate it.
const UNSURE_DEFAULT = "The tool can't tell these apart well for this text.";

const labelTitles = {};  // task -> label -> title, from GET /api/tasks

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

const percent = (p) => `${Math.round(p * 100)}%`;
const titleOf = (task, label) => (labelTitles[task] || {})[label] || label;

// --- tabs (WAI-ARIA tabs pattern: arrow keys, Home and End move between tabs) ---

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      const target = tabs[(next + tabs.length) % tabs.length];
      select(target);
      target.focus();
    });
  });
}

// --- highlighting the words that drove the call ---

// Mirrors ml.text.normalize_text closely enough to find the API's evidence terms in the original text.
function normalize(token) {
  return token.normalize("NFKC").toLowerCase().replace(/['’‘`]/gu, "").replace(/([\p{L}\p{N}_])\1{2,}/gu, "$1$1");
}

const TOKEN = /[\p{L}\p{N}_'’‘`]+|[?!]|\p{Extended_Pictographic}/gu;

// The text as a fragment with each evidence word wrapped in <mark class="toward|against">.
function highlight(text, terms) {
  const tokens = [...text.matchAll(TOKEN)].map((m) => ({ start: m.index, end: m.index + m[0].length,
                                                         norm: normalize(m[0]), term: null }));
  for (const term of terms) {
    const words = term.text.split(" ");
    for (let i = 0; i + words.length <= tokens.length; i++) {
      if (!words.every((word, j) => tokens[i + j].norm === word)) continue;
      for (let j = 0; j < words.length; j++) {
        const token = tokens[i + j];
        if (!token.term || Math.abs(term.weight) > Math.abs(token.term.weight)) token.term = term;
      }
    }
  }
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const token of tokens.filter((t) => t.term)) {
    fragment.append(text.slice(at, token.start));
    const { text: word, weight } = token.term;
    fragment.append(el("mark", { class: weight > 0 ? "toward" : "against", text: text.slice(token.start, token.end),
                                 title: `"${word}" ${weight > 0 ? "+" : "−"}${Math.abs(weight).toFixed(2)}` }));
    at = token.end;
  }
  fragment.append(text.slice(at));
  return fragment;
}

function evidenceFrom(answer, source) {
  return [...answer.evidence.toward, ...answer.evidence.against].filter((t) => t.source === source);
}

// --- the answer card ---

function badge(tone) {
  return tone ? el("span", { class: `badge tone-${tone}`, text: TONES[tone] || tone }) : null;
}

function bar(probability, label) {
  return el("div", { class: "confidence" },
    el("div", { class: "bar", role: "img", "aria-label": `${label}: ${percent(probability)}` },
      el("span", { style: `width: ${percent(probability)}` })),
    el("span", { class: "value", text: percent(probability) }));
}

function list(className, items) {
  return items.length ? el("ul", { class: className }, ...items.map((item) => el("li", { text: item }))) : null;
}

function verdict(answer) {
  return [
    el("div", { class: "card-head" }, el("h2", { text: answer.title || answer.label }), badge(answer.tone)),
    bar(answer.probability, "How sure"),
    answer.explanation ? el("p", { class: "explanation", text: answer.explanation }) : null,
  ];
}

// "Miss you" with no scenario cue: which scenario is the open question, so no percentages,
// just the best genuine and the best red-flag reading side by side.
function readings(task, answer) {
  const both = [["A genuine reading", answer.genuine_reading], ["A red-flag reading", answer.red_flag_reading]]
    .filter(([, reading]) => reading);
  return [
    el("p", { class: "lead", text: "Either could be true:" }),
    el("ul", { class: "readings" }, ...both.map(([kind, reading]) =>
      el("li", {}, `${kind}: `, el("span", { class: "candidate-title", text: titleOf(task, reading.label) })))),
  ];
}

function candidates(task, answer) {
  const top = answer.ranking.slice(0, 3);
  const head = [
    el("div", { class: "card-head" }, el("h2", { text: "Hard to say" }), el("span", { class: "badge tone-unsure", text: "unsure" })),
    el("p", { class: "unsure", text: answer.reason_text || UNSURE_DEFAULT }),
  ];
  if (answer.reason === "no_scenario_cue") return [...head, ...readings(task, answer)];
  return [
    ...head,
    el("p", { class: "lead", text: "It could be any of these:" }),
    el("ol", { class: "candidates" }, ...top.map((entry) =>
      el("li", {}, el("span", { class: "candidate-title", text: titleOf(task, entry.label) }),
         bar(entry.probability, titleOf(task, entry.label))))),
  ];
}

function words(answer, message, context) {
  const section = el("section", { class: "words" }, el("h3", { text: "The words that drove it" }),
    el("blockquote", { class: "said" }, highlight(message, evidenceFrom(answer, "message"))));
  if (context) {
    section.append(el("p", { class: "small", text: "What's going on:" }),
                   el("blockquote", { class: "said context" }, highlight(context, evidenceFrom(answer, "context"))));
  }
  section.append(el("p", { class: "legend small" },
    el("mark", { class: "toward", text: "for it" }), " ", el("mark", { class: "against", text: "against it" }),
    " (hover a word for its weight)"));
  return section;
}

function advice(answer) {
  const parts = [];
  if (answer.suggestion) parts.push(el("h3", { text: "Try this" }), el("p", { class: "suggestion", text: answer.suggestion }));
  if (answer.name_used !== null && answer.name_used !== undefined) {
    parts.push(el("p", { class: "small", text: answer.name_used ? "You use his name: good." : "You don't use his name." }));
  }
  if (answer.tips.length) parts.push(el("h3", { text: "Tips" }), list("tips", answer.tips));
  if (answer.watch_for.length) parts.push(el("h3", { text: "Watch for" }), list("watch", answer.watch_for));
  return parts;
}

function nextLikely(task, answer) {
  if (answer.reason === "no_scenario_cue") return null;  // the readings above already say it all
  const others = answer.ranking.slice(answer.unsure ? 3 : 1, answer.unsure ? 5 : 3);
  if (!others.length) return null;
  const text = others.map((entry) => `${titleOf(task, entry.label)} ${percent(entry.probability)}`).join(", ");
  return el("p", { class: "next small", text: `${answer.unsure ? "Less likely" : "Next likely"}: ${text}` });
}

function card(task, answer, context) {
  return el("article", { class: `card${answer.unsure ? " is-unsure" : ""}`, "data-label": answer.label },
    ...(answer.unsure ? candidates(task, answer) : verdict(answer)),
    words(answer, answer.message, context),
    ...advice(answer),
    nextLikely(task, answer));
}

// --- the forms ---

function clearErrors(form) {
  for (const node of form.querySelectorAll("[data-error-for]")) node.textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
}

// Put each API error next to the field it names; anything else goes under the button.
function showErrors(form, detail) {
  const errors = Array.isArray(detail) ? detail : [{ loc: [], msg: String(detail) }];
  for (const error of errors) {
    const field = (error.loc || []).filter((part) => typeof part === "string").pop();
    const slot = form.querySelector(`[data-error-for="${field}"]`) || form.querySelector('[data-error-for="form"]');
    const message = String(error.msg).replace(/^Value error, /, "");
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    const input = form.elements[field];
    if (input) input.setAttribute("aria-invalid", "true");
  }
  const firstInvalid = form.querySelector('[aria-invalid="true"]');
  if (firstInvalid) firstInvalid.focus();
}

async function submit(form) {
  const task = form.dataset.task;
  const result = form.parentElement.querySelector("[data-result]");
  const button = form.querySelector('button[type="submit"]');
  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  const body = { task, message: value("message"), top_k: 5 };
  if (value("context").trim()) body.context = value("context");
  if (value("his_name").trim()) body.his_name = value("his_name");

  clearErrors(form);
  button.disabled = true;
  result.setAttribute("aria-busy", "true");
  try {
    const response = await fetch("/api/interpret", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const payload = await response.json().catch(() => ({ detail: `The server answered ${response.status}.` }));
    if (!response.ok) {
      showErrors(form, payload.detail);
      return;
    }
    result.replaceChildren(card(task, payload, body.context || ""));
  } catch {
    showErrors(form, "Could not reach the server. Your text is still here: try again in a moment.");
  } finally {
    button.disabled = false;
    result.removeAttribute("aria-busy");
  }
}

function setupForms() {
  for (const form of document.querySelectorAll("form[data-task]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form);
    });
    // Enter makes a new line in a text box; Ctrl+Enter (or Cmd+Enter) sends it.
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
}

// Label titles for "next likely", and a notice in place of a crash when a model is missing.
async function loadTasks() {
  const response = await fetch("/api/tasks");
  const { tasks } = await response.json();
  for (const task of tasks) {
    labelTitles[task.name] = Object.fromEntries(task.labels.map((l) => [l.label, l.title || l.label]));
    const notice = document.querySelector(`#panel-${task.name} [data-notice]`);
    if (notice && !task.available) {
      notice.textContent = `This part is not ready yet: ${task.error}`;
      notice.hidden = false;
    }
  }
}

setupTabs();
setupForms();
loadTasks();
