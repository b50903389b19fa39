"""The report a run prints: its tables, each scenario against its target."""

import argparse
import os
import platform
import statistics
from typing import Any

from bench.run import Bench
from bench.scenarios import client_lagged

TARGETS = {"paced_p99_ms": 50.0, "reads_p99_ms": 5.0, "soak_growth_mb": 20.0}
SERVICES = ("worker", "gateway", "dispatcher", "projector")
NAN = float("nan")


def table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    """A titled table: the first column left-aligned, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *cells, strict=True)]
    print(f"\n{title}")
    for row in [headers, *cells]:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.1f}"  # NaN: no figure
    return str(value)


def _verdict(value: float, target: float) -> str:
    return "yes" if value < target else "NO"


LATENCY = ["p50 ms", "p95 ms", "p99 ms", "max ms", "lag p50", "lag p99", "cmd/task", "rt/task"]


def report(args: argparse.Namespace, bench: Bench, results: list[dict[str, Any]],
           reads: list[dict[str, Any]], soak: dict[str, Any] | None) -> None:  # fmt: skip
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Redis {bench.r.info('server')['redis_version']}; "
        f"n={args.n}, worker concurrency {args.worker_concurrency}, "
        f"gateway workers {args.gateway_workers}"
    )
    bursts = [r for r in results if "rate" not in r]
    paced = [r for r in results if "rate" in r]
    if bursts:
        report_bursts(args, bursts)
    if paced:
        report_paced(args, paced)
    if results:
        report_costs(results)
    if reads:
        report_reads(args, reads)
    if soak:
        report_soak(soak)


def figures(r: dict[str, Any]) -> list[Any]:
    """A scenario's latency columns (``LATENCY``)."""
    lat, lag = r["latency_ms"], r["lag_ms"]
    return [
        lat["p50"],
        lat["p95"],
        lat["p99"],
        lat["max"],
        lag.get("p50", NAN),
        lag.get("p99", NAN),
        r["commands_per_task"],
        r["round_trips_per_task"],
    ]


def report_bursts(args: argparse.Namespace, bursts: list[dict[str, Any]]) -> None:
    anchors = {
        r["round"]: r["completed_per_s"] for r in bursts if r["scenario"].startswith("anchor")
    }

    def vs_anchor(r: dict[str, Any]) -> float:
        return float(r["completed_per_s"] / anchors[r["round"]]) if anchors else NAN

    table(
        f"bursts: {args.n} tasks each; latency accept -> SUCCESS visible",
        ["scenario", "acc/s", "done/s", "vs anchor", *LATENCY],
        [
            [
                r["scenario"],
                f"{r['accepted_per_s']:.0f}",
                f"{r['completed_per_s']:.0f}",
                f"{vs_anchor(r):.2f}" if anchors else "-",
                *figures(r),
            ]
            for r in bursts
        ],
    )
    if len(anchors) > 1:
        print(f"vs anchor, median of {len(anchors)} rounds (lowest-highest):")
        for via, prefix, target in (("events", "events", 1.0), ("http", "http", 0.9)):
            ratios = sorted(vs_anchor(r) for r in bursts if r["scenario"].startswith(prefix))
            if ratios:
                print(
                    f"  {via}: {statistics.median(ratios):.2f} "
                    f"({ratios[0]:.2f}-{ratios[-1]:.2f}; target {target:g})"
                )


def report_paced(args: argparse.Namespace, paced: list[dict[str, Any]]) -> None:
    target = TARGETS["paced_p99_ms"]
    table(
        f"paced: {args.rate:g} req/s for {args.duration:g} s; latency accept -> SUCCESS "
        f"visible (target p99 < {target:g} ms)",
        ["scenario", "offered/s", "acc/s", "done/s", *LATENCY, "p99 ok"],
        [
            [
                r["scenario"],
                f"{r['rate']:g}",
                f"{r['accepted_per_s']:.0f}",
                f"{r['completed_per_s']:.0f}",
                *figures(r),
                _verdict(r["latency_ms"]["p99"], target),
            ]
            for r in paced
        ],
    )


