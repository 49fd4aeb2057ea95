// What the studio's buttons do to the agenda: add, remove and move steps, turns and questions.
import { blankQuestion, blankStep, freshId, getPath, move } from "./model.js";

/** The list a button acts on: the steps, or one step's turns or questions. */
function listOf(source, what, stepPath) {
  if (what === "step") return (source.steps = source.steps || []);
  const step = getPath(source, stepPath);
  const key = what === "turn" ? "turns" : "questions";
  return (step[key] = step[key] || []);
}

/**
 * Apply a button's action to the agenda; return the focus key of the control that should hold focus
 * once the form is drawn again (the same button on the moved item, or the first field of a new one).
 */
export function apply(source, button, root) {
  const { action, step: stepPath } = button.dataset;
  const [what, verb] = action.split("-");
  const list = listOf(source, what, stepPath);
  const index = Number(button.dataset.index);
  const prefix = what === "step" ? "" : `${stepPath}/`;
  if (verb === "up" || verb === "down") {
    const to = move(list, index, verb === "up" ? -1 : 1);
    const edge = (verb === "up" && to === 0) || (verb === "down" && to === list.length - 1);
    // At the edge the button is inert: keep focus on the twin that still moves the item.
    return `${what}-${edge ? (verb === "up" ? "down" : "up") : verb}:${prefix}${to}`;
  }
  if (verb === "remove") {
    list.splice(index, 1);
    if (!list.length) return what === "step" ? "step-add" : `${what}-add:${stepPath}`;
    return `${what}-remove:${prefix}${Math.min(index, list.length - 1)}`;
  }
  if (verb === "add") {
    if (what === "step") {
      const kind = root.querySelector("#new-step-kind").value;
      list.push(blankStep(kind));
      return `path:steps[${list.length}].title`;
    }
    if (what === "turn") {
      const last = list[list.length - 1];
      list.push({ speaker: last && last.speaker === "A" ? "B" : "A", minutes: (last && last.minutes) || 3 });
      return `path:${stepPath}.turns[${list.length}].minutes`;
    }
    const type = root.querySelector(`[data-new-type="${CSS.escape(stepPath)}"]`).value;
    list.push(blankQuestion(type, freshId(list)));
    return `path:${stepPath}.questions[${list.length}].text`;
  }
  return null;
}

/** Change a question's type, keeping its text and id and giving it what the new type needs. */
export function retype(source, path, type) {
  const question = getPath(source, path.replace(/\.type$/, ""));
  const fresh = blankQuestion(type, question.id);
  for (const key of ["labels", "options", "max_length"]) delete question[key];
  Object.assign(question, { ...fresh, text: question.text, required: question.required });
  if (question.required === undefined) delete question.required;
}

/** Move a step dragged with the mouse onto another step's place. */
export function drop(source, from, to) {
  const steps = source.steps;
  if (from === to || from < 0 || to < 0 || from >= steps.length || to >= steps.length) return null;
  const [step] = steps.splice(from, 1);
  steps.splice(to, 0, step);
  return `step-up:${to}`;
}
