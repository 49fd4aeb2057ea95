// The facilitator's list of people: counts, status in words, agreement, "needs a moment" (seen and cleared), remove.
import { el } from "./dom.js";
import { formatNumber, t, tp } from "./i18n.js";

// One person's status; the same English words head the counts, which other languages say in the plural.
const STATUS_TEXT = {
  present: tp("person", "Here"), away: tp("person", "Away"), gone: tp("person", "Gone"), removed: tp("person", "Removed"),
};

export class People {
  constructor({ list, empty, counts, filter, moments, momentList, onRemove, onClear }) {
    Object.assign(this, { list, empty, counts, filter, moments, momentList, onRemove, onClear });
    this.byId = new Map();
    this.rows = new Map();
    this.momentRows = new Map();
    this.query = "";
    filter.addEventListener("input", () => {
      this.query = filter.value.trim().toLocaleLowerCase();
      for (const [id, row] of this.rows) row.hidden = !this.matches(this.byId.get(id));
    });
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-remove]");
      if (button) this.onRemove(this.byId.get(button.dataset.remove), button);
    });
    momentList.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-clear]");
      if (button) this.onClear(this.byId.get(button.dataset.clear), button);
    });
  }

  get(id) {
    return this.byId.get(id);
  }

  all() {
    return this.byId.values();
  }

  reset(attendees) {
    this.byId = new Map(attendees.slice().sort((a, b) => a.joined_at - b.joined_at).map((a) => [a.id, a]));
    this.rows.clear();
    const fragment = document.createDocumentFragment();
    for (const person of this.byId.values()) fragment.append(this.row(person));
    this.list.replaceChildren(fragment);
    this.momentRows.clear();
    this.momentList.replaceChildren();
    for (const person of this.byId.values()) this.updateMoment(person);
    this.updateCounts();
  }

  /** Replace one person's record; returns the previous one. */
  upsert(person) {
    const before = this.byId.get(person.id);
    const old = this.rows.get(person.id);
    this.byId.set(person.id, person);
    const row = this.row(person);
    if (old) old.replaceWith(row);
    else this.list.append(row);
    this.updateMoment(person);
    this.updateCounts();
    return before;
  }

  /** Keep the "asked for a moment" list: one row each, with the button that says it was seen. */
  updateMoment(person) {
    const old = this.momentRows.get(person.id);
    const wanted = person.moment && person.status !== "removed" && person.status !== "gone";
    if (!wanted) {
      if (old) old.remove();
      this.momentRows.delete(person.id);
    } else if (!old) {
      const row = el("li", { class: "moment-row" },
        el("bdi", { class: "person-name" }, person.name),
        el("button", {
          type: "button", class: "button small secondary nowrap", dataset: { clear: person.id },
          "aria-label": t("Seen: clear {name}'s request for a moment", { name: person.name }),
        }, t("Seen, clear")));
      this.momentRows.set(person.id, row);
      this.momentList.append(row);
    }
    this.moments.hidden = this.momentRows.size === 0;
  }

  matches(person) {
    return !this.query || person.name.toLocaleLowerCase().includes(this.query);
  }

  row(person) {
    const status = person.status;
    const row = el("li", { class: `person status-${status}${person.moment ? " has-moment" : ""}` },
      el("bdi", { class: "person-name" }, person.name),
      el("span", { class: "person-tags" },
        el("span", { class: `tag tag-${status}` }, STATUS_TEXT[status] || status),
        person.agreed ? el("span", { class: "tag tag-agreed" }, `✓ ${t("agreed")}`) : null,
        person.moment ? el("span", { class: "tag tag-moment" }, t("needs a moment")) : null),
      status === "removed" ? null : el("button", {
        type: "button", class: "button small quiet-danger nowrap", dataset: { remove: person.id },
        "aria-label": t("Remove {name}", { name: person.name }),
      }, t("Remove")));
    row.hidden = !this.matches(person);
    this.rows.set(person.id, row);
    return row;
  }

  updateCounts() {
    clearTimeout(this.countTimer);
    this.countTimer = setTimeout(() => {
      const n = { present: 0, away: 0, agreed: 0, total: 0, moment: 0 };
      for (const p of this.byId.values()) {
        if (p.status === "removed") continue;
        n.total += 1;
        if (p.status === "present") n.present += 1;
        if (p.status === "away") n.away += 1;
        if (p.agreed) n.agreed += 1;
        if (p.moment && p.status !== "gone") n.moment += 1;
      }
      const entries = [[t("Here"), n.present], [t("Away"), n.away], [t("Agreed"), n.agreed], [t("Joined"), n.total]];
      if (n.moment) entries.push([t("Need a moment"), n.moment, true]);
      this.counts.replaceChildren(...entries.map(([label, value, attention]) =>
        el("div", { class: attention ? "count attention" : "count" }, el("dt", {}, label), el("dd", {}, formatNumber(value)))));
      this.empty.hidden = this.byId.size > 0;
    }, 30);
  }
}