def report_costs(results: list[dict[str, Any]]) -> None:
    """CPU, Redis commands and memory of every scenario."""
    table(
        "CPU ms per task (the client: this process; redis: the server, when local,"
        " the benchmark's own reads included)",
        ["scenario", *SERVICES, "client", "redis"],
        [
            [
                r["scenario"],
                *(r["cpu_ms_per_task"].get(s, NAN) for s in (*SERVICES, "client", "redis")),
            ]
            for r in results
        ],
    )
    names = sorted({k for r in results for k, v in r["commands_by_name"].items() if abs(v) >= 0.05})
    table(
        "Redis commands per task, by command (0.05 and more): executed commands, those"
        " run by Lua scripts and inside MULTI included (round trips are fewer)",
        ["command", *(r["scenario"] for r in results)],
        [[k, *(r["commands_by_name"].get(k, 0.0) for r in results)] for k in names],
    )
    table(
        "peak RSS MB (a service and its children)",
        ["scenario", *SERVICES],
        [[r["scenario"], *(r["rss_mb"].get(s, NAN) for s in SERVICES)] for r in results],
    )


def report_reads(args: argparse.Namespace, reads: list[dict[str, Any]]) -> None:
    target = TARGETS["reads_p99_ms"]
    table(
        f"status reads: GET /summarization/task-status/{{id}}, {args.duration:g} s each "
        f"(target p99 < {target:g} ms; open-loop latency from the scheduled time)",
        [
            "scenario",
            "issued/s",
            "answered/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "late",
            "max late ms",
            "client CPU %",
            "gateway CPU %",
            "conns",
            "cmd/read",
            "p99 ok",
        ],
        [
            [
                r["scenario"],
                f"{r['load'].issued_per_s:.0f}",
                f"{r['load'].answered_per_s:.0f}",
                f"{r['latency_ms'].get('p50', NAN):.2f}",
                f"{r['latency_ms'].get('p99', NAN):.2f}",
                r["latency_ms"].get("max", NAN),
                r["load"].errors,
                r["load"].late,
                r["load"].max_late_ms,
                100 * r["load"].client_cpu_s / r["load"].seconds,
                r["gateway_cpu_pct"],
                r["load"].connections,
                f"{r['commands_per_read']:.1f}",
                _verdict(r["latency_ms"].get("p99", NAN), target),
            ]
            for r in reads
        ],
    )
    for r in reads:
        load = r["load"]
        if client_lagged(load, r["rate"]):
            cpu = 100 * load.client_cpu_s / load.seconds
            why = (
                "it used little CPU itself, so it waited for a core: the machine is"
                " oversubscribed (fewer other processes, or more cores)"
                if cpu < 50
                else "it is CPU-bound itself: the figure is the load generator's"
            )
            print(
                f"  {r['scenario']}: the client lagged (issued {load.issued_per_s:.0f}/s of "
                f"{r['rate']:g}/s, {load.late} of {load.issued} requests > 5 ms late, at "
                f"most {load.max_late_ms:.0f} ms, client CPU {cpu:.0f} %): {why}"
            )
        if r["load"].first_error:
            print(f"  {r['scenario']}: first error: {r['load'].first_error}")


def report_soak(soak: dict[str, Any]) -> None:
    samples = soak["samples"]
    shown = samples[:: max(1, len(samples) // 12)]
    if shown[-1] is not samples[-1]:
        shown.append(samples[-1])
    table(
        f"{soak['scenario']}: {soak['seconds']:.0f} s, {soak['failed']} failed; RSS MB",
        ["done", "s", *SERVICES, "Redis MB (server)"],
        [
            [
                s["done"],
                s["seconds"],
                *(s["rss_mb"].get(n, NAN) for n in SERVICES),
                s["redis_mb"],
            ]
            for s in shown
        ],
    )
    target = TARGETS["soak_growth_mb"]
    growth = soak["growth_mb"]
    print(
        f"growth from the sample at {soak['warm']['done']} done (10 %) to the end, MB "
        f"(target < {target:g}): "
        + ", ".join(
            f"{n} {growth.get(n, NAN):+.1f} {_verdict(growth.get(n, NAN), target)}"
            for n in SERVICES
        )
    )
