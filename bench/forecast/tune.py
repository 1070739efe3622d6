#!/usr/bin/env python3
"""Chooses the values of `--preset forecast` by nested validation: every candidate runs leakage-free on the tuning
data's folds and is scored on each fold's validation block only (the latest training windows, behind a gap; never a
test window). The criterion is the mean over folds of the teacher's and the distilled student's validation MASE.
Two stages (coordinate search): normalisation x features x target transform at the fast preset's schedule with
patience 10, then patience x epochs for the best of stage 1. Writes tuning.json and tuning.md beside this script.

    python3 bench/forecast/tune.py [--cli PATH] [--data FILE] [--work DIR]
"""
import argparse, glob, itertools, json, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CLI = os.path.join(ROOT, "src/Distillery.Cli/bin/Release/net10.0/linux-x64/distillery")
SERVED = ["teacher", "student"]
TOLERANCE = 0.01
# The Hub's own signals for hospitalisations: cases, deaths, and current hospital and ICU occupancy.
NAMED = "new_confirmed,new_deceased,current_hospitalized_patients,current_intensive_care_patients"


def run(cli, work, name, data, options):
    out = os.path.join(work, name)
    if not glob.glob(os.path.join(out, "runs/*/results.json")):
        args = [cli, "run", "--protocol", "leakage-free", "--preset", "fast", "--out", out] + options
        if data: args += ["--data", data]
        started = time.time()
        done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            return {"name": name, "options": options, "error": done.stderr.strip().splitlines()[-1:]}
        seconds = time.time() - started
    else:
        seconds = None
    [path] = glob.glob(os.path.join(out, "runs/*/results.json"))
    results = json.load(open(path))
    truth = results["truth"]
    validation = {kind: truth[kind]["validationMase"]["mean"] for kind in ("teacher", "student", "fnn")}
    return {"name": name, "options": options, "runId": results["runId"], "seconds": seconds,
            "validationMase": validation, "criterion": sum(validation[k] for k in SERVED) / len(SERVED)}


def options_of(normalization, features, transform, patience, epochs):
    options = ["--normalization", normalization, "--early-stopping-patience", str(patience), "--epochs", str(epochs)]
    if features != "all": options += ["--features", features]
    if transform != "none": options += ["--target-transform", transform]
    return options


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=DEFAULT_CLI)
    parser.add_argument("--data", default=None, help="tuning data (default: the embedded US_FL)")
    parser.add_argument("--work", default="/tmp/distillery-tune", help="run directories; finished ones are reused")
    a = parser.parse_args()
    os.makedirs(a.work, exist_ok=True)

    stage1 = []
    for normalization, features, transform in itertools.product(
            ["none", "last-value"], ["all", "top:32", "top:16", "top:8", "top:4", "top:0", NAMED], ["none", "log1p"]):
        name = f"s1-{normalization}-{'named' if features == NAMED else features.replace(':', '')}-{transform}"
        stage1.append(run(a.cli, a.work, name, a.data, options_of(normalization, features, transform, 10, 40)))
        print(json.dumps(stage1[-1]), flush=True)
    ok = [r for r in stage1 if "error" not in r]
    best1 = min(ok, key=lambda r: r["criterion"])
    n, f, t = parse(best1["options"])

    stage2 = []
    for patience, epochs in itertools.product([5, 10, 20], [40, 100]):
        name = f"s2-p{patience}-e{epochs}"
        stage2.append(run(a.cli, a.work, name, a.data, options_of(n, f, t, patience, epochs)))
        print(json.dumps(stage2[-1]), flush=True)
    best = simplest_near_best([r for r in stage2 if "error" not in r])

    json.dump({"criterion": "mean over folds of the teacher's and the student's validation MASE, leakage-free",
               "data": a.data or "embedded US_FL", "stage1": stage1, "stage2": stage2,
               "chosen": best["options"]}, open(os.path.join(HERE, "tuning.json"), "w"), indent=2)
    write_markdown(a.data or "embedded US_FL", stage1, stage2, best)


def simplest_near_best(results):
    """Among the candidates within TOLERANCE of the best criterion, the cheapest (fewest epochs, then the lowest
    patience): differences that small are noise of one run, not evidence for a longer schedule."""
    floor = min(r["criterion"] for r in results)
    near = [r for r in results if r["criterion"] <= floor * (1 + TOLERANCE)]
    number = lambda r, flag: int(r["options"][r["options"].index(flag) + 1])
    return min(near, key=lambda r: (number(r, "--epochs"), number(r, "--early-stopping-patience"), r["criterion"]))


def parse(options):
    value = lambda flag, default: options[options.index(flag) + 1] if flag in options else default
    return value("--normalization", "none"), value("--features", "all"), value("--target-transform", "none")


def write_markdown(data, stage1, stage2, best):
    def rows(results):
        for r in sorted(results, key=lambda r: r.get("criterion", float("inf"))):
            if "error" in r:
                yield f"| `{' '.join(r['options'])}` | failed: {' '.join(r['error'])} | | | |"
                continue
            v = r["validationMase"]
            yield f"| `{' '.join(r['options'])}` | {r['criterion']:.3f} | {v['teacher']:.3f} | {v['student']:.3f} | {v['fnn']:.3f} |"
    header = ["| options (after `--protocol leakage-free --preset fast`) | criterion | teacher | student | FNN |",
              "|---|---:|---:|---:|---:|"]
    text = [f"# How `--preset forecast` was chosen",
            "",
            f"Generated by `bench/forecast/tune.py` from its runs (`tuning.json`); data: {data}. Nested validation: each",
            "candidate ran leakage-free (blocked folds, per-fold preprocessing) and is scored only on each fold's",
            "validation block (the latest 20 % of its training windows, behind a gap of inputDays + outputDays − 1",
            "windows). No test window was looked at. Criterion: the mean over folds of the teacher's and the distilled",
            "student's validation MASE (below 1 beats persistence on the validation windows); lower is better.",
            "",
            "## Stage 1: normalisation × features × target transform (patience 10, 40 epochs)",
            "", *header, *rows(stage1), "",
            "## Stage 2: patience × epochs for the best of stage 1",
            "",
            f"The cheapest candidate (fewest epochs, then lowest patience) within {TOLERANCE:.0%} of the best criterion wins:",
            "a smaller difference is noise of one run.",
            "", *header, *rows(stage2), "",
            f"**Chosen**: `{' '.join(best['options'])}` on top of the fast preset's batch size and learning rates.", ""]
    open(os.path.join(HERE, "tuning.md"), "w").write("\n".join(text))


if __name__ == "__main__":
    sys.exit(main())
