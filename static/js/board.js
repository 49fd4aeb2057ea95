// The facilitator's pair board: keyed DOM so that a delta touches only the groups it names.
import { el } from "./dom.js";
import { t, tn } from "./i18n.js";
import { colourName } from "./roles.js";

const STATUS_TEXT = { present: t("here"), away: t("away"), gone: t("gone"), removed: t("removed") };
// Why someone waits for the next turn (`pending` in docs/protocol.md).
const HOLD_TEXT = { new: t("joined during a turn"), back: t("back after a break") };

export class Board {
  /** `people` reads attendees by id; `onSwap(a, b)` and `onMove(attendeeId, groupId)` send commands. */
  constructor({ root, waitingBox, waitingList, heldBox, heldList, empty, summary, hint, filter, people, onSwap, onMove,
    onPlace, onSelect = null }) {
    Object.assign(this, { root, waitingBox, waitingList, heldBox, heldList, empty, summary, hint, filter, people, onSwap,
      onMove, onPlace, onSelect });
    this.held = [];
    heldList.addEventListener("click", (e) => {
      const button = e.target.closest("button.place-now");
      if (button && button.getAttribute("aria-disabled") !== "true") {
        button.setAttribute("aria-disabled", "true");
        Promise.resolve(this.onPlace(button.dataset.id)).then((ack) => {
          if (!ack || !ack.ok) button.removeAttribute("aria-disabled");
        });
      }
    });
    this.groups = new Map(); // id -> group
    this.cards = new Map(); // group id -> <li>
    this.memberButtons = new Map(); // attendee id -> button (in a group or the waiting list)
    this.waiting = [];
    this.selected = null;
    this.query = "";
    this.dragged = null;
    filter.addEventListener("input", () => { this.query = filter.value.trim().toLocaleLowerCase(); this.applyFilter(); });
    root.addEventListener("click", (e) => this.onClick(e));
    waitingList.addEventListener("click", (e) => this.onClick(e));
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && this.selected) this.select(null); });
    for (const zone of [root, waitingList]) {
      zone.addEventListener("dragstart", (e) => this.onDragStart(e));
      zone.addEventListener("dragover", (e) => this.onDragOver(e));
      zone.addEventListener("drop", (e) => this.onDrop(e));
      zone.addEventListener("dragend", () => this.clearDrag());
    }
  }

  /** Draw every group and the waiting list from a snapshot. */
  reset(groups, waiting, pending = []) {
    this.select(null);
    this.groups = new Map(groups.map((g) => [g.id, g]));
    this.cards.clear();
    this.memberButtons.clear();
    const fragment = document.createDocumentFragment();
    for (const group of this.groups.values()) fragment.append(this.card(group));
    this.root.replaceChildren(fragment);
    this.setWaiting(waiting);
    this.setHeld(pending);
  }

  /** Apply a `groups` event: upsert the named groups, drop others, replace the waiting list. */
  apply({ groups = [], dropped = [], waiting = [], pending = [] }) {
    for (const id of dropped) {
      const card = this.cards.get(id);
      if (card) card.remove();
      this.cards.delete(id);
      this.groups.delete(id);
    }
    for (const group of groups) {
      const old = this.cards.get(group.id);
      this.groups.set(group.id, group);
      const card = this.card(group);
      if (old) old.replaceWith(card);
      else this.root.append(card);
    }
    this.setWaiting(waiting);
    this.setHeld(pending);
    if (this.selected && !this.memberButtons.has(this.selected)) this.select(null);
  }

  /** Who waits for the next turn, why, and a "Place now" for each (a listening third, no letter changes). */
  setHeld(holds) {
    this.held = holds.slice();
    const fragment = document.createDocumentFragment();
    for (const hold of this.held) {
      const name = (this.people(hold.id) || {}).name || t("Someone");
      const partner = (this.people(hold.partner) || {}).name;
      const why = hold.reason === "partner_left"
        ? (partner ? t("{name} left", { name: partner }) : t("their partner left"))
        : HOLD_TEXT[hold.reason] || t("waiting");
      fragment.append(el("li", { class: "held-person", dataset: { id: hold.id } },
        el("span", { class: "name" }, name),
        el("span", { class: "tag tag-held" }, why),
        el("button", { type: "button", class: "button small secondary place-now", dataset: { id: hold.id },
          "aria-label": t("Place {name} now", { name }) }, t("Place now"))));
    }
    this.heldList.replaceChildren(fragment);
    this.heldBox.hidden = !this.held.length;
    this.updateSummary();
  }

  setWaiting(ids) {
    this.waiting = ids.slice();
    const fragment = document.createDocumentFragment();
    for (const id of this.waiting) fragment.append(el("li", {}, this.member(id, null)));
    this.waitingList.replaceChildren(fragment);
    this.waitingBox.hidden = !this.waiting.length;
    this.applyFilter();
  }

  /** A new turn clears every group's "done". */
  clearDone() {
    for (const [id, group] of this.groups) {
      if (group.done) {
        group.done = false;
        this.cards.get(id)?.classList.remove("is-done");
      }
    }
    this.updateSummary();
  }

  doneCount() {
    let n = 0;
    for (const group of this.groups.values()) if (group.done) n += 1;
    return n;
  }

  /** Redraw the one person whose record changed (status, moment). */
  updatePerson(id) {
    const button = this.memberButtons.get(id);
    if (!button) return;
    const fresh = this.member(id, button.dataset.role || null, button.dataset.group || null);
    button.replaceWith(fresh);
    if (this.selected === id) this.markSelected(fresh, true);
  }

  card(group) {
    const list = el("ul", { class: "members", role: "list" },
      group.members.map((id, i) => el("li", {}, this.member(id, group.roles[i], group.id))));
    const label = group.number
      ? el("p", { class: "group-label" }, el("span", { class: "swatch", "aria-hidden": "true" }),
        t("Pair {number} · {colour}", { number: group.number, colour: colourName(group.colour) }))
      : null;
    const card = el("li", { class: `group${group.done ? " is-done" : ""}${group.members.length === 3 ? " trio" : ""}`,
                            dataset: group.colour ? { id: group.id, colour: group.colour } : { id: group.id } },
      label, list,
      group.prompt ? el("p", { class: "group-prompt" }, group.prompt) : null,
      el("div", { class: "group-foot" },
        el("span", { class: "done-badge" }, `✓ ${t("Done")}`),
        el("button", { type: "button", class: "move-here", dataset: { group: group.id } }, t("Move here"))));
    this.cards.set(group.id, card);
    if (this.query) card.hidden = !this.matches(group.members);
    this.updateSummary();
    return card;
  }

  member(id, role, groupId = null) {
    if (id === "facilitator") {
      return el("span", { class: "member is-facilitator" },
        role ? el("span", { class: "role" }, role) : null, el("bdi", { class: "name" }, t("You (facilitator)")));
    }
    const person = this.people(id) || { name: t("Someone"), status: "away" };
    const status = person.status || "away";
    const button = el("button", {
      type: "button", class: `member status-${status}`, draggable: "true", "aria-pressed": "false",
      dataset: { id, ...(role ? { role } : {}), ...(groupId ? { group: groupId } : {}) },
    },
    role ? el("span", { class: "role" }, el("span", { class: "visually-hidden" }, `${t("role")} `), role) : null,
    el("bdi", { class: "name" }, person.name),
    el("span", { class: `tag tag-${status}` }, STATUS_TEXT[status] || status),
    person.moment ? el("span", { class: "tag tag-moment" }, t("needs a moment")) : null);
    this.memberButtons.set(id, button);
    return button;
  }

  matches(ids) {
    return ids.some((id) => ((this.people(id) || {}).name || "").toLocaleLowerCase().includes(this.query));
  }

  applyFilter() {
    for (const [id, card] of this.cards) card.hidden = Boolean(this.query) && !this.matches(this.groups.get(id).members);
    for (const li of this.waitingList.children) {
      const button = li.firstElementChild;
      li.hidden = Boolean(this.query) && !this.matches([button.dataset.id]);
    }
    this.updateSummary();
  }

  updateSummary() {
    clearTimeout(this.summaryTimer);
    // Many deltas can arrive together; count once they settle.
    this.summaryTimer = setTimeout(() => {
      const total = this.groups.size;
      let trios = 0;
      for (const g of this.groups.values()) if (g.members.length === 3) trios += 1;
      const shown = this.query ? [...this.cards.values()].filter((c) => !c.hidden).length : total;
      const parts = [tn("{n} group", "{n} groups", total)];
      if (trios) parts.push(tn("{n} of three", "{n} of three", trios));
      if (this.waiting.length) parts.push(tn("{n} waiting", "{n} waiting", this.waiting.length));
      if (this.held.length) parts.push(tn("{n} waiting for the next turn", "{n} waiting for the next turn", this.held.length));
      if (this.query) parts.push(tn("{n} shown", "{n} shown", shown));
      this.summary.textContent = parts.join(" · ");
      this.empty.hidden = total > 0 || this.waiting.length > 0;
    }, 30);
  }

  // -- tap to select, tap to swap or move ---------------------------------------

  onClick(event) {
    const move = event.target.closest(".move-here");
    if (move && this.selected) {
      const who = this.selected;
      this.select(null);
      this.onMove(who, move.dataset.group);
      return;
    }
    const button = event.target.closest("button.member");
    if (!button) return;
    const id = button.dataset.id;
    if (!this.selected) this.select(id);
    else if (this.selected === id) this.select(null);
    else {
      const first = this.selected;
      this.select(null);
      this.onSwap(first, id);
    }
  }

  select(id) {
    if (this.selected) {
      const old = this.memberButtons.get(this.selected);
      if (old) this.markSelected(old, false);
    }
    this.selected = id;
    this.root.classList.toggle("selecting", Boolean(id));
    if (!id) {
      this.hint.textContent = t("Tap a person, then another person to swap them, or “Move here” on a group.");
      return;
    }
    const button = this.memberButtons.get(id);
    if (button) this.markSelected(button, true);
    const name = (this.people(id) || {}).name || t("This person");
    this.hint.textContent = t("{name} is selected. Tap another person to swap places, “Move here” on a group, or {name} again (or Escape) to cancel.", { name });
    if (this.onSelect) this.onSelect(t("{name} is selected.", { name }));
  }

  markSelected(button, on) {
    button.setAttribute("aria-pressed", String(on));
    button.classList.toggle("selected", on);
    const card = button.closest(".group");
    if (card) card.classList.toggle("has-selected", on);
  }

  // -- drag and drop, for mice -------------------------------------------------------

  onDragStart(event) {
    const button = event.target.closest && event.target.closest("button.member");
    if (!button) return;
    this.dragged = button.dataset.id;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", this.dragged);
    button.classList.add("dragging");
  }

  onDragOver(event) {
    if (!this.dragged) return;
    const target = event.target.closest(".group, button.member");
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (this.dropTarget !== target) {
      this.dropTarget?.classList.remove("drop-target");
      this.dropTarget = target;
      target.classList.add("drop-target");
    }
  }

  onDrop(event) {
    if (!this.dragged) return;
    event.preventDefault();
    const who = this.dragged;
    const member = event.target.closest("button.member");
    const card = event.target.closest(".group");
    this.clearDrag();
    if (member && member.dataset.id !== who) this.onSwap(who, member.dataset.id);
    else if (!member && card && !this.groups.get(card.dataset.id).members.includes(who)) this.onMove(who, card.dataset.id);
  }

  clearDrag() {
    this.dropTarget?.classList.remove("drop-target");
    this.dropTarget = null;
    this.memberButtons.get(this.dragged)?.classList.remove("dragging");
    this.dragged = null;
  }
}
