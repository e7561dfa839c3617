"""Reference values for src/audit/casemix.rs: the case-mix logistic model's coefficients and
expected probabilities, from statsmodels.

Writes tests/fixtures/casemix_fixture.csv (600 subjects: arm, baseline, age, sex, responded;
numpy default_rng(20261206)) and tests/reference/data/casemix.csv (statsmodels 0.15.0
`Logit(...).fit(method="newton", tol=1e-14)` coefficients, then the predicted probability of
each of the first 25 subjects, design built as the Rust module documents: intercept, one
indicator per arm but the first by id, baseline, age, one indicator per sex value but the most
frequent).

Run from the repository root with the pinned environment of README.md:
    ~/.venvs/td-ref/bin/python tests/reference/casemix.py
"""

import csv
import sys

import numpy as np
import statsmodels
import statsmodels.api as sm


def main():
    rng = np.random.default_rng(20261206)
    n = 600
    arms = rng.choice(["A12", "B6", "C18"], size=n, p=[0.3, 0.4, 0.3])
    baseline = np.round(rng.uniform(3, 9, size=n), 1)
    age = rng.integers(20, 65, size=n)
    sex = rng.choice(["F", "M", "other"], size=n, p=[0.55, 0.4, 0.05])
    eta = -1.0 + 0.4 * (arms == "B6") + 0.7 * (arms == "C18") + 0.25 * (baseline - 6) - 0.02 * (age - 40) + 0.3 * (sex == "M")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    with open("tests/fixtures/casemix_fixture.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["arm", "baseline", "age", "sex", "responded"])
        for row in zip(arms, baseline, age, sex, y):
            w.writerow([row[0], f"{row[1]:.1f}", int(row[2]), row[3], int(row[4])])
    # Read back what the Rust test reads.
    rows = list(csv.DictReader(open("tests/fixtures/casemix_fixture.csv")))
    arm_levels = sorted({r["arm"] for r in rows})
    counts = {}
    for r in rows:
        counts[r["sex"]] = counts.get(r["sex"], 0) + 1
    sex_levels = sorted(counts, key=lambda s: (-counts[s], s))
    X = []
    for r in rows:
        x = [1.0] + [1.0 if r["arm"] == a else 0.0 for a in arm_levels[1:]]
        x += [float(r["baseline"]), float(r["age"])]
        x += [1.0 if r["sex"] == s else 0.0 for s in sex_levels[1:]]
        X.append(x)
    X = np.array(X)
    Y = np.array([float(r["responded"]) for r in rows])
    fit = sm.Logit(Y, X).fit(method="newton", tol=1e-14, disp=0, maxiter=100)
    names = ["intercept"] + [f"arm:{a}" for a in arm_levels[1:]] + ["baseline", "age"] + [f"sex:{s}" for s in sex_levels[1:]]
    with open("tests/reference/data/casemix.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["what", "value"])
        for name, b in zip(names, fit.params):
            w.writerow([name, f"{b:.17g}"])
        for i, p in enumerate(fit.predict(X)[:25]):
            w.writerow([f"p{i}", f"{p:.17g}"])
    print(f"statsmodels {statsmodels.__version__}, numpy {np.__version__}: {len(names)} coefficients, 25 predictions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
