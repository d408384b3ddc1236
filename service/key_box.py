"""The dashboard's API-key box: a password field whose value the browser keeps for the tab's session
(``sessionStorage``: gone when the tab closes, never sent anywhere but to this page), so a reload or a second
visit in the same tab does not ask for the key again. An anywidget, which marimo shows as any UI element."""

from __future__ import annotations

import json

import anywidget
import traitlets

STORAGE_KEY = "fleetcharge-api-key"

_ESM = """
const STORAGE = __STORAGE__;
function render({ model, el }) {
  const label = document.createElement("label");
  label.textContent = "API key ";
  const box = document.createElement("input");
  box.type = "password";
  box.autocomplete = "off";
  box.setAttribute("aria-label", "API key");
  box.style.width = "38em";
  const kept = window.sessionStorage.getItem(STORAGE);
  box.value = model.get("value") || kept || "";
  if (!model.get("value") && kept) { model.set("value", kept); model.save_changes(); }
  const commit = () => {
    window.sessionStorage.setItem(STORAGE, box.value);
    model.set("value", box.value);
    model.save_changes();
  };
  box.addEventListener("change", commit);
  box.addEventListener("keydown", (event) => { if (event.key === "Enter") commit(); });
  label.appendChild(box);
  el.appendChild(label);
}
export default { render };
""".replace("__STORAGE__", json.dumps(STORAGE_KEY))


class KeyBox(anywidget.AnyWidget):
    """``value``: the key typed, or kept by the browser for this tab."""

    _esm = _ESM
    value = traitlets.Unicode("").tag(sync=True)
