"""Checks every page of a browser walk passes: no horizontal overflow, no console errors or
Content-Security-Policy violations, no serious accessibility problems (axe-core); and a
screenshot of each, kept under tests/artifacts/web/."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.needs import missing

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests/browser/vendor/axe-core/axe.min.js"
SHOTS = ROOT / "tests/artifacts/web"
# Recorded before any script of the page runs (init scripts are not subject to the CSP).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def axe_source() -> str:
    if not AXE.is_file():
        missing(f"{AXE.relative_to(ROOT)} is missing; `make install` fetches it")
    return AXE.read_text()


INCOGNITO_PUSH = "does not support the Push API in incognito mode"


@dataclass
class PageCheck:
    """Watches one page (tab) and checks it at each step of a walk."""

    page: Any
    variant: str  # e.g. "390-dark", used in screenshot names
    axe: str
    dir: Path
    console: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @classmethod
    async def attach(cls, context: Any, variant: str, folder: str = "after") -> PageCheck:
        await context.add_init_script(WATCH_CSP)
        page = await context.new_page()
        check = cls(page, variant, axe_source(), SHOTS / folder)
        page.on("console", lambda m: check.console.append(f"{m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda exc: check.console.append(f"pageerror: {exc}"))
        page.on("dialog", lambda dialog: dialog.accept())
        check.dir.mkdir(parents=True, exist_ok=True)
        return check

    async def __call__(self, name: str, expect_status: int | None = None) -> None:
        """Check the page as it is now and keep its screenshot as `name`."""
        page = self.page
        await page.wait_for_load_state("load")
        width = await page.evaluate("document.documentElement.scrollWidth")
        inner = await page.evaluate("window.innerWidth")
        assert width <= inner, f"{name} ({self.variant}): {width} px wide in a {inner} px view"
        # Every link of the header in view, none behind a scrolling row's edge.
        hidden = await page.evaluate(
            "[...document.querySelectorAll('header.site nav a')].filter(a => {"
            " const r = a.getBoundingClientRect();"
            " return r.left < 0 || r.right > window.innerWidth; }).map(a => a.textContent)")
        assert hidden == [], f"{name} ({self.variant}): header links out of view: {hidden}"
        violations = await page.evaluate("window.__csp || []")
        assert violations == [], f"{name} ({self.variant}) CSP: {violations}"
        # A page answered with an error status logs that status once; nothing else may.
        # Every Playwright context is an incognito profile, where Chromium refuses Web Push
        # and says so itself in the console (crbug.com/41124656); the page then carries on
        # without push, as it does in any browser that has none.
        errors = [e for e in self.console if not (
            expect_status and f"status of {expect_status}" in e) and INCOGNITO_PUSH not in e]
        assert errors == [], f"{name} ({self.variant}) console: {errors}"
        if await page.evaluate("typeof axe") == "undefined":
            # Through the DevTools protocol: a <script> tag would be refused by the page's CSP.
            await page.evaluate(self.axe)
        # preload off: axe's CSSOM preloading adds inline <style> elements of its own.
        found = await page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations'],"
            " preload: false})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html)}))")
        assert found == [], f"{name} ({self.variant}): {json.dumps(found, indent=1)}"
        self.console.clear()
        await page.screenshot(path=str(self.dir / f"{name}-{self.variant}.png"), full_page=True)
        self.checked.append(name)


def fresh_folder(folder: str) -> None:
    shutil.rmtree(SHOTS / folder, ignore_errors=True)
