import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: tariff explorer")

with app.setup:
    import datetime as dt
    import tempfile
    from pathlib import Path

    import marimo as mo
    import pandas as pd

    from engine.charts import tariff_heatmap
    from engine.frames import tariff_week_frame
    from engine.io.load_csv import read_load_csv
    from engine.summary import describe_tariff
    from engine.tariffs import bill, load_tariff
    from engine.tariffs.files import TARIFF_DIR

    EXAMPLE_LOADS = {
        "eeco PNM, 2 days of 1-minute load (published bill $765.29 on pnm_4b)": Path(__file__).resolve().parents[1]
        / "examples/loads/eeco_pnm_2023-04-09_1min.csv"  # in the checkout (not shipped)
    }
    UPLOADED = "(uploaded file)"


@app.cell
def intro():
    mo.md(r"""
    # Tariff explorer

    **What it is for:** see when a utility tariff makes energy dear and where its demand windows lie, and what a
    load profile would be billed, line by line, by the same `engine.tariffs.bill` the scheduler costs plans with.

    **How to use it:** pick a shipped tariff or upload one (our YAML, or a URDB JSON record exported from
    OpenEI), and the week to show. Pick the example load or upload a CSV with columns `start` (ISO 8601, with or
    without a UTC offset; without one it is read in the tariff's zone) and `kw` (average power over the interval).
    """)
    return


@app.cell
def controls():
    _shipped = sorted(p.stem for p in TARIFF_DIR.glob("*.yaml"))
    tariff_name = mo.ui.dropdown([*_shipped, UPLOADED], value="pnm_4b", label="tariff")
    tariff_upload = mo.ui.file(filetypes=[".yaml", ".yml", ".json"], label="upload a tariff")
    week_start = mo.ui.date(value=dt.date(2023, 4, 9), label="week from")
    load_name = mo.ui.dropdown([*EXAMPLE_LOADS, UPLOADED], value=next(iter(EXAMPLE_LOADS)), label="load")
    load_upload = mo.ui.file(filetypes=[".csv"], label="upload a load CSV")
    mo.vstack(
        [
            mo.hstack([tariff_name, tariff_upload, week_start], justify="start"),
            mo.hstack([load_name, load_upload], justify="start"),
        ]
    )
    return load_name, load_upload, tariff_name, tariff_upload, week_start


@app.function
def saved_upload(upload) -> Path:
    """An uploaded file written to a temporary path with its own suffix (the loaders pick the format by it)."""
    name = upload.name()
    folder = Path(tempfile.mkdtemp(prefix="fleetcharge-upload-"))
    path = folder / Path(name).name
    path.write_bytes(upload.contents())
    return path


@app.cell
def load_the_tariff(tariff_name, tariff_upload):
    if tariff_name.value == UPLOADED:
        mo.stop(not tariff_upload.value, mo.md("Upload a tariff file above."))
        tariff = load_tariff(saved_upload(tariff_upload))
    else:
        tariff = load_tariff(TARIFF_DIR / f"{tariff_name.value}.yaml")
    mo.md(f"```\n{describe_tariff(tariff)}\n```")
    return (tariff,)


@app.cell
def heatmaps(tariff, week_start):
    start = pd.Timestamp(week_start.value).tz_localize(tariff.timezone).to_pydatetime()
    week = tariff_week_frame(tariff, start)
    charts = [tariff_heatmap(week, "price_usd_per_kwh", "energy price [$/kWh], hour by day")]
    if tariff.demand:
        charts.append(tariff_heatmap(week, "demand_usd_per_kw", "demand charges in force [$/kW], hour by day"))
    mo.vstack(charts)
    return (week,)


@app.cell
def read_load(load_name, load_upload, tariff):
    if load_name.value == UPLOADED:
        mo.stop(not load_upload.value, mo.md("Upload a load CSV above."))
        load = read_load_csv(saved_upload(load_upload), tariff.timezone)
    else:
        load = read_load_csv(EXAMPLE_LOADS[load_name.value], tariff.timezone)
    return (load,)


@app.cell
def bill_view(load, tariff):
    result = bill(load, tariff)
    lines = pd.DataFrame([line.model_dump() for line in result.lines])
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(f"${result.total_usd:,.2f}", label="bill total", bordered=True),
                    mo.stat(f"${result.energy_usd:,.2f}", label="energy", bordered=True),
                    mo.stat(f"${result.demand_usd:,.2f}", label="demand", bordered=True),
                    mo.stat(f"${result.fixed_usd + result.minimum_usd:,.2f}", label="fixed and minimum", bordered=True),
                    mo.stat(f"{load.max():,.1f} kW", label="peak load", bordered=True),
                ],
                justify="start",
            ),
            mo.ui.table(lines.round(5), selection=None, page_size=20, label="bill lines"),
        ]
    )
    return lines, result


if __name__ == "__main__":
    app.run()
