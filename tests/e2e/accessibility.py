"""axe-core in the browser tests: every page a test visits is checked for serious and critical
accessibility violations.

axe-core comes from the npm registry (package.json pins it; `make install` puts it in
node_modules/). Playwright adds it to every page as an init script, through the DevTools
protocol, which the strict CSP does not govern: the page itself needs no change.

`axe_watch(page)`: each page runs axe-core once it has loaded and reports what it finds to
`page.axe_violations` (a binding: the report needs no call back into the page). The `page`
fixture checks the last page once more and fails the test on any finding.
`axe_check(page)` checks the page as it is now (e.g. with a dialog open) and fails at once.
"""
from functools import lru_cache
from pathlib import Path

from django.conf import settings

AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ["serious", "critical"]
# Third-party pages we do not render ourselves: Django's admin, the Swagger UI.
SKIPPED_PATHS = ["/admin/", "/api/v1/docs/"]

# Runs in each page: after `load`, axe-core checks the document and the report goes to the
# test through the `axeReport` binding. `window.axeRun` lets a test run it again on demand.
RUNNER = """
(() => {
  if (window !== window.top) return;
  const impacts = %(impacts)s, skipped = %(skipped)s;
  window.axeRun = async () => {
    if (skipped.some((prefix) => location.pathname.startsWith(prefix))) return [];
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations
      .filter((v) => impacts.includes(v.impact))
      .map((v) => location.pathname + location.search + ": [" + v.impact + "] " + v.id + ": " + v.help +
                  " at " + v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(", "));
  };
  window.addEventListener("load", () => {
    window.axeDone = window.axeRun().then((found) => window.axeReport(found)).catch(() => null);
  });
})();
"""


@lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE_PATH.exists():
        raise RuntimeError(f"{AXE_PATH} is missing: run `npm ci` (make install) to install axe-core")
    import json

    runner = RUNNER % {"impacts": json.dumps(FAILING_IMPACTS), "skipped": json.dumps(SKIPPED_PATHS)}
    return AXE_PATH.read_text() + "\n;" + runner


def _record(page, found) -> None:
    for line in found or []:
        if line not in page.axe_violations:
            page.axe_violations.append(line)


def axe_watch(page) -> None:
    """Check every page the browser loads; findings collect in `page.axe_violations`."""
    page.axe_violations = []
    page.expose_binding("axeReport", lambda source, found: _record(page, found))
    page.add_init_script(script=axe_source())


def axe_wait(page) -> None:
    """Let the current page's own check finish (its report arrives through the binding)."""
    page.evaluate("() => window.axeDone || null")


def axe_check(page, *, fail: bool = True) -> list[str]:
    """Check the page as it is now; fails the test at once (fail=True), else records the findings."""
    if page.url in ("", "about:blank") or not page.evaluate("() => typeof window.axeRun === 'function'"):
        return []
    found = page.evaluate("() => window.axeRun()")
    _record(page, found)
    if fail:
        assert not found, "Accessibility (axe-core), serious or critical:\n" + "\n".join(found)
    return found
