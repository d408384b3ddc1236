"""Regenerate the shipped tariff YAML files from the reference data in ``data/tariffs``.

Run: ``python tariffs/regenerate.py``. Tests check that every shipped file still bills exactly like its source.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.tariffs import dump_tariff, load_tariff, tariff_from_urdb
from engine.tariffs.eeco import tariff_from_eeco_csv

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "tariffs"
OUT = ROOT / "tariffs"

URDB = {
    "sce_tou_8_d": (
        "SCE_TOU-8_Option-D_Under-2-kV.json",
        "America/Los_Angeles",
        "OpenEI URDB record via erock25/urdb-tariff-viewer_v3 (MIT)",
    ),
    "sdge_al_tou": (
        "SDGE_AL-TOU_Secondary_Above_500kW.json",
        "America/Los_Angeles",
        "OpenEI URDB record via erock25/urdb-tariff-viewer_v3 (MIT)",
    ),
}
ACN = {
    "sce_tou_ev_4": ("sce_tou_ev_4_march_2019.json", "caltech-netlab/acnportal tariff file (BSD-3-Clause)"),
    "pge_a10": ("pge_a10_tou_aug_2019.json", "caltech-netlab/acnportal tariff file (BSD-3-Clause)"),
}
EECO = {
    "pnm_4b": (
        "tariff_pnm_4b_large_power_tou.csv",
        "PNM Schedule 4B Large Power Service TOU",
        "America/Denver",
    ),
    "pge_eeco": (
        "billing_pge.csv",
        "PG&E E-19/E-20-like large commercial (eeco test rate)",
        "America/Los_Angeles",
    ),
}


def main() -> None:
    """Write every shipped tariff file."""
    for name, (file, tz, origin) in URDB.items():
        src = DATA / "urdb" / file
        tariff = tariff_from_urdb(json.loads(src.read_text()), timezone=tz)
        dump_tariff(
            tariff,
            OUT / f"{name}.yaml",
            f"Imported from data/tariffs/urdb/{file}\nSource: {origin}\nRegenerate with: python tariffs/regenerate.py",
        )
    for name, (file, origin) in ACN.items():
        tariff = load_tariff(DATA / "acnportal" / file, timezone="America/Los_Angeles")
        dump_tariff(
            tariff,
            OUT / f"{name}.yaml",
            f"Imported from data/tariffs/acnportal/{file}\n"
            f"Source: {origin}\nRegenerate with: python tariffs/regenerate.py",
        )
    for name, (file, title, tz) in EECO.items():
        tariff, skipped = tariff_from_eeco_csv(DATA / "eeco" / file, title, tz, source=f"we3lab/eeco data/{file} (MIT)")
        note = "\n".join(f"Not imported: {s}" for s in skipped)
        dump_tariff(
            tariff,
            OUT / f"{name}.yaml",
            f"Imported from data/tariffs/eeco/{file}\n"
            f"Source: we3lab/eeco (MIT)\n{note}\nRegenerate with: python tariffs/regenerate.py",
        )


if __name__ == "__main__":
    main()
