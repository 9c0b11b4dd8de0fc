"""`make audit`: pip-audit over requirements.lock.

Fails (exit 1) on a known vulnerability. When the advisory data cannot be reached (a
machine that only sees a package mirror), says so and exits 0: an audit that could not
run is reported, not faked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # .ci/ is one level down


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.lock"), "--format", "json",
         "--progress-spinner", "off"],
        capture_output=True, text=True,
    )
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        print(result.stderr.strip() or "pip-audit n’a rien renvoyé de lisible.", file=sys.stderr)
        return 2
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    unaudited = [d for d in dependencies if d.get("skip_reason")]
    for dep in vulnerable:
        ids = ", ".join(v.get("id", "?") for v in dep["vulns"])
        print(f"VULNÉRABLE : {dep['name']} {dep.get('version', '')} — {ids}")
    if vulnerable:
        return 1
    if dependencies and len(unaudited) == len(dependencies):
        print(f"Audit impossible ici : les données d’avis de sécurité ne sont pas joignables "
              f"({len(unaudited)} dépendances non vérifiées).")
        return 0
    print(f"Aucune vulnérabilité connue dans {len(dependencies) - len(unaudited)} dépendances "
          f"({len(unaudited)} non vérifiables).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
